"""Rebates settled as invoice discounts (票折): what a distributor is owed, deducted from its next invoices.

Channel approves a settlement (RebateSettlementApproved, mode invoice_discount); billing grants it to the
distributor's allowance, once per settlement. Each invoice billed to the distributor afterwards carries a discount
of up to what the allowance holds and what the invoice can bear (never below zero), one negative line per VAT rate:
a 票折 reduces the invoice's VAT base, so the discount's VAT is taken off too. The allowance and the invoice are saved
in one transaction, so an amount is deducted once.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate

CENT = Decimal("0.01")


def allowance_id_for(distributor_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:rebate-allowance:{distributor_id}")


def discount_lines(lines: list[dict[str, Any]], amount: Decimal, settlements: list[str]) -> list[dict[str, Any]]:
    """Up to `amount` (tax-inclusive) off the invoice's lines, rate by rate in the order the lines come, each rate's
    discount at most what its lines come to: the tax-inclusive part split into net and VAT at that rate (net rounded
    half up to the cent, VAT the rest, so that net + VAT is exactly the discount)."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        by_rate[line["vat_rate"]] = by_rate.get(line["vat_rate"], Decimal("0.00")) + line["gross_amount"]
    found, remaining = [], amount
    for rate, gross in by_rate.items():
        take = min(remaining, gross)
        if take <= 0:
            continue
        net = (take / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
        found.append({"vat_rate": rate, "net_amount": -net, "vat_amount": -(take - net), "gross_amount": -take,
                      "settlements": settlements})
        remaining -= take
    return found


class RebateAllowance(TracedAggregate):
    @event("Opened")
    def __init__(self, distributor_id: UUID) -> None:
        self.distributor_id = distributor_id
        self.open: list[dict[str, Any]] = []  # granted settlements with what is left of each, oldest first
        self.granted: list[str] = []

    @staticmethod
    def create_id(distributor_id: UUID) -> UUID:
        return allowance_id_for(distributor_id)

    @property
    def balance(self) -> Decimal:
        return sum((s["left"] for s in self.open), Decimal("0.00"))

    def grant(self, settlement: str, amount: Decimal) -> bool:
        """Add an approved settlement; the same one again (a redelivered event) adds nothing (False)."""
        if settlement in self.granted:
            return False
        self._granted(distributor_id=self.distributor_id, settlement=settlement, amount=amount)
        return True

    @event("Granted")
    def _granted(self, distributor_id: UUID, settlement: str, amount: Decimal) -> None:
        self.granted = [*self.granted, settlement]
        self.open = [*self.open, {"settlement": settlement, "left": amount}]

    def settlements_for(self, amount: Decimal) -> list[str]:
        """The settlements `amount` would be taken from, oldest first."""
        taken, remaining = [], amount
        for s in self.open:
            if remaining <= 0:
                break
            taken.append(s["settlement"])
            remaining -= s["left"]
        return taken

    def apply(self, invoice_id: UUID, amount: Decimal) -> None:
        """Deduct what an invoice's discount took, oldest settlement first."""
        self._applied(distributor_id=self.distributor_id, invoice_id=invoice_id, amount=amount,
                      settlements=self.settlements_for(amount))

    @event("Applied")
    def _applied(self, distributor_id: UUID, invoice_id: UUID, amount: Decimal, settlements: list[str]) -> None:
        remaining, kept = amount, []
        for s in self.open:
            take = min(remaining, s["left"])
            remaining -= take
            if s["left"] - take > 0:
                kept.append({**s, "left": s["left"] - take})
        self.open = kept

    def restore(self, invoice_id: UUID, credit_note_number: str, amount: Decimal) -> None:
        """A full credit note reversed an invoice's discount: the amount is owed again, and deducted first."""
        self._restored(distributor_id=self.distributor_id, invoice_id=invoice_id,
                       credit_note_number=credit_note_number, amount=amount)

    @event("Restored")
    def _restored(self, distributor_id: UUID, invoice_id: UUID, credit_note_number: str, amount: Decimal) -> None:
        # Cited by the invoices that deduct it as the credit note, which cites the invoice and its settlements.
        self.open = [{"settlement": credit_note_number, "left": amount}, *self.open]
