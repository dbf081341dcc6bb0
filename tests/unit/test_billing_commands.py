"""Billing's invoicing on eventsourcing's in-memory persistence, the orders' terms kept in the test: one invoice per
shipment at the agreed prices, raised once, waiting for terms not known yet; and the process manager that raises it
from inventory's ShipmentDispatched (the golden story's: 10 stents at 1,280.00, invoiced 14,464.00 with VAT)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.billing.application import BillingApplication, BillingUnitOfWork, credit_notes, invoicing
from services.billing.domain import AgreedTerms, Invoice, discount_lines, invoice_id_for
from services.billing.reactions import ShipmentInvoicer
from shared.domain.business_day import business_day
from shared.domain.rules import NotFound, RuleViolation
from shared.events import payload_of
from shared.platform.consumer import RetryLater
from tests.contract.golden import golden
from tests.unit.in_memory import in_memory

STENT, BALLOON = "09506000134352", "09506000134369"
O = UUID("0f4e1c2b-3a59-4d68-b7c6-a5f4e3d2c1b0")  # the golden story's order, shipped as S
S = UUID("c3b2a190-8f7e-4d6c-a5b4-93827160f5e4")


@dataclass
class KnownTerms:
    """What projections/order_terms.py would hold: the port, in memory."""

    terms: dict[UUID, AgreedTerms] = field(default_factory=lambda: {
        O: AgreedTerms("CNY", {STENT: Decimal("1280.00"), BALLOON: Decimal("33.35")})})

    defaults: dict[UUID, int] = field(default_factory=dict)  # customer -> payment terms days

    def agreed(self, order_id: UUID) -> AgreedTerms | None:
        return self.terms.get(order_id)

    def customer_payment_terms(self, customer_id: UUID) -> int | None:
        return self.defaults.get(customer_id)


@pytest.fixture
def terms() -> KnownTerms:
    return KnownTerms()


@pytest.fixture
def app():
    with in_memory(BillingApplication, "service:billing") as app:
        yield app


def stored(app: BillingApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=100))


def shipment(order_id: UUID = O, shipment_id: UUID = S, **options) -> invoicing.InvoiceShipment:  # noqa: ANN003
    lines = (invoicing.ShippedLine(gtin=STENT, lot="L1", quantity=10),
             invoicing.ShippedLine(gtin=BALLOON, lot="B1", quantity=3))
    return invoicing.InvoiceShipment(shipment_id=shipment_id, order_id=order_id, hospital_id=uuid4(), lines=lines,
                                     **options)


def test_a_shipment_is_invoiced_once_at_the_prices_its_order_agreed(app, terms):
    uow = BillingUnitOfWork(app, order_terms=terms)
    invoice, created = invoicing.invoice_shipment(shipment(), uow)
    assert (created, invoice.id, invoice.currency, invoice.bill_to_distributor_id) == (
        True, invoice_id_for(S), "CNY", None)
    assert [(line["gtin"], line["net_amount"], line["vat_amount"]) for line in invoice.lines] == [
        (STENT, Decimal("12800.00"), Decimal("1664.00")), (BALLOON, Decimal("100.05"), Decimal("13.01"))]
    assert invoice.gross_total == Decimal("14577.06")
    terms.terms[O] = AgreedTerms("CNY", {STENT: Decimal("1.00"), BALLOON: Decimal("1.00")})
    again, created_again = invoicing.invoice_shipment(shipment(), uow)  # delivered again: the first invoice stands
    assert (created_again, again.gross_total, stored(app)) == (False, Decimal("14577.06"), 1)
    assert invoicing.invoice(uow, invoice.id).gross_total == Decimal("14577.06")


def test_goods_through_a_distributor_are_invoiced_to_it(app, terms):
    distributor = uuid4()
    uow = BillingUnitOfWork(app, order_terms=terms)
    invoice, _ = invoicing.invoice_shipment(shipment(bill_to_distributor_id=distributor), uow)
    assert invoice.bill_to_distributor_id == distributor


def test_a_shipment_whose_order_terms_are_not_known_yet_waits_and_stores_nothing(app, terms):
    uow = BillingUnitOfWork(app, order_terms=terms)
    with pytest.raises(RetryLater):  # the partition waits; never a dead letter
        invoicing.invoice_shipment(shipment(order_id=uuid4()), uow)
    uow.rollback()
    with pytest.raises(NotFound):
        invoicing.invoice(uow, invoice_id_for(S))
    assert stored(app) == 0


def test_the_invoicer_raises_the_golden_invoice_from_the_golden_shipment_once_per_batch(app, terms):
    expected = golden("erp.billing.InvoiceRaised").data
    invoicer = ShipmentInvoicer(app, None, lambda deferred: BillingUnitOfWork(app, deferred=deferred,
                                                                             order_terms=terms))
    uow = invoicer.new_unit_of_work(True)
    shipped, received = golden("erp.inventory.ShipmentDispatched"), golden("erp.inventory.LotReceived")
    for envelope in (shipped, shipped, received):  # the same shipment twice in a batch: one invoice
        invoicer.react(envelope, payload_of(envelope), uow)
    assert uow.flush() is True
    invoice = app.get_aggregate(invoice_id_for(S), Invoice)
    assert (str(invoice.gross_total), str(invoice.vat_total), invoice.order_id) == (
        expected["gross_total"], expected["vat_total"], O)
    assert (invoice.number, invoice.issued_on, invoice.payment_terms_source) == (
        f"INV-{invoice.issued_on.year}-000001", business_day(payload_of(shipped).dispatched_at), "default")
    assert stored(app) == 3  # the series opened, its first number issued, the invoice raised


def test_a_rebate_approved_as_an_invoice_discount_is_taken_off_the_distributor_s_next_invoices_once(app, terms):
    distributor = uuid4()
    uow = BillingUnitOfWork(app, order_terms=terms)
    granted = invoicing.grant_rebate(invoicing.GrantRebate(distributor_id=distributor, settlement="A:RS-1",
                                                           amount=Decimal("15000.00")), uow)
    invoicing.grant_rebate(invoicing.GrantRebate(distributor_id=distributor, settlement="A:RS-1",
                                                 amount=Decimal("15000.00")), uow)  # redelivered: once
    assert granted.balance == Decimal("15000.00")
    first, _ = invoicing.invoice_shipment(shipment(bill_to_distributor_id=distributor), uow)
    # The invoice comes to 14,577.06: all of it is taken, rate by rate (both 13%), net and VAT split at that rate.
    assert [(d["vat_rate"], d["net_amount"], d["vat_amount"], d["gross_amount"]) for d in first.discounts] == [
        (Decimal("0.13"), Decimal("-12900.05"), Decimal("-1677.01"), Decimal("-14577.06"))]
    assert (first.net_total, first.vat_total, first.gross_total) == (Decimal("0.00"), Decimal("0.00"),
                                                                     Decimal("0.00"))
    second, _ = invoicing.invoice_shipment(shipment(shipment_id=uuid4(), bill_to_distributor_id=distributor), uow)
    assert [d["gross_amount"] for d in second.discounts] == [Decimal("-422.94")]  # what was left
    assert second.gross_total == Decimal("14577.06") - Decimal("422.94")
    assert second.vat_total == Decimal("1677.01") - (Decimal("422.94") - Decimal("374.28"))
    third, _ = invoicing.invoice_shipment(shipment(shipment_id=uuid4(), bill_to_distributor_id=distributor), uow)
    assert third.discounts == [] and third.gross_total == Decimal("14577.06")
    direct, _ = invoicing.invoice_shipment(shipment(shipment_id=uuid4()), uow)  # a hospital's: no rebate of its own
    assert direct.discounts == []


def test_a_full_credit_note_mirrors_the_invoice_with_its_discount_and_gives_the_rebate_back(app, terms):
    distributor = uuid4()
    uow = BillingUnitOfWork(app, order_terms=terms)
    invoicing.grant_rebate(invoicing.GrantRebate(distributor_id=distributor, settlement="A:RS-7",
                                                 amount=Decimal("1130.00")), uow)
    day = date(2026, 11, 30)
    invoice, _ = invoicing.invoice_shipment(shipment(bill_to_distributor_id=distributor, issued_on=day), uow)
    assert invoice.gross_total == Decimal("14577.06") - Decimal("1130.00")
    partial = credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
        credit_note_id=uuid4(), invoice_id=invoice.id, reason="return", lines=({"line_no": 1, "quantity": 1},),
        full=False, on=day), uow)
    assert "discounts" not in partial.credit_notes[0]  # a partial credit note leaves the 票折 on the invoice
    full = credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
        credit_note_id=uuid4(), invoice_id=invoice.id, reason="invoicing_error", lines=(), full=True,
        on=day), uow)
    red = full.credit_notes[1]
    assert [(d["net_amount"], d["vat_amount"], d["gross_amount"], d["settlements"]) for d in red["discounts"]] == [
        (Decimal("1000.00"), Decimal("130.00"), Decimal("1130.00"), ["A:RS-7"])]  # the discount line, in red
    # Together the credit notes take back exactly what the invoice charged: its VAT too, not the lines' VAT.
    assert (full.open_amount, full.credited_total) == (Decimal("0.00"), invoice.gross_total)
    assert sum((c["vat_total"] for c in full.credit_notes), Decimal(0)) == -invoice.vat_total
    allowance = invoicing.rebate_allowance(uow, distributor)
    assert (allowance.balance, allowance.open[0]["settlement"]) == (Decimal("1130.00"), red["number"])
    with pytest.raises(RuleViolation) as again:  # nothing left to credit: the discount is not reversed twice
        credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
            credit_note_id=uuid4(), invoice_id=invoice.id, reason="other", lines=(), full=True,
            on=day), uow)
    assert again.value.rule == "credit-note-line"
    next_one, _ = invoicing.invoice_shipment(shipment(shipment_id=uuid4(), bill_to_distributor_id=distributor,
                                                      issued_on=day), uow)
    assert [(d["gross_amount"], d["settlements"]) for d in next_one.discounts] == [
        (Decimal("-1130.00"), [red["number"]])]  # the rebate, deducted again, citing the credit note


def test_a_discount_never_takes_a_rate_below_zero_and_splits_each_rate_at_its_own_rate():
    lines = [{"vat_rate": Decimal("0.13"), "gross_amount": Decimal("113.00")},
             {"vat_rate": Decimal("0.06"), "gross_amount": Decimal("106.00")}]
    found = discount_lines(lines, Decimal("150.00"), ["A:RS-1"])
    assert [(d["vat_rate"], d["net_amount"], d["vat_amount"], d["gross_amount"]) for d in found] == [
        (Decimal("0.13"), Decimal("-100.00"), Decimal("-13.00"), Decimal("-113.00")),
        (Decimal("0.06"), Decimal("-34.91"), Decimal("-2.09"), Decimal("-37.00"))]
