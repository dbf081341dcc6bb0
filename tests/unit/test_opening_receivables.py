"""Open receivables (期初应收) imported into billing, on eventsourcing's in-memory persistence: a row becomes an opening
receivable of the customer named by its registered name or id, under the old number and outside the INV series; a
dry run stores nothing; the same file again records nothing; the same invoice with other facts is refused; bad rows
name their column and rule. Once recorded it is an invoice to payments (oldest due first) and to the aging (from its
due date)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.billing.application import BillingApplication, BillingUnitOfWork, credit_notes, payments
from services.billing.domain import Invoice, OpeningReceivable, opening_receivable_id
from services.billing.domain.aging import aged, bucket_of
from services.billing.domain.bank_statement import normalized_name
from services.billing.imports import OPEN_RECEIVABLES
from shared.domain.rules import RuleViolation
from shared.events.billing import OpeningReceivableRecorded
from shared.platform.imports import read_rows, run_import
from tests.unit.in_memory import in_memory
from tests.unit.test_receivables import BOUNDS, DAY, HOSPITAL
from tests.unit.test_receivables import World as ReceivablesWorld

DISTRIBUTOR = uuid4()
HOSPITAL_NAME = "上海市第一人民医院"

HEADER = "发票号码,客户名称,开票日期,到期日,账期天数,币种,未收金额,发票金额,备注\n"
GOOD = (f"04457821,{HOSPITAL_NAME},2026-07-01,2026-08-01,,CNY,5000.00,8000.00,部分回款\n"
        f"04457822,{DISTRIBUTOR},2026-10-15,,90,,1200.50,,\n")


@dataclass
class World(ReceivablesWorld):
    """test_receivables' ports, with the parties billing knows: a hospital by name, a distributor by id."""

    kinds: dict[UUID, str] = field(default_factory=lambda: {HOSPITAL: "hospital", DISTRIBUTOR: "distributor"})

    def customer_kind(self, customer_id: UUID) -> str | None:
        return self.kinds.get(customer_id)

    def new_uow(self, deferred: bool) -> BillingUnitOfWork:
        return BillingUnitOfWork(self.app, deferred=deferred, order_terms=self,  # type: ignore[arg-type]
                                 receivables=self)  # type: ignore[arg-type]

    def stored(self) -> list:
        return [self.app.mapper.to_domain_event(n) for n in self.app.recorder.select_notifications(start=1, limit=100)]


@pytest.fixture
def world():
    with in_memory(BillingApplication, "user:finance-he") as app:
        found = World(app)
        found.names[normalized_name(HOSPITAL_NAME)] = HOSPITAL
        yield found


def imported(world: World, text: str, dry_run: bool = False, name: str = "ar.csv"):  # noqa: ANN201
    return run_import(OPEN_RECEIVABLES, name, (HEADER + text).encode(), "alice", world.new_uow, dry_run=dry_run)


def test_rows_become_opening_receivables_of_customers_by_name_or_id_outside_the_invoice_series(world):
    report = imported(world, GOOD)
    assert (report.created, report.rows_refused) == (2, 0), report.errors
    first = world.app.get_aggregate(opening_receivable_id(HOSPITAL, "04457821"), Invoice)
    assert isinstance(first, OpeningReceivable) and first.source == "opening"
    assert (first.number, first.customer_id, first.hospital_id, first.bill_to_distributor_id) == (
        "04457821", HOSPITAL, HOSPITAL, None)
    assert (first.open_amount, first.original_gross, first.due_on) == (Decimal("5000.00"), Decimal("8000.00"),
                                                                      date(2026, 8, 1))
    second = world.app.get_aggregate(opening_receivable_id(DISTRIBUTOR, "04457822"), Invoice)
    # Due after its terms; billed to the distributor, as an invoice through it is.
    assert (second.due_on, second.payment_terms_days, second.bill_to_distributor_id, second.hospital_id) == (
        date(2026, 10, 15) + timedelta(days=90), 90, DISTRIBUTOR, None)
    events = world.stored()
    assert len(events) == 2  # one event a row: no number taken from the gap-free INV series
    payload = BillingApplication.to_payload(events[0])
    assert isinstance(payload, OpeningReceivableRecorded)
    assert (payload.legacy_number, payload.outstanding, payload.customer_kind) == (
        "04457821", Decimal("5000.00"), "hospital")
    assert events[0].meta["correlation_id"] == report.correlation_id  # provenance: the import batch
    assert "row 2 of ar.csv" in events[0].meta["reason"]


def test_a_dry_run_stores_nothing_and_the_same_file_again_records_nothing(world):
    dry = imported(world, GOOD, dry_run=True)
    assert (dry.created, dry.rows_refused, world.stored()) == (2, 0, [])
    imported(world, GOOD)
    again = imported(world, GOOD)
    assert (again.created, again.unchanged, again.rows_refused, len(world.stored())) == (0, 2, 0, 2)
    # The same invoice in another file, its number written otherwise (blanks, case), is the same one.
    moved = imported(world, f" 04457821 ,{HOSPITAL_NAME},2026-07-01,2026-08-01,,cny,5000.00,8000.00,\n",
                     name="other.csv")
    assert (moved.unchanged, moved.rows_refused, len(world.stored())) == (1, 0, 2)


def test_the_same_invoice_with_other_facts_is_refused_naming_its_number(world):
    imported(world, GOOD)
    conflict = imported(world, f"04457821,{HOSPITAL_NAME},2026-07-01,2026-08-01,,CNY,4000.00,8000.00,\n")
    assert [(e.row, e.column, e.rule) for e in conflict.errors] == [(2, "invoice_number", "opening-receivable-on-record")]
    assert "outstanding" in conflict.errors[0].message
    assert world.app.get_aggregate(opening_receivable_id(HOSPITAL, "04457821"), Invoice).open_amount == Decimal(
        "5000.00")
    assert len(world.stored()) == 2


def test_bad_rows_name_their_column_and_rule_and_store_nothing(world):
    future = (date.today() + timedelta(days=30)).isoformat()
    report = imported(world, (
        f"A1,{HOSPITAL_NAME},2026-07-01,2026-08-01,,CNY,0,,\n"              # 2: nothing open
        f"A2,无名医院,2026-07-01,2026-08-01,,CNY,10.00,,\n"                    # 3: no party of that name
        f"A3,{HOSPITAL_NAME},2026-07-01,,,CNY,10.00,,\n"                      # 4: no due date nor terms
        f"A4,{HOSPITAL_NAME},2026-07-01,2026-08-01,,CNY,10.00,9.00,\n"        # 5: whole amount below what is open
        f"A5,{HOSPITAL_NAME},2026-07-01,2026-06-01,,CNY,10.00,,\n"            # 6: due before issued
        f"A6,{HOSPITAL_NAME},{future},,30,CNY,10.00,,\n"                      # 7: issued in the future
        f"INV-2026-000001,{HOSPITAL_NAME},2026-07-01,2026-08-01,,CNY,10.00,,\n"  # 8: one of this system's numbers
        f"A8,{uuid4()},2026-07-01,2026-08-01,,CNY,10.00,,\n"                  # 9: an id billing does not know
        f"A9,{HOSPITAL_NAME},2026-07-01,2026-08-01,,CNY,10.001,,\n"           # 10: beyond cents
        f"A10,{HOSPITAL_NAME},2026-07-01,2026-08-01,,RMB元,10.00,,\n"))       # 11: not an ISO currency code
    assert [(e.row, e.column, e.rule) for e in report.errors] == [
        (2, "outstanding", "greater-than"), (3, "customer", "registered-customer"),
        (4, "due_on", "opening-receivable-due"), (5, "original_gross", "opening-receivable-original"),
        (6, "due_on", "opening-receivable-due"), (7, "issued_on", "opening-receivable-issued"),
        (8, "invoice_number", "opening-receivable-number"), (9, "customer", "known-customer"),
        (10, "outstanding", "decimal-max-places"), (11, "currency", "string-pattern-mismatch")]
    assert (report.created, world.stored()) == (0, [])


def test_the_header_may_be_english_and_a_file_without_the_amount_column_is_refused():
    rows = read_rows(OPEN_RECEIVABLES, "ar.csv", (
        "invoice_number,customer,issued_on,due_on,outstanding\nX1,H,2026-07-01,2026-08-01,1.00\n").encode())
    assert rows[0].values == {"invoice_number": "X1", "customer": "H", "issued_on": "2026-07-01",
                              "due_on": "2026-08-01", "outstanding": "1.00"}
    from shared.domain.workbook import UnreadableFile
    with pytest.raises(UnreadableFile, match="outstanding"):
        read_rows(OPEN_RECEIVABLES, "ar.csv", "发票号码,客户名称,开票日期\nX1,H,2026-07-01\n".encode())


def test_a_payment_oldest_due_first_pays_the_opening_receivable_before_a_newer_invoice(world):
    invoice = world.invoice(on=DAY, quantity=1)  # 1,243.06, due 90 days after DAY
    imported(world, GOOD)
    opening = opening_receivable_id(HOSPITAL, "04457821")  # 5,000.00 open, due 2026-08-01
    world.invoices.append(opening)
    payment = world.pay("5500.00")
    allocated = payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(), on=DAY),
                                          world.uow())
    assert list(allocated.allocations.items()) == [(str(opening), Decimal("5000.00")),
                                                   (str(invoice.id), Decimal("500.00"))]
    assert world.app.get_aggregate(opening, Invoice).open_amount == Decimal("0.00")
    assert world.app.get_aggregate(invoice.id, Invoice).open_amount == Decimal("743.06")
    # Reversed (bounced), it is open again, as an invoice would be.
    payments.reverse_payment(payments.ReversePayment(payment_id=payment.id, reason="退票", on=DAY), world.uow())
    assert world.app.get_aggregate(opening, Invoice).open_amount == Decimal("5000.00")


def test_an_opening_receivable_is_aged_from_its_due_date_and_takes_no_credit_note(world):
    imported(world, GOOD)
    opening = world.app.get_aggregate(opening_receivable_id(HOSPITAL, "04457821"), Invoice)
    # Issued 2026-07-01, due 2026-08-01: on 2026-11-02 it is 93 days past due (124 since issued).
    assert bucket_of((DAY - opening.due_on).days, BOUNDS) == "91-180"
    buckets = aged([(opening.due_on, opening.open_amount)], DAY, BOUNDS)
    assert (buckets["91-180"], buckets["not_due"], sum(buckets.values())) == (
        Decimal("5000.00"), Decimal("0.00"), Decimal("5000.00"))
    with pytest.raises(RuleViolation) as refused:
        credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
            credit_note_id=uuid4(), invoice_id=opening.id, reason="other", lines=(), full=True, on=DAY), world.uow())
    assert refused.value.rule == "opening-receivable-credit"
    with pytest.raises(RuleViolation) as not_printed:
        opening.check_printable()
    assert not_printed.value.rule == "opening-receivable-print"


def test_the_invoice_api_shows_it_as_an_opening_receivable_under_its_old_number(world):
    from services.billing.api.routes import _invoice_out

    imported(world, GOOD)
    shown = _invoice_out(world.app.get_aggregate(opening_receivable_id(DISTRIBUTOR, "04457822"), Invoice))
    assert (shown.source, shown.number, shown.order_id, shown.hospital_id, shown.bill_to_distributor_id) == (
        "opening", "04457822", None, None, DISTRIBUTOR)
    assert (shown.gross_total, shown.open_amount, shown.net_total, shown.lines) == (
        Decimal("1200.50"), Decimal("1200.50"), None, [])
    invoice = world.invoice(quantity=1)
    assert _invoice_out(invoice).source == "shipment"
