"""Receivables on eventsourcing's in-memory persistence: invoices numbered gap-free and due after their terms;
credit notes (红字) against partially credited lines; payments allocated oldest due first, in part, never beyond an
invoice, a payment or a customer; reversal; statements confirmed or disputed; aging at its bucket edges; VAT
rounding per line."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.billing.application import BillingApplication, BillingUnitOfWork, credit_notes, invoicing, payments
from services.billing.domain import AgreedTerms, Invoice, Statement, price_lines
from services.billing.domain.aging import aged, bucket_labels, bucket_of, days_sales_outstanding
from services.billing.domain.terms import payment_terms
from shared.domain.rules import RuleViolation
from tests.unit.in_memory import in_memory

STENT, BALLOON = "09506000134352", "09506000134369"
BOUNDS = [30, 60, 90, 180, 365]
HOSPITAL, DISTRIBUTOR = uuid4(), uuid4()
DAY = date(2026, 11, 2)


@dataclass
class World:
    """The ports as projections would answer them, from what the test raised: the orders' terms, and the open
    invoices of a customer by due date."""

    app: BillingApplication
    orders: dict[UUID, AgreedTerms] = field(default_factory=dict)
    defaults: dict[UUID, int] = field(default_factory=dict)
    invoices: list[UUID] = field(default_factory=list)

    def agreed(self, order_id: UUID) -> AgreedTerms | None:
        return self.orders.get(order_id)

    def customer_payment_terms(self, customer_id: UUID) -> int | None:
        return self.defaults.get(customer_id)

    def open_invoices(self, customer_id: UUID, currency: str) -> list[UUID]:
        found = [self.app.get_aggregate(i, Invoice) for i in self.invoices]
        return [i.id for i in sorted(found, key=lambda i: (i.due_on, i.issued_on, i.number))
                if i.customer_id == customer_id and i.open_amount > 0]

    names: dict[str, UUID] = field(default_factory=dict)  # normalized name -> customer

    def invoices_numbered(self, numbers: list[str]) -> dict[str, tuple[UUID, UUID]]:
        found = [self.app.get_aggregate(i, Invoice) for i in self.invoices]
        return {i.number: (i.id, i.customer_id) for i in found if i.number in numbers}

    def customer_named(self, normalized: str) -> UUID | None:
        return self.names.get(normalized)

    def customer_kind(self, customer_id: UUID) -> str | None:
        return "hospital" if customer_id in self.names.values() or customer_id == HOSPITAL else None

    seconds: list = field(default_factory=list)  # second invoices recorded (两票制)

    def region_of(self, party_id: UUID) -> str | None:
        return "福建省" if party_id == HOSPITAL else None

    def cited(self, invoice_id: UUID, gtin: str, lot: str) -> int:
        return sum(line["quantity"] for second in self.seconds for line in second.lines
                   if (line["first_invoice_id"], line["gtin"], line["lot"]) == (invoice_id, gtin, lot))

    def uow(self) -> BillingUnitOfWork:
        return BillingUnitOfWork(self.app, order_terms=self, receivables=self)  # type: ignore[arg-type]

    def invoice(self, customer: UUID = HOSPITAL, on: date = DAY, quantity: int = 10, price: str = "1000.00",
                distributor: UUID | None = None, contract: tuple | None = None) -> Invoice:
        order_id = uuid4()
        self.orders[order_id] = AgreedTerms("CNY", {STENT: Decimal(price), BALLOON: Decimal("33.35")},
                                            contract=contract)
        invoice, _ = invoicing.invoice_shipment(invoicing.InvoiceShipment(
            shipment_id=uuid4(), order_id=order_id, hospital_id=customer, bill_to_distributor_id=distributor,
            lines=(invoicing.ShippedLine(gtin=STENT, lot="L1", quantity=quantity),
                   invoicing.ShippedLine(gtin=BALLOON, lot="B1", quantity=3)), issued_on=on), self.uow())
        self.invoices.append(invoice.id)
        return invoice

    def pay(self, amount: str, customer: UUID = HOSPITAL, **options) -> payments.Payment:  # noqa: ANN003
        payment, _ = payments.record_payment(payments.RecordPayment(
            payment_id=uuid4(), customer_id=customer, amount=Decimal(amount), currency=options.pop("currency", "CNY"),
            received_on=options.pop("received_on", DAY), bank_reference=f"BR-{uuid4().hex[:8]}", payer="浙江省人民医院", **options), self.uow())
        return payment


@pytest.fixture
def world():
    with in_memory(BillingApplication, "user:finance-he") as app:
        yield World(app)


def test_invoices_are_numbered_gap_free_per_year_and_fall_due_after_the_terms_that_apply(world):
    first, second = world.invoice(), world.invoice(on=DAY + timedelta(days=1))
    next_year = world.invoice(on=date(2027, 1, 4))
    assert [i.number for i in (first, second, next_year)] == ["INV-2026-000001", "INV-2026-000002",
                                                             "INV-2027-000001"]
    assert (first.due_on, first.payment_terms_source) == (DAY + timedelta(days=90), "default")
    world.defaults[HOSPITAL] = 120
    assert world.invoice().payment_terms_days == 120  # the customer's own terms
    contract = uuid4()
    by_contract = world.invoice(contract=(contract, HOSPITAL, 60))
    assert (by_contract.due_on, by_contract.payment_terms_source) == (DAY + timedelta(days=60), f"contract:{contract}")
    # A hospital's contract does not set the terms of goods billed to the distributor that delivers them.
    assert payment_terms(DISTRIBUTOR, (contract, HOSPITAL, 60), None, 90).source == "default"


def test_vat_is_rounded_half_up_per_line_and_totals_add_the_lines():
    lines = price_lines([{"gtin": BALLOON, "lot": "B1", "quantity": 3}], {BALLOON: Decimal("33.35")})
    # 3 x 33.35 = 100.05 net; 13% of it is 13.0065: 13.01 on the line
    assert (lines[0]["net_amount"], lines[0]["vat_amount"], lines[0]["gross_amount"]) == (
        Decimal("100.05"), Decimal("13.01"), Decimal("113.06"))


def test_a_partial_credit_note_keeps_the_line_order_and_never_exceeds_what_is_left_of_a_line(world):
    invoice = world.invoice()  # line 1: 10 stents at 1,000 net (11,300 gross); line 2: 3 balloons (113.06)
    uow = world.uow()

    def credit(*lines, reason="return", full=False):  # noqa: ANN002, ANN202
        return credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
            credit_note_id=uuid4(), invoice_id=invoice.id, reason=reason, lines=lines, full=full, on=DAY), uow)

    credited = credit({"line_no": 2, "quantity": 1}, {"line_no": 1, "quantity": 4})
    note = credited.credit_notes[0]
    assert [line["line_no"] for line in note["lines"]] == [1, 2]  # the invoice's order, whatever the request's
    assert (note["number"], note["gross_total"]) == ("CN-2026-000001", Decimal("-4557.69"))  # 4,520 + 33.35 + 4.34
    with pytest.raises(RuleViolation) as over:
        credit({"line_no": 1, "quantity": 7})  # 6 left
    assert (over.value.rule, over.value.field, over.value.context["left"]) == ("credit-note-over-line",
                                                                               "lines[0].quantity", 6)
    allowance = credit({"line_no": 1, "net_amount": Decimal("500.00")}, reason="sales_allowance")
    assert allowance.credited(1) == {"quantity": 4, "net_amount": Decimal("4500.00"), "vat_amount": Decimal("585.00")}
    rest = credit(full=True)  # everything left: 6 stents (net 5,500 after the allowance) and 2 balloons
    assert rest.open_amount == Decimal("0.00") and rest.credited_total == invoice.gross_total
    with pytest.raises(RuleViolation) as nothing_left:
        credit(full=True)
    assert nothing_left.value.rule == "credit-note-line"
    with pytest.raises(RuleViolation) as reason:
        credit({"line_no": 1, "quantity": 1}, reason="goodwill")
    assert reason.value.rule == "credit-note-reason"


def test_payments_are_allocated_oldest_due_first_in_part_and_the_rest_stays_unapplied(world):
    old = world.invoice(on=DAY - timedelta(days=40), quantity=1)  # 1,130 + 113.06 = 1,243.06
    new = world.invoice(on=DAY, quantity=1)
    payment = world.pay("2000.00")
    allocated = payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(), on=DAY),
                                          world.uow())
    assert allocated.allocations == {str(old.id): Decimal("1243.06"), str(new.id): Decimal("756.94")}
    assert world.app.get_aggregate(new.id, Invoice).open_amount == Decimal("486.12")
    second = world.pay("1000.00")
    payments.allocate_payment(payments.AllocatePayment(payment_id=second.id, allocations=(), on=DAY), world.uow())
    assert world.app.get_aggregate(second.id, payments.Payment).unapplied == Decimal("513.88")  # nothing left open


def test_over_allocation_another_customer_s_invoice_and_a_foreign_payment_without_a_rate_are_refused(world):
    invoice = world.invoice(quantity=1)
    other = world.invoice(customer=DISTRIBUTOR, quantity=1)
    payment = world.pay("5000.00")

    def allocate(*pairs):  # noqa: ANN002, ANN202
        return payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=pairs, on=DAY),
                                         world.uow())

    for pairs, rule in ((((invoice.id, Decimal("1243.07")),), "allocation-over-invoice"),
                        (((other.id, Decimal("1.00")),), "allocation-same-customer"),
                        (((invoice.id, Decimal("1000.00")), (invoice.id, Decimal("300.00"))),
                         "allocation-over-invoice")):
        with pytest.raises(RuleViolation) as refused:
            allocate(*pairs)
        assert refused.value.rule == rule
    assert world.app.get_aggregate(payment.id, payments.Payment).unapplied == Decimal("5000.00")  # nothing stored
    with pytest.raises(RuleViolation) as no_rate:
        world.pay("100.00", currency="USD")
    assert (no_rate.value.rule, no_rate.value.field) == ("payment-exchange-rate", "exchange_rate")
    dollars = world.pay("100.00", currency="USD", exchange_rate=Decimal("7.1234"))
    assert dollars.booked == Decimal("712.34")


def test_a_reversed_payment_reopens_what_it_paid(world):
    invoice = world.invoice(quantity=1)
    payment = world.pay("1243.06")
    payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(), on=DAY), world.uow())
    assert world.app.get_aggregate(invoice.id, Invoice).open_amount == 0
    reversed_ = payments.reverse_payment(payments.ReversePayment(payment_id=payment.id, reason="退票", on=DAY),
                                         world.uow())
    assert (reversed_.reversed, reversed_.unapplied) == (True, Decimal("0.00"))
    assert world.app.get_aggregate(invoice.id, Invoice).open_amount == Decimal("1243.06")
    with pytest.raises(RuleViolation) as dead:
        payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(
            (invoice.id, Decimal("1.00")),), on=DAY), world.uow())
    assert dead.value.rule == "payment-reversed"


def test_a_statement_closes_at_its_opening_plus_its_lines_and_is_confirmed_or_disputed_by_line(world):
    lines = [{"kind": "invoice", "document_id": uuid4(), "number": "INV-2026-000001", "on": DAY, "due_on": DAY,
              "amount": Decimal("1243.06")},
             {"kind": "payment", "document_id": uuid4(), "number": "BR-1", "on": DAY, "due_on": None,
              "amount": Decimal("-1000.00")}]
    statement = Statement.issue(HOSPITAL, "CNY", date(2026, 11, 1), date(2026, 11, 30), Decimal("500.00"), lines, {})
    assert (statement.closing_balance, [line["line_no"] for line in statement.lines]) == (Decimal("743.06"), [1, 2])
    assert statement.dispute(1, "数量不符") is True and statement.dispute(1, "again") is False
    assert statement.status == "disputed"
    with pytest.raises(RuleViolation) as confirmed:
        statement.confirm("hospital:finance")
    assert confirmed.value.rule == "statement-disputed"
    assert statement.resolve(1, "rejected", "签收单核对无误") is True and statement.status == "resolved"
    with pytest.raises(RuleViolation) as no_line:
        statement.dispute(3, "x")
    assert no_line.value.rule == "statement-line"


@pytest.mark.parametrize(("days", "bucket"), [(-1, "not_due"), (0, "0-30"), (30, "0-30"), (31, "31-60"),
                                              (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "91-180"),
                                              (180, "91-180"), (181, "181-365"), (365, "181-365"), (366, ">365")])
def test_aging_buckets_at_their_edges(days, bucket):
    assert bucket_of(days, BOUNDS) == bucket


def test_aging_keeps_every_bucket_and_adds_up_and_dso_is_receivable_over_sales_times_days():
    as_of = date(2026, 12, 31)
    items = [(as_of, Decimal("10")), (as_of - timedelta(days=31), Decimal("20")),
             (as_of + timedelta(days=5), Decimal("5")), (as_of - timedelta(days=400), Decimal("-3"))]
    buckets = aged(items, as_of, BOUNDS)
    assert list(buckets) == ["not_due", *bucket_labels(BOUNDS), "disputed"]
    assert (buckets["0-30"], buckets["31-60"], buckets["not_due"], buckets[">365"]) == (10, 20, 5, -3)
    assert sum(buckets.values()) == 32
    assert days_sales_outstanding(Decimal("300000"), Decimal("450000"), 90) == Decimal("60.0")
    assert days_sales_outstanding(Decimal("1"), Decimal("0"), 90) is None


def test_a_month_s_journal_becomes_vouchers_that_balance_and_is_exported_again_only_with_a_reason(world):
    from services.billing.domain.ledger import LedgerPeriod, period_bounds, vouchers

    assert period_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    journal = [
        {"entry_id": "b:1", "line_no": 1, "on_date": DAY, "account": "bank", "debit": Decimal("100"), "credit": 0},
        {"entry_id": "b:1", "line_no": 2, "on_date": DAY, "account": "receivable", "debit": 0,
         "credit": Decimal("100")},
        {"entry_id": "a:1", "line_no": 1, "on_date": DAY - timedelta(days=1), "account": "receivable",
         "debit": Decimal("113"), "credit": 0},
        {"entry_id": "a:1", "line_no": 2, "on_date": DAY - timedelta(days=1), "account": "revenue", "debit": 0,
         "credit": Decimal("100")},
        {"entry_id": "a:1", "line_no": 3, "on_date": DAY - timedelta(days=1), "account": "output_vat", "debit": 0,
         "credit": Decimal("13")}]
    numbered = vouchers(journal)
    assert [(line["voucher"], line["line_no"]) for line in numbered] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]
    with pytest.raises(RuleViolation) as unbalanced:
        vouchers(journal[:-1])
    assert unbalanced.value.rule == "ledger-balanced"
    period = LedgerPeriod(period="2026-11", vouchers=2, lines=5, debit_total=Decimal("213"), digest="a" * 64)
    with pytest.raises(RuleViolation) as twice:
        period.export_again(2, 5, Decimal("213"), "a" * 64, None)
    assert twice.value.rule == "ledger-period-exported"
    period.export_again(2, 5, Decimal("213"), "a" * 64, "导入失败")
    assert [e["reason"] for e in period.exports] == [None, "导入失败"]


def test_a_bank_statement_s_lines_become_payments_matched_by_invoice_number_or_payer_else_reviewed(world):
    from services.billing.application import bank_statements
    from services.billing.domain.bank_statement import normalized_name

    world.names[normalized_name("浙江省人民医院（东院）")] = HOSPITAL
    old, new = world.invoice(on=DAY - timedelta(days=40), quantity=1), world.invoice(quantity=1)
    csv = ("交易日期,金额,付款人,摘要,流水号\n"
           f"2026/11/20,\"1,000.00\",某某医疗,货款 {new.number},BR-1\n"  # names the newer invoice: paid first
           "2026-11-21,500.00,浙江省人民医院(东院),十一月货款,BR-2\n"  # the payer's name, half-width brackets
           "2026-11-22,80.00,不认识的公司,,BR-3\n"
           "2026-11-22,-5.00,浙江省人民医院,,BR-4\n"
           "2026-13-01,5.00,浙江省人民医院,,BR-5\n"
           "2026-11-23,9.00,浙江省人民医院,,BR-2\n").encode()
    imported = bank_statements.import_bank_statement(bank_statements.ImportBankStatement(
        filename="流水.csv", content=csv), world.uow())
    lines = imported.statement.lines
    assert [(line["bank_reference"], line["matched_by"]) for line in lines] == [
        ("BR-1", "invoice_number"), ("BR-2", "payer"), ("BR-3", None)]
    assert [(e.row, e.field, e.rule) for e in imported.rejected] == [
        (5, "amount", "amount-positive"), (6, "date", "date"), (7, "bank_reference", "bank-reference-unique")]
    assert world.app.get_aggregate(new.id, Invoice).paid_total == Decimal("1000.00")  # the invoice it names
    assert world.app.get_aggregate(old.id, Invoice).paid_total == Decimal("500.00")  # then oldest due first
    again = bank_statements.import_bank_statement(bank_statements.ImportBankStatement(
        filename="流水.csv", content=csv), world.uow())
    assert (again.created, world.app.get_aggregate(new.id, Invoice).paid_total) == (False, Decimal("1000.00"))
    matched = bank_statements.match_bank_line(bank_statements.MatchBankLine(
        statement_id=imported.statement.id, line_no=3, customer_id=HOSPITAL), world.uow())
    assert matched.lines[2]["matched_by"] == "review"
    assert world.app.get_aggregate(old.id, Invoice).paid_total == Decimal("580.00")
    with pytest.raises(RuleViolation) as elsewhere:
        bank_statements.match_bank_line(bank_statements.MatchBankLine(
            statement_id=imported.statement.id, line_no=3, customer_id=uuid4()), world.uow())
    assert elsewhere.value.rule == "registered-customer"


def test_the_two_invoice_chain_flags_a_missing_first_invoice_a_third_invoice_a_wrong_lot_and_too_many_units(world):
    from services.billing.application import two_invoices

    other_distributor = uuid4()
    ours = world.invoice(customer=HOSPITAL, distributor=DISTRIBUTOR, quantity=10)  # 10 stents of lot L1 to it
    elsewhere = world.invoice(customer=HOSPITAL, distributor=other_distributor, quantity=5)

    def second(number: str, *lines, distributor=DISTRIBUTOR):  # noqa: ANN002, ANN202
        found, _ = two_invoices.record_second_invoice(two_invoices.RecordSecondInvoice(
            distributor_id=distributor, number=number, hospital_id=HOSPITAL, issued_on=DAY, lines=tuple(
                {"gtin": STENT, "lot": lot, "quantity": q, "first_invoice_number": n} for n, lot, q in lines)),
            world.uow())
        world.seconds.append(found)
        return [line["flag"] for line in found.lines]

    assert second("H-1", (ours.number, "L1", 6), (ours.number, "L1", 4)) == [None, None]  # 10 of 10
    assert second("H-2", (ours.number, "L1", 1)) == ["quantity-exceeds-first-invoice"]  # 11 of 10
    assert second("H-3", (None, "L1", 1), ("INV-2026-999999", "L1", 1), (ours.number, "L9", 1)) == [
        "no-first-invoice", "no-first-invoice", "lot-not-on-first-invoice"]
    # Our invoice went to another distributor, which sold to this one: three invoices in all.
    assert second("H-4", (elsewhere.number, "L1", 1)) == ["third-invoice"]
    credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
        credit_note_id=uuid4(), invoice_id=ours.id, reason="return", full=False, lines=({"line_no": 1, "quantity": 1},),
        on=DAY), world.uow())
    world.seconds.clear()
    assert second("H-5", (ours.number, "L1", 10)) == ["quantity-exceeds-first-invoice"]  # one came back: 9 left
