"""Payments (收款): recorded with the bank's reference, allocated to the customer's invoices — named, or oldest due
first — in part or in whole, the rest left on the account; reversed (bounced) with a reason, every allocation taken
back. A payment and the invoices it pays are saved in one transaction."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from services.billing.application import BillingUnitOfWork
from services.billing.application.invoicing import invoice
from services.billing.domain import Invoice, Payment
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class RecordPayment(Command):
    payment_id: UUID
    customer_id: UUID
    amount: Decimal
    currency: str
    received_on: date
    bank_reference: str
    payer: str
    exchange_rate: Decimal | None = None
    source: str = "manual"


def record_payment(command: RecordPayment, uow: BillingUnitOfWork) -> tuple[Payment, bool]:
    rate = command.exchange_rate
    if rate is not None and rate > uow.settings.max_exchange_rate:
        raise RuleViolation("payment-exchange-rate", f"a rate above {uow.settings.max_exchange_rate} is refused as"
                            " a typo", "exchange_rate")
    return create_once(uow, command.payment_id, Payment, lambda: Payment.receive(
        command.payment_id, command.customer_id, command.amount, command.currency, command.received_on,
        command.bank_reference, command.payer, uow.settings.account_currency, rate, command.source))


class AllocatePayment(Command):
    payment_id: UUID
    allocations: tuple[tuple[UUID, Decimal], ...]  # (invoice id, amount); empty: oldest due first
    on: date


def allocate_payment(command: AllocatePayment, uow: BillingUnitOfWork) -> Payment:
    """Allocate what is named, or (nothing named) what the payment has unapplied to the customer's open invoices,
    oldest due first, each as far as it is open. Refused whole (nothing stored) when any allocation is."""
    payment = payment_of(uow, command.payment_id)
    if command.allocations:
        for n, (invoice_id, amount) in enumerate(command.allocations):
            try:
                target = invoice(uow, invoice_id)
            except NotFound:
                raise InvalidReference(f"allocations[{n}].invoice_id", "known-invoice", "name an invoice of the"
                                       " payment's customer", f"no invoice {invoice_id}") from None
            _allocate(payment, target, amount, command.on, uow)
    else:
        for invoice_id in uow.receivables.open_invoices(payment.customer_id, payment.account_currency):
            target = uow.get(invoice_id, Invoice)
            amount = min(payment.unapplied, target.open_amount) if target is not None else Decimal(0)
            if amount > 0:
                _allocate(payment, target, amount, command.on, uow)  # type: ignore[arg-type]
            if payment.unapplied <= 0:
                break
    uow.commit()
    return payment


def _allocate(payment: Payment, target: Invoice, amount: Decimal, on: date, uow: BillingUnitOfWork) -> None:
    if target.currency != payment.account_currency:
        raise RuleViolation("allocation-currency", f"invoice {target.number} is in {target.currency}, the payment"
                            f" booked in {payment.account_currency}", "invoice_id")
    # Money received before the invoice was issued pays it from the day it was issued (a prepayment).
    on = max(on, target.issued_on) if target.issued_on else on
    payment.allocate(target.id, target.customer_id, amount, on)
    target.apply_payment(payment.id, amount, on)
    uow.collect(payment)
    uow.collect(target)


class ReversePayment(Command):
    payment_id: UUID
    reason: str
    on: date


def reverse_payment(command: ReversePayment, uow: BillingUnitOfWork) -> Payment:
    payment = payment_of(uow, command.payment_id)
    if payment.reversed:
        return payment  # a retry
    taken_back = payment.reverse(command.reason, command.on)
    uow.collect(payment)
    for allocation in taken_back:
        paid = uow.get(allocation["invoice_id"], Invoice)
        if paid is not None and paid.unapply_payment(payment.id, command.reason, command.on):
            uow.collect(paid)
    uow.commit()
    return payment


def payment_of(uow: BillingUnitOfWork, payment_id: UUID) -> Payment:
    found = uow.get(payment_id, Payment)
    if found is None:
        raise NotFound("Payment", payment_id)
    return found
