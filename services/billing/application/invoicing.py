"""Invoicing: one invoice per shipment, priced at the unit prices its order agreed, raised once (the invoice's id
comes from the shipment's, so an event delivered again finds the invoice it raised)."""

from dataclasses import asdict, dataclass
from decimal import Decimal
from uuid import UUID

from services.billing.application import BillingUnitOfWork
from services.billing.domain import (
    Invoice, RebateAllowance, allowance_id_for, discount_lines, invoice_id_for, price_lines,
)
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


def invoice_shipment(command: InvoiceShipment, uow: BillingUnitOfWork) -> tuple[Invoice, bool]:
    """The shipment's invoice, and whether this command raised it (False: it was raised before)."""
    def raise_invoice() -> Invoice:
        terms = uow.order_terms.agreed(command.order_id)
        if terms is None:
            raise OrderTermsNotYetKnownError(f"order {command.order_id} of shipment {command.shipment_id}")
        lines = price_lines([asdict(line) for line in command.lines], terms.unit_prices, terms.vat_rates)
        discounts = _rebate_discounts(uow, invoice_id_for(command.shipment_id), command.bill_to_distributor_id, lines)
        return Invoice.raise_for(command.shipment_id, command.order_id, command.hospital_id, terms.currency, lines,
                                 command.bill_to_distributor_id, discounts)

    return create_once(uow, invoice_id_for(command.shipment_id), Invoice, raise_invoice)


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
