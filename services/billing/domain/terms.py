"""When an invoice falls due: its payment terms come from the contract that priced the order when that contract is
with the party billed, else from the billed customer's credit terms (its default), else from billing's default
(BILLING_DEFAULT_PAYMENT_TERMS_DAYS). Pure."""

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID


@dataclass(frozen=True)
class PaymentTerms:
    days: int
    source: str  # contract:<id> | customer | default


def payment_terms(billed: UUID, contract: tuple[UUID, UUID, int] | None, customer_default: int | None,
                  default_days: int) -> PaymentTerms:
    """`contract`: (contract id, its customer, its payment terms in days), if a contract priced the order."""
    if contract is not None and contract[1] == billed:
        return PaymentTerms(contract[2], f"contract:{contract[0]}")
    if customer_default is not None:
        return PaymentTerms(customer_default, "customer")
    return PaymentTerms(default_days, "default")


def due_on(issued_on: date, terms: PaymentTerms) -> date:
    return issued_on + timedelta(days=terms.days)
