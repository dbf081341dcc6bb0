"""Open receivables (期初应收) on PostgreSQL: a file imported into billing (services/billing/imports.py), a newer invoice
and a payment allocated oldest due first, fed through billing's read models (projections/receivables.py,
projections/invoice_list.py) and the order service's credit exposure (services/order/projections/credit_exposure.py).
The old invoice counts in the customer's balance, aging (from its due date), statement (under its old number), the
dunning list and credit exposure, is listed as an opening receivable, and is no credit sale of this system."""

from datetime import date
from decimal import Decimal
from itertools import count
from uuid import uuid4

from services.billing.application import BillingApplication, payments
from services.billing.domain import opening_receivable_id
from services.billing.domain.bank_statement import normalized_name
from services.billing.imports import OPEN_RECEIVABLES
from services.billing.projections.invoice_list import InvoiceList
from services.billing.projections.parties import KnownParties
from services.billing.projections.receivables import Receivables
from services.billing.queries import (
    InvoiceFilter, ReceivablesFromReadModels, aging_report, credit_sales, customer_aging, customer_balance, dunning,
    invoices,
)
from services.billing.settings import BillingSettings
from services.order.projections.credit_exposure import CreditExposure
from services.order.queries import CreditFactsFromReadModels
from shared.events import payload_of
from shared.platform.access import EVERYTHING
from shared.platform.consumer import Delivery
from shared.platform.context import acting_as
from shared.platform.imports import run_import
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels
from tests.unit.test_opening_receivables import DISTRIBUTOR, GOOD, HEADER, HOSPITAL_NAME, World
from tests.unit.test_receivables import BOUNDS, DAY, HOSPITAL

topics = count()
OLD = opening_receivable_id(HOSPITAL, "04457821")  # 5,000.00 open of 8,000.00, issued 2026-07-01, due 2026-08-01


def feed(projection, application) -> None:  # noqa: ANN001 - a projection and an application
    projection.setup()
    topic = f"billing-{next(topics)}-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n.id, application.envelope(n))
                             for n in application.recorder.select_notifications(start=1, limit=10_000)])


def test_an_imported_open_receivable_is_in_the_account_aging_statement_dunning_list_and_credit_exposure(settings,
                                                                                                        pool):
    application = BillingApplication.in_memory()
    try:
        with acting_as("user:finance-he"):
            world = World(application)
            world.names[normalized_name(HOSPITAL_NAME)] = HOSPITAL
            report = run_import(OPEN_RECEIVABLES, "期初应收.csv", (HEADER + GOOD).encode(), "alice", world.new_uow,
                                dry_run=False)
            assert (report.created, report.rows_refused) == (2, 0), report.errors
            world.invoices.append(OLD)
            invoice = world.invoice(on=DAY, quantity=1)  # 1,243.06, due DAY + 90
            payment = world.pay("3000.00")
            payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(), on=DAY),
                                      world.uow())
        billing, order = settings.schema_for("billing"), settings.schema_for("order")
        for projection in (Receivables(pool, billing), InvoiceList(pool, billing), KnownParties(pool, billing)):
            feed(projection, application)
        feed(CreditExposure(pool, order), application)
        read = ReadModels(pool, billing)

        # The old invoice's 5,000.00 less the 3,000.00 paid on it (the oldest due), plus the new invoice.
        assert customer_balance(read, HOSPITAL, "CNY", DAY) == Decimal("3243.06")
        aging = customer_aging(read, HOSPITAL, "CNY", DAY, BOUNDS)
        assert (aging["91-180"], aging["not_due"], aging["unapplied"]) == (Decimal("2000.00"), Decimal("1243.06"),
                                                                          Decimal("0.00"))
        # Aged from its due date (2026-08-01), not from when it was issued: 30 days past due, then 31.
        assert customer_aging(read, HOSPITAL, "CNY", date(2026, 8, 31), BOUNDS)["0-30"] == Decimal("5000.00")
        assert customer_aging(read, HOSPITAL, "CNY", date(2026, 9, 1), BOUNDS)["31-60"] == Decimal("5000.00")
        channels = {g["key"]: g["total"] for g in aging_report(read, DAY, BOUNDS, "due", "channel", EVERYTHING,
                                                               "CNY")}
        assert channels == {"direct": Decimal("3243.06"), "distributor": Decimal("1200.50")}

        opening, lines = ReceivablesFromReadModels(read, BillingSettings()).statement(
            HOSPITAL, "CNY", date(2026, 7, 1), DAY)
        assert opening == Decimal("0.00")
        assert [(line["kind"], line["number"], line["amount"]) for line in lines][:1] == [
            ("invoice", "04457821", Decimal("5000.00"))]  # an invoice on the statement, under its old number
        # Not a credit sale of this system (DSO counts this system's invoices only).
        assert credit_sales(read, HOSPITAL, "CNY", date(2026, 1, 1), DAY) == invoice.gross_total

        overdue, _ = dunning(read, DAY, EVERYTHING, PageRequest(limit=50, offset=0))
        assert [(row["number"], row["open"], row["customer_name"]) for row in overdue] == [
            ("04457821", Decimal("2000.00"), None)]  # (the channel's registration was not fed here)

        listed, _ = invoices(read, InvoiceFilter(), EVERYTHING, PageRequest(limit=50, offset=0))
        kinds = {row["invoice_id"]: (row["source"], row["number"], row["order_id"], row["gross_total"])
                 for row in listed}
        assert kinds[OLD] == ("opening", "04457821", None, Decimal("5000.00"))
        assert kinds[invoice.id][0] == "shipment"
        assert kinds[opening_receivable_id(DISTRIBUTOR, "04457822")][0] == "opening"
        by_distributor, _ = invoices(read, InvoiceFilter(bill_to_distributor_id=DISTRIBUTOR), EVERYTHING,
                                     PageRequest(limit=50, offset=0))
        assert [row["number"] for row in by_distributor] == ["04457822"]

        # The order service counts it in the customer's credit exposure, overdue past its due date, settled as paid.
        exposure = CreditFactsFromReadModels(ReadModels(pool, order)).exposure(HOSPITAL, "CNY", DAY, 90, 0)
        assert (exposure.open_receivables, exposure.overdue) == (Decimal("3243.06"), Decimal("2000.00"))
        distributor = CreditFactsFromReadModels(ReadModels(pool, order)).exposure(DISTRIBUTOR, "CNY", DAY, 90, 0)
        assert distributor.open_receivables == Decimal("1200.50")

        # What billing published is the contract, consumers read it as it is.
        first = payload_of(application.envelope(application.recorder.select_notifications(start=1, limit=1)[0]))
        assert (type(first).__name__, first.invoice_id) == ("OpeningReceivableRecorded", OLD)
    finally:
        application.close()


def test_the_file_is_posted_by_finance_dry_run_then_imported_once_and_the_account_shows_it(billing_api, settings,
                                                                                          pool):
    from shared.platform.auth import issue_token

    api, schema = billing_api, settings.schema_for("billing")
    finance = {"Authorization": f"Bearer {issue_token('fin-he', ['finance'])}"}
    hospital = uuid4()
    parties = KnownParties(pool, schema)
    parties.setup()
    with pool.connection() as conn:  # what billing learned of the channel's hospital (projections/parties.py)
        conn.execute(f"INSERT INTO {schema}.known_parties (party_id, kind, name, region, normalized_name)"
                     " VALUES (%s, 'hospital', '浙江省人民医院（朝晖院区）', '浙江省', %s)",
                     (hospital, normalized_name("浙江省人民医院（朝晖院区）")))
    # The old system's name with half-width brackets and a blank: matched as a bank's payer is.
    csv = {"file": ("期初应收.csv", (HEADER + "FP-0099,浙江省人民医院 (朝晖院区),2026-06-30,,60,CNY,3390.00,,\n")
                    .encode(), "text/csv")}

    template = api.get("/imports/templates/open-receivables", headers=finance)
    assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith("invoice_number,customer,")
    warehouse = {"Authorization": f"Bearer {issue_token('wh-li', ['warehouse'])}"}
    assert api.post("/imports/open-receivables", headers=warehouse, files=csv).status_code == 403

    dry = api.post("/imports/open-receivables", params={"dry_run": True}, headers=finance, files=csv)
    assert (dry.status_code, dry.json()["created"], dry.json()["errors"]) == (200, 1, []), dry.text
    application = api.app.state.service.application
    assert application.recorder.select_notifications(start=1, limit=10) == []
    done = api.post("/imports/open-receivables", headers=finance, files=csv).json()
    again = api.post("/imports/open-receivables", headers=finance, files=csv).json()
    assert (done["created"], again["unchanged"], again["created"]) == (1, 1, 0)

    receivable = opening_receivable_id(hospital, "FP-0099")
    shown = api.get(f"/invoices/{receivable}", headers=finance).json()
    assert (shown["source"], shown["number"], shown["due_on"], shown["open_amount"]) == (
        "opening", "FP-0099", "2026-08-29", "3390.00")
    assert api.get(f"/invoices/{receivable}/pdf", headers=finance).json()["rule"] == "opening-receivable-print"
    feed(Receivables(pool, schema), application)
    account = api.get(f"/customers/{hospital}/account", headers=finance).json()
    assert Decimal(account["balance"]) == Decimal("3390.00")
