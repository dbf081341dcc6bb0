"""Receivables on PostgreSQL: the AR read model (projections/receivables.py) fed the events billing's commands
record. For random invoices, credit notes, payments, allocations and reversals, every customer's balance from the
read model equals the sum from the events, and its aging buckets (with the unapplied cash) add up to it; and through
the API, a payment allocated oldest due first, a statement issued, a line disputed by the hospital's own user, and
the dunning list leaving the disputed invoice out."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from uuid import uuid4

from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st

from services.billing.application import BillingApplication, credit_notes, payments
from services.billing.domain import Invoice
from services.billing.projections.bank_lines import BankLines
from services.billing.projections.parties import KnownParties
from services.billing.projections.receivables import Receivables
from services.billing.queries import aging_report, customer_aging, customer_balance
from shared.domain.business_day import business_day
from shared.events import billing as contracts
from shared.events.channel import HospitalRegistered
from shared.platform.access import EVERYTHING
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery
from shared.platform.context import acting_as
from shared.platform.read_models import ReadModels
from tests.unit.inventory_world import envelope_of
from tests.unit.test_receivables import DAY, World

BOUNDS = [30, 60, 90, 180, 365]
TODAY = business_day(datetime.now(UTC))  # billing's today is China's
FAR = date(2030, 1, 1)
topics = count()


def feed(projection, application) -> None:  # noqa: ANN001 - a projection and an application
    """Every event the application recorded, through the projection, as one partition of a topic of its own."""
    topic = f"example-{next(topics)}-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n.id, application.envelope(n))
                             for n in application.recorder.select_notifications(start=1, limit=10_000)])


def balance_from_events(application, customer) -> Decimal:  # noqa: ANN001
    """The customer's balance summed straight from the events: invoices less credit notes less payments kept."""
    total, booked, customer_of = Decimal("0.00"), {}, {}
    for notification in application.recorder.select_notifications(start=1, limit=10_000):
        payload = contracts_of(application, notification)
        match payload:
            case contracts.InvoiceRaised() if (payload.bill_to_distributor_id or payload.hospital_id) == customer:
                total += payload.gross_total
                customer_of[payload.invoice_id] = customer
            case contracts.CreditNoteIssued() if payload.invoice_id in customer_of:
                total += payload.gross_total
            case contracts.PaymentReceived() if payload.customer_id == customer:
                total -= payload.booked
                booked[payload.payment_id] = payload.booked
            case contracts.PaymentReversed() if payload.payment_id in booked:
                total += booked[payload.payment_id]
    return total


def contracts_of(application, notification):  # noqa: ANN001, ANN201
    from shared.events import payload_of
    return payload_of(application.envelope(notification))


operations = st.lists(st.one_of(
    st.tuples(st.just("invoice"), st.integers(0, 2), st.integers(1, 20), st.integers(-400, 30)),
    st.tuples(st.just("credit"), st.integers(0, 30), st.integers(1, 5), st.integers(0, 1)),
    st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 40_000), st.booleans()),
    st.tuples(st.just("reverse"), st.integers(0, 30), st.just(0), st.just(0))), min_size=1, max_size=25)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_every_customer_s_balance_from_the_read_model_is_the_sum_of_its_events_and_its_aging_adds_up(ops, settings,
                                                                                                    pool):
    projection = Receivables(pool, settings.schema_for("billing"))
    projection.setup()
    KnownParties(pool, settings.schema_for("billing")).setup()  # the report names its customers
    read = ReadModels(pool, settings.schema_for("billing"))
    customers = [uuid4(), uuid4(), uuid4()]
    application = BillingApplication.in_memory()
    try:
        with acting_as("user:finance-he"):
            world, paid = World(application), []
            for kind, who, amount, extra in ops:
                if kind == "invoice":
                    world.invoice(customer=customers[who], quantity=amount, on=DAY + timedelta(days=extra))
                elif kind == "credit" and world.invoices:
                    invoice = application.get_aggregate(world.invoices[who % len(world.invoices)], Invoice)
                    left = invoice.lines[extra % 2]["quantity"] - invoice.credited(extra % 2 + 1)["quantity"]
                    if left > 0:
                        credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
                            credit_note_id=uuid4(), invoice_id=invoice.id, reason="return", full=False,
                            lines=({"line_no": extra % 2 + 1, "quantity": min(amount, left)},),
                            on=max(DAY, invoice.issued_on)),
                            world.uow())
                elif kind == "pay":
                    payment = world.pay(f"{amount}.00", customer=customers[who])
                    paid.append(payment.id)
                    if extra:
                        payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(),
                                                                           on=DAY), world.uow())
                elif kind == "reverse" and paid:
                    payments.reverse_payment(payments.ReversePayment(payment_id=paid[who % len(paid)],
                                                                     reason="退票", on=DAY), world.uow())
        feed(projection, application)
        for customer in customers:
            balance = customer_balance(read, customer, "CNY", FAR)
            assert balance == balance_from_events(application, customer)
            assert sum(customer_aging(read, customer, "CNY", FAR, BOUNDS).values()) == balance
            assert sum(customer_aging(read, customer, "CNY", FAR, BOUNDS, by="invoice").values()) == balance
            for day in (DAY - timedelta(days=200), DAY - timedelta(days=1), DAY, DAY + timedelta(days=15)):
                then = customer_balance(read, customer, "CNY", day)  # as of a past day: what was open then
                assert sum(customer_aging(read, customer, "CNY", day, BOUNDS).values()) == then
        # Every invoice's last span is open-ended, and readable as a date (the rebuild checks read it in Python).
        last = read.all("SELECT DISTINCT ON (invoice_id) valid_to FROM {schema}.ar_open_spans"
                        " ORDER BY invoice_id, valid_from DESC")
        assert {row["valid_to"] for row in last} <= {date(9999, 12, 31)}
        # The report across customers reads the invoices' open spans, not the movements: bucket by bucket the same.
        for day in (DAY - timedelta(days=200), DAY - timedelta(days=1), DAY, DAY + timedelta(days=15), FAR):
            for by in ("due", "invoice"):
                report = {g["key"]: g for g in aging_report(read, day, BOUNDS, by, "customer", EVERYTHING, "CNY")}
                for customer in customers:
                    alone = customer_aging(read, customer, "CNY", day, BOUNDS, by=by)
                    del alone["unapplied"]
                    if any(alone.values()):
                        assert report[str(customer)]["buckets"] == alone, (day, by)
                        assert report[str(customer)]["total"] == sum(alone.values())
                    else:
                        assert str(customer) not in report
    finally:
        application.close()


def bearer(subject: str, roles: list[str], scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(subject, roles, scopes=scopes)}"}


FINANCE = bearer("fin-he", ["finance"])


def test_a_payment_a_statement_a_disputed_line_and_the_dunning_list_through_the_api(billing_api, settings, pool):
    api = billing_api
    application = api.app.state.service.application
    schema = settings.schema_for("billing")
    hospital, other = uuid4(), uuid4()
    with acting_as("user:finance-he"):
        world = World(application)
        old = world.invoice(customer=hospital, on=TODAY - timedelta(days=200), quantity=1)  # long overdue
        late = world.invoice(customer=hospital, on=TODAY - timedelta(days=120), quantity=2)
        world.invoice(customer=other, on=TODAY - timedelta(days=150), quantity=1)
    projection, parties = Receivables(pool, schema), KnownParties(pool, schema)
    projection.setup()
    parties.setup()
    feed(projection, application)

    paid = api.post("/payments", headers=FINANCE, json={
        "customer_id": str(hospital), "amount": "1500.00", "currency": "CNY", "received_on": str(TODAY),
        "bank_reference": "BR-20261130-01", "payer": "浙江省人民医院"})
    assert paid.status_code == 201, paid.text
    assert {k: v for k, v in paid.json()["allocations"].items()} == {str(old.id): "1243.06", str(late.id): "256.94"}
    foreign = api.post("/payments", headers=FINANCE, json={
        "customer_id": str(hospital), "amount": "10.00", "currency": "USD", "received_on": str(TODAY),
        "bank_reference": "BR-USD-1", "payer": "x"})
    assert (foreign.status_code, foreign.json()["rule"]) == (409, "payment-exchange-rate")
    feed(projection, application)

    account = api.get(f"/customers/{hospital}/account", headers=FINANCE).json()
    assert account["balance"] == str(old.gross_total + late.gross_total - Decimal("1500.00"))
    assert sum(Decimal(v) for v in account["aging"].values()) == Decimal(account["balance"])

    issued = api.post("/statements", headers=FINANCE, json={
        "customer_id": str(hospital), "period_start": str(TODAY - timedelta(days=365)),
        "period_end": str(TODAY)})
    assert issued.status_code == 201, issued.text
    statement = issued.json()
    assert [line["kind"] for line in statement["lines"]] == ["invoice", "invoice", "payment"]
    assert Decimal(statement["closing_balance"]) == Decimal(account["balance"])
    own_user = bearer("h-user", ["hospital_user"], [f"hospital:{hospital}"])
    stranger = bearer("o-user", ["hospital_user"], [f"hospital:{other}"])
    answer = f"/statements/{statement['statement_id']}/answer"
    feed(projection, application)
    listed = api.get("/statements", headers=own_user).json()
    assert [(r["statement_id"], r["status"], r["lines"]) for r in listed["items"]] == [
        (statement["statement_id"], "sent", 3)]
    assert api.get("/statements", headers=stranger).json()["total"] == 0  # another hospital's is not listed
    assert api.post(answer, headers=stranger, json={"confirm": True}).status_code == 404
    disputed = api.post(answer, headers=own_user, json={"disputes": [{"line_no": 2, "reason": "数量不符: 只收到一支"}]})
    assert (disputed.status_code, disputed.json()["status"]) == (200, "disputed"), disputed.text
    feed(projection, application)
    (row,) = api.get("/statements", headers=own_user, params={"status": "disputed"}).json()["items"]
    assert (row["open_disputes"], row["customer_id"]) == (1, str(hospital))
    assert api.get("/statements", headers=FINANCE, params={"status": "sent", "customer_id": str(hospital)}).json()[
        "total"] == 0

    account = api.get(f"/customers/{hospital}/account", headers=FINANCE).json()
    assert Decimal(account["aging"]["disputed"]) == late.gross_total - Decimal("256.94")  # out of its age bucket
    assert sum(Decimal(v) for v in account["aging"].values()) == Decimal(account["balance"])
    overdue = api.get("/dunning", headers=FINANCE).json()["items"]
    mine = [row["invoice_id"] for row in overdue if row["customer_id"] == str(hospital)]
    assert mine == []  # the old one is paid; the late one is disputed
    assert any(row["customer_id"] == str(other) and row["days_overdue"] == 60 for row in overdue)
    resolved = api.post(f"/statements/{statement['statement_id']}/lines/2/resolve", headers=FINANCE,
                        json={"outcome": "rejected", "note": "签收单显示两支"})
    assert resolved.json()["status"] == "resolved", resolved.text
    feed(projection, application)
    assert [r["status"] for r in api.get("/statements", headers=FINANCE, params={"customer_id": str(hospital)}
                                         ).json()["items"]] == ["resolved"]
    assert str(late.id) in [row["invoice_id"] for row in api.get("/dunning", headers=FINANCE).json()["items"]]

    assert api.get("/dunning", headers=FINANCE, params={"as_of": str(TODAY + timedelta(days=200))}).json()[
        "total"] >= 2  # planned ahead: what falls due by then
    left = late.gross_total - Decimal("256.94")
    for by, bucket in (("due", "0-30"), ("invoice", "91-180")):  # 30 days past due, 120 days since issue
        report = api.get("/receivables/aging", headers=FINANCE, params={"group": "customer", "by": by}).json()
        ours = next(g for g in report["groups"] if g["key"] == str(hospital))
        assert (Decimal(ours["buckets"][bucket]), ours["total"]) == (left, str(left))


def test_a_month_s_ledger_is_exported_once_as_balanced_vouchers_credit_notes_in_red(billing_api, settings, pool):
    import csv
    import io

    from openpyxl import load_workbook

    api = billing_api
    application = api.app.state.service.application
    hospital = uuid4()
    month_start = TODAY.replace(day=1)
    with acting_as("user:finance-he"):
        world = World(application)
        invoice = world.invoice(customer=hospital, on=month_start, quantity=2)
        credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
            credit_note_id=uuid4(), invoice_id=invoice.id, reason="return", full=False,
            lines=({"line_no": 1, "quantity": 1},), on=month_start), world.uow())
        world.pay("1000.00", customer=hospital, received_on=month_start)
    projection = Receivables(pool, settings.schema_for("billing"))
    projection.setup()
    feed(projection, application)

    period = f"{TODAY:%Y-%m}"
    exported = api.post("/ledger-exports", headers=FINANCE, json={"period": period, "format": "csv"})
    assert exported.status_code == 200, exported.text
    assert exported.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    ours = [r for r in rows if str(hospital) in r["核算项目-客户"]]
    assert sum(Decimal(r["借方金额"]) for r in rows) == sum(Decimal(r["贷方金额"]) for r in rows)
    red = [r for r in ours if r["摘要"].startswith("红字")]
    assert [(r["科目代码"], r["借方金额"], r["贷方金额"]) for r in red] == [
        ("1122", "-1130.00", "0.00"), ("6001", "0.00", "-1000.00"), ("22210102", "0.00", "-130.00")]
    assert {(r["科目代码"], r["借方金额"]) for r in ours if r["摘要"].startswith("收到货款")} == {
        ("1002", "1000.00"), ("1122", "0.00")}
    again = api.post("/ledger-exports", headers=FINANCE, json={"period": period})
    assert (again.status_code, again.json()["rule"]) == (409, "ledger-period-exported")
    assert api.post("/ledger-exports", headers=FINANCE, json={"period": period, "again": True}).status_code == 422
    xlsx = api.post("/ledger-exports", headers=FINANCE, json={"period": period, "again": True,
                                                              "reason": "金蝶导入失败，重新导出"})
    assert (xlsx.status_code, xlsx.headers["X-Ledger-Exports"]) == (200, "2")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "凭证日期" and sheet.max_row == len(rows) + 1
    assert api.post("/ledger-exports", headers=bearer("desk", ["order_desk"]), json={"period": period}
                    ).status_code == 403


def test_postgresql_buckets_every_day_as_the_domain_does(pool):
    from services.billing.domain.aging import bucket_of
    from services.billing.queries import bucket_case

    for bounds in ([30, 60, 90, 180, 365], [10, 20], [0, 1]):
        with pool.connection() as conn:
            rows = conn.execute(f"SELECT days, {bucket_case('days', bounds)} AS bucket"
                                " FROM generate_series(-5, 400) AS days").fetchall()
        assert [row["bucket"] for row in rows] == [bucket_of(row["days"], bounds) for row in rows], bounds


def test_unmatched_bank_lines_of_every_statement_wait_in_one_review_queue(billing_api, settings, pool):
    api = billing_api
    application = api.app.state.service.application
    schema = settings.schema_for("billing")
    lines, parties = BankLines(pool, schema), KnownParties(pool, schema)
    lines.setup()
    parties.setup()
    hospital = uuid4()
    parties.handle_batch([Delivery(f"parties-{uuid4().hex[:6]}", 0, 1, envelope_of(HospitalRegistered(
        hospital_id=hospital, name="银行测试医院", province="浙江省", grade="3A")))])
    tag = uuid4().hex[:8]
    first = f"date,amount,payer,bank_reference\n{TODAY - timedelta(days=3)},120.00,某某贸易公司,BQ-{tag}-1\n"
    second = f"交易日期,金额,对方户名,流水号\n{TODAY - timedelta(days=5)},80.50,无名氏,BQ-{tag}-2\n"
    ids = []
    for name, content in (("a.csv", first), ("b.csv", second)):
        uploaded = api.post("/bank-statements/upload", headers=FINANCE,
                            files={"file": (name, content.encode(), "text/csv")})
        assert (uploaded.status_code, uploaded.json()["unmatched"]) == (201, 1), uploaded.text
        ids.append(uploaded.json()["statement_id"])
    feed(lines, application)

    queue = api.get("/bank-statement-lines", headers=FINANCE, params={"matched": "false"}).json()
    ours = [(r["statement_id"], r["bank_reference"], r["amount"]) for r in queue["items"] if tag in r["bank_reference"]]
    assert ours == [(ids[1], f"BQ-{tag}-2", "80.50"), (ids[0], f"BQ-{tag}-1", "120.00")]  # the oldest day first
    listed = {r["statement_id"]: (r["lines"], r["unmatched"]) for r in api.get(
        "/bank-statements", headers=FINANCE).json()["items"]}
    assert listed[ids[0]] == listed[ids[1]] == (1, 1)

    matched = api.post(f"/bank-statements/{ids[0]}/lines/1/match", headers=FINANCE,
                       json={"customer_id": str(hospital), "reason": "电话确认: 医院委托代付"})
    assert matched.status_code == 200, matched.text
    feed(lines, application)
    queue = api.get("/bank-statement-lines", headers=FINANCE, params={"matched": "false"}).json()["items"]
    assert [r["bank_reference"] for r in queue if tag in r["bank_reference"]] == [f"BQ-{tag}-2"]
    (line,) = api.get("/bank-statement-lines", headers=FINANCE, params={"statement_id": ids[0]}).json()["items"]
    assert (line["customer_name"], line["matched_by"]) == ("银行测试医院", "review")
    portal = bearer("h-user", ["hospital_user"], [f"hospital:{hospital}"])
    assert api.get("/bank-statement-lines", headers=portal).status_code == 403  # many customers' money
