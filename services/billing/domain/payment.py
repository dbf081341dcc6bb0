"""Payments received (收款) and their allocation to invoices. A payment is the customer's money in the customer's
account currency: one in another currency is booked at the rate given with it (refused without one). Allocated to
the customer's own invoices, explicitly or oldest due first, in part or in whole; what is not allocated stays on the
account as unapplied cash. A payment reversed (a bounced transfer) takes back every allocation it made, with a
reason. Pure."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

CENT = Decimal("0.01")


def booked_amount(amount: Decimal, currency: str, account_currency: str, rate: Decimal | None) -> Decimal:
    """The payment in the account's currency."""
    if currency == account_currency:
        return amount
    if rate is None or rate <= 0:
        raise RuleViolation("payment-exchange-rate", f"a payment in {currency} to an account in {account_currency}"
                            " needs the exchange rate it was booked at", "exchange_rate")
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


class Payment(TracedAggregate):
    @event("Received")
    def __init__(self, payment_id: UUID, customer_id: UUID, amount: Decimal, currency: str, received_on: date, bank_reference: str,
                 payer: str, booked: Decimal, account_currency: str, exchange_rate: Decimal | None = None,
                 source: str = "manual") -> None:
        self.customer_id, self.amount, self.currency, self.received_on = customer_id, amount, currency, received_on
        self.bank_reference, self.payer, self.source = bank_reference, payer, source
        self.booked, self.account_currency, self.exchange_rate = booked, account_currency, exchange_rate
        self.allocations: dict[str, Decimal] = {}  # invoice id -> amount
        self.reversed = False

    @classmethod
    def receive(cls, payment_id: UUID, customer_id: UUID, amount: Decimal, currency: str, received_on: date,
                bank_reference: str, payer: str, account_currency: str, exchange_rate: Decimal | None = None,
                source: str = "manual") -> "Payment":
        if amount <= 0:
            raise RuleViolation("payment-amount", "a payment is above 0", "amount")
        booked = booked_amount(amount, currency, account_currency, exchange_rate)
        return cls(payment_id=payment_id, customer_id=customer_id, amount=amount, currency=currency, received_on=received_on,
                   bank_reference=bank_reference, payer=payer, booked=booked, account_currency=account_currency,
                   exchange_rate=exchange_rate if currency != account_currency else None, source=source)

    @staticmethod
    def create_id(payment_id: UUID) -> UUID:
        return payment_id

    @property
    def unapplied(self) -> Decimal:
        return Decimal("0.00") if self.reversed else self.booked - sum(self.allocations.values(), Decimal("0.00"))

    def allocate(self, invoice_id: UUID, invoice_customer: UUID, amount: Decimal, on: date) -> None:
        """Allocate part of the payment to one of the customer's invoices (the invoice checks what it has open)."""
        if self.reversed:
            raise RuleViolation("payment-reversed", "a reversed payment pays nothing", "payment_id")
        if invoice_customer != self.customer_id:
            raise RuleViolation("allocation-same-customer", "a payment pays only its customer's invoices",
                                "invoice_id", invoice_id=str(invoice_id))
        if amount <= 0:
            raise RuleViolation("allocation-amount", "an allocation is above 0", "amount")
        if amount > self.unapplied:
            raise RuleViolation("allocation-over-payment", f"the payment has {self.unapplied} unapplied, not {amount}",
                                "amount", unapplied=str(self.unapplied))
        self._allocated(invoice_id=invoice_id, amount=amount, allocated_on=on)

    @event("Allocated")
    def _allocated(self, invoice_id: UUID, amount: Decimal, allocated_on: date) -> None:
        allocations = dict(self.allocations)
        allocations[str(invoice_id)] = allocations.get(str(invoice_id), Decimal("0.00")) + amount
        self.allocations = allocations

    def reverse(self, reason: str, on: date) -> list[dict[str, Any]]:
        """Reverse the payment (bounced): its allocations are taken back; what they were (empty when reversed
        already, a retry)."""
        if self.reversed:
            return []
        taken_back = [{"invoice_id": UUID(k), "amount": v} for k, v in self.allocations.items()]
        self._reversed(reason=reason, reversed_on=on, allocations=taken_back)
        return taken_back

    @event("Reversed")
    def _reversed(self, reason: str, reversed_on: date, allocations: list[dict[str, Any]]) -> None:
        self.reversed = True
