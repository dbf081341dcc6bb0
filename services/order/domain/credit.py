"""Credit control: a credit limit per customer (the party billed: the distributor for goods delivered through one,
else the hospital), and the checks an order must pass or wait on a `credit` hold for finance.

Exposure = open receivables (invoices raised, not yet paid) + shipped, not yet invoiced + open (unshipped) order
value, all tax-inclusive (ARCHITECTURE.md: SAP counts the same). The checks, each a named reason:
- `credit-limit-exceeded`: exposure plus this order above the limit;
- `credit-overdue`: receivables more than `overdue_days` past due above `overdue_share_percent` of the open ones;
- `credit-max-order-value`: this order alone above the largest single order allowed;
- `credit-limit-not-in-force`: the customer has a limit, but none valid on the day.
A customer without any credit limit is not under credit management: its orders are not checked.

A credit group (集团授信: a hospital group, a distributor and its branches) has a limit of its own: its members'
exposures add up against it, and an order of any member is checked against the group's limit too.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate


def credit_limit_id_for(customer_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:credit-limit:{customer_id}")


def credit_group_limit_id_for(group_id: UUID) -> UUID:
    """A group's limit lives apart from any customer's: a group id can never overwrite a customer's limit."""
    return uuid5(NAMESPACE_URL, f"erp:credit-group:{group_id}")


class CreditLimit(TracedAggregate):
    """A customer's credit terms: each change a new version with its actor and reason."""

    @event("Set")
    def __init__(self, customer_id: UUID, terms: dict[str, Any]) -> None:
        self.customer_id, self.terms = customer_id, terms
        self.history: list[dict[str, Any]] = []

    @staticmethod
    def create_id(customer_id: UUID, terms: dict[str, Any]) -> UUID:
        return credit_group_limit_id_for(customer_id) if terms.get("members") is not None else \
            credit_limit_id_for(customer_id)

    def change(self, terms: dict[str, Any]) -> bool:
        """False when the terms are already so (a retry)."""
        if terms == self.terms:
            return False
        self._changed(customer_id=self.customer_id, terms=terms)
        return True

    @event("Changed")
    def _changed(self, customer_id: UUID, terms: dict[str, Any]) -> None:
        self.history.append(self.terms)
        self.terms = terms

    def in_force(self, day: date) -> bool:
        return self.terms["valid_from"] <= day and (self.terms["valid_to"] is None or day <= self.terms["valid_to"])


def check_credit_terms(terms: dict[str, Any]) -> None:
    if terms["valid_to"] is not None and terms["valid_to"] < terms["valid_from"]:
        raise RuleViolation("valid-period", f"valid_to {terms['valid_to']} is before valid_from"
                            f" {terms['valid_from']}", "valid_to")


@dataclass(frozen=True)
class Exposure:
    """What a customer owes or has committed, tax-inclusive, in the limit's currency."""

    open_receivables: Decimal = Decimal(0)
    overdue: Decimal = Decimal(0)  # of the open receivables: more than the limit's overdue_days past due
    shipped_not_invoiced: Decimal = Decimal(0)
    open_orders: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.open_receivables + self.shipped_not_invoiced + self.open_orders

    def __add__(self, other: "Exposure") -> "Exposure":
        return Exposure(self.open_receivables + other.open_receivables, self.overdue + other.overdue,
                        self.shipped_not_invoiced + other.shipped_not_invoiced, self.open_orders + other.open_orders)


class CreditFacts(Protocol):
    """The port the handlers ask (queries.py answers it on the read model credit_exposure.py)."""

    def exposure(self, customer_id: UUID, currency: str, day: date, payment_terms_days: int,
                 overdue_days: int) -> Exposure: ...
    def groups_of(self, customer_id: UUID) -> list[UUID]: ...
    def lapsed_credit_releases(self, day: date, limit: int = 500) -> list[UUID]: ...


def credit_problems(limit: CreditLimit | None, exposure: Exposure, order_value: Decimal, day: date) -> list[str]:
    """Why the order must wait for finance (empty: it may proceed)."""
    if limit is None:
        return []
    terms = limit.terms
    if not limit.in_force(day):
        return [f"credit-limit-not-in-force: the customer's credit limit is valid from {terms['valid_from']} to"
                f" {terms['valid_to'] or 'open end'}, not on {day}"]
    problems = []
    if exposure.total + order_value > terms["limit"]:
        problems.append(f"credit-limit-exceeded: exposure {exposure.total} plus this order {order_value} is above the"
                        f" limit {terms['limit']}")
    if terms.get("max_order_value") is not None and order_value > terms["max_order_value"]:
        problems.append(f"credit-max-order-value: this order {order_value} is above the largest single order"
                        f" {terms['max_order_value']}")
    share = terms["overdue_share_percent"]
    if exposure.open_receivables > 0 and exposure.overdue * 100 > share * exposure.open_receivables:
        problems.append(f"credit-overdue: {exposure.overdue} of the open receivables {exposure.open_receivables} is"
                        f" more than {terms['overdue_days']} days past due, above {share}%")
    return problems
