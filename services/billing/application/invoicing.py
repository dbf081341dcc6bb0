"""Invoicing: one invoice per shipment, priced at the unit prices its order agreed, raised once (the invoice's id
comes from the shipment's, so an event delivered again finds the invoice it raised), numbered from the gap-free
series of its year, issued on the business day in China the goods left, due after the payment terms
(domain/terms.py)."""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from services.billing.application import BillingUnitOfWork
from services.billing.domain import (
    DocumentSeries, Invoice, RebateAllowance, allowance_id_for, discount_lines, invoice_id_for, price_lines,
    series_name,
)
from services.billing.domain.terms import due_on, payment_terms
from shared.domain.rules import NotFound
from shared.platform.consumer import RetryLater
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork
from shared.platform.command import Command


class OrderTermsNotYetKnownError(RetryLater):
    """The shipment arrived before its order's terms: retried (the partition waits) until they arrive."""


@dataclass(frozen=True, kw_only=True)
class ShippedLine:
    gtin: str
    lot: str
    quantity: int


class InvoiceShipment(Command):
    shipment_id: UUID
    order_id: UUID
    hospital_id: UUID  # the hospital the goods are for
    lines: tuple[ShippedLine, ...]
    # Goods delivered through a distributor are invoiced to it (两票制: it invoices the hospital in turn).
    bill_to_distributor_id: UUID | None = None
    issued_on: date | None = None  # the business day in China the goods left (absent: numbered without terms)


def invoice_shipment(command: InvoiceShipment, uow: BillingUnitOfWork) -> tuple[Invoice, bool]:
    """The shipment's invoice, and whether this command raised it (False: it was raised before)."""
    def raise_invoice() -> Invoice:
        terms = uow.order_terms.agreed(command.order_id)
        if terms is None:
            raise OrderTermsNotYetKnownError(f"order {command.order_id} of shipment {command.shipment_id}")
        lines = price_lines([asdict(line) for line in command.lines], terms.unit_prices, terms.vat_rates)
        invoice_id = invoice_id_for(command.shipment_id)
        discounts = _rebate_discounts(uow, invoice_id, command.bill_to_distributor_id, lines)
        if command.issued_on is None:
            return Invoice.raise_for(command.shipment_id, command.order_id, command.hospital_id, terms.currency,
                                     lines, command.bill_to_distributor_id, discounts)
        billed = command.bill_to_distributor_id or command.hospital_id
        agreed = payment_terms(billed, terms.contract, uow.order_terms.customer_payment_terms(billed),
                               uow.settings.default_payment_terms_days)
        return Invoice.raise_for(command.shipment_id, command.order_id, command.hospital_id, terms.currency, lines,
                                 command.bill_to_distributor_id, discounts,
                                 number=take_number(uow, "invoice", invoice_id, command.issued_on),
                                 issued_on=command.issued_on, due_on=due_on(command.issued_on, agreed),
                                 payment_terms_days=agreed.days, payment_terms_source=agreed.source)

    return create_once(uow, invoice_id_for(command.shipment_id), Invoice, raise_invoice)


def take_number(uow: UnitOfWork, kind: str, document_id: UUID, on: date) -> str:
    """The document's number from the series of its kind and year, collected with the document (one transaction:
    the series and the document are saved together, or neither)."""
    name = series_name(kind, on.year)
    series = uow.get(DocumentSeries.create_id(name), DocumentSeries) or DocumentSeries(series=name)
    number, issued = series.number_for(document_id)
    if issued:
        uow.collect(series)
    return number


def _rebate_discounts(uow: BillingUnitOfWork, invoice_id: UUID, distributor_id: UUID | None,
                      lines: list[dict]) -> list[dict]:
    """The distributor's rebates approved as 票折, deducted from this invoice as far as it bears them; the allowance
    is saved with the invoice (one transaction: deducted once)."""
    allowance = uow.get(allowance_id_for(distributor_id), RebateAllowance) if distributor_id else None
    if allowance is None or allowance.balance <= 0:
        return []
    discounts = discount_lines(lines, allowance.balance, ["?"])
    applied = -sum((d["gross_amount"] for d in discounts), Decimal("0.00"))
    if applied <= 0:
        return []
    settlements = allowance.settlements_for(applied)
    allowance.apply(invoice_id, applied)
    uow.collect(allowance)
    return [{**d, "settlements": settlements} for d in discounts]


class GrantRebate(Command):
    distributor_id: UUID
    settlement: str  # account:settlement number
    amount: Decimal


def grant_rebate(command: GrantRebate, uow: UnitOfWork) -> RebateAllowance:
    """A rebate settlement approved as 票折 joins the distributor's allowance, once."""
    allowance = uow.get(allowance_id_for(command.distributor_id), RebateAllowance) or RebateAllowance(
        distributor_id=command.distributor_id)
    if allowance.grant(command.settlement, command.amount):
        uow.collect(allowance)
    uow.commit()
    return allowance


def invoice(uow: UnitOfWork, invoice_id: UUID) -> Invoice:
    found = uow.get(invoice_id, Invoice)
    if found is None:
        raise NotFound("Invoice", invoice_id)
    return found


def rebate_allowance(uow: UnitOfWork, distributor_id: UUID) -> RebateAllowance | None:
    return uow.get(allowance_id_for(distributor_id), RebateAllowance)
