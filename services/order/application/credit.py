"""Credit limits (set by finance, every change with a reason) and the credit check an order runs when it is placed
(domain/credit.py): exposure from the order service's read model of orders, shipments and invoices."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.order.application import OrderUnitOfWork
from services.order.application.pricing import customer_of
from services.order.domain.credit import (
    CreditLimit, Exposure, check_credit_terms, credit_group_limit_id_for, credit_limit_id_for, credit_problems,
)
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.command import Command


class SetCreditLimit(Command):
    customer_id: UUID
    currency: str
    limit: Decimal
    valid_from: date
    valid_to: date | None = None
    max_order_value: Decimal | None = None
    overdue_days: int = 30
    overdue_share_percent: Decimal = Decimal("10")
    payment_terms_days: int = 90


def set_credit_limit(command: SetCreditLimit, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> CreditLimit:
    """Set or change a customer's credit terms (the same terms again record nothing)."""
    customer_of(uow.price_facts, command.customer_id, scope)
    return _saved(uow, credit_limit_id_for(command.customer_id), command.customer_id, _terms_of(command))


def _terms_of(command: SetCreditLimit) -> dict[str, Any]:
    terms = {"currency": command.currency, "limit": command.limit, "valid_from": command.valid_from,
             "valid_to": command.valid_to, "max_order_value": command.max_order_value,
             "overdue_days": command.overdue_days, "overdue_share_percent": command.overdue_share_percent,
             "payment_terms_days": command.payment_terms_days}
    check_credit_terms(terms)
    return terms


def _saved(uow: OrderUnitOfWork, limit_id: UUID, customer_id: UUID, terms: dict[str, Any]) -> CreditLimit:
    limit = uow.get(limit_id, CreditLimit)
    if limit is None:
        limit = CreditLimit(customer_id=customer_id, terms=terms)
        uow.collect(limit)
    elif limit.change(terms):
        uow.collect(limit)
    uow.commit()
    return limit


@dataclass(frozen=True)
class CreditPosition:
    """A customer's credit as the check sees it on a day: the limit (if any), the exposure, what is left."""

    customer_id: UUID
    limit: CreditLimit | None
    exposure: Exposure
    day: date

    @property
    def available(self) -> Decimal | None:
        return None if self.limit is None else self.limit.terms["limit"] - self.exposure.total


def position(uow: OrderUnitOfWork, customer_id: UUID, currency: str, day: date) -> CreditPosition:
    limit = uow.get(credit_limit_id_for(customer_id), CreditLimit)
    terms = limit.terms if limit is not None else {"payment_terms_days": 90, "overdue_days": 30}
    exposure = uow.credit_facts.exposure(customer_id, limit.terms["currency"] if limit else currency, day,
                                         terms["payment_terms_days"], terms["overdue_days"])
    return CreditPosition(customer_id, limit, exposure, day)


def check(uow: OrderUnitOfWork, customer_id: UUID, currency: str, order_value: Decimal, day: date) -> list[str]:
    """Why an order of this value must wait for finance (empty: it may proceed): the customer's own limit, and each
    credit group's it belongs to. An order in another currency than a limit is held too: its exposure cannot be
    judged. A customer under neither is not under credit management."""
    problems = []
    if uow.get(credit_limit_id_for(customer_id), CreditLimit) is not None:
        credit = position(uow, customer_id, currency, day)
        problems += _judged(credit.limit, credit.exposure, currency, order_value, day)  # type: ignore[arg-type]
    for group_id in uow.credit_facts.groups_of(customer_id):
        group = uow.get(credit_group_limit_id_for(group_id), CreditLimit)
        if group is None or str(customer_id) not in {str(m) for m in group.terms.get("members") or []}:
            continue  # the read model lags a change of members: the group's own terms decide
        terms = group.terms
        exposure = sum((uow.credit_facts.exposure(UUID(str(member)), terms["currency"], day,
                                                  terms["payment_terms_days"], terms["overdue_days"])
                        for member in terms["members"]), Exposure())
        problems += [f"{p.split(': ', 1)[0]}: credit group {terms['group_name']}: {p.split(': ', 1)[1]}"
                     for p in _judged(group, exposure, currency, order_value, day)]
    return problems


def _judged(limit: CreditLimit, exposure: Exposure, currency: str, order_value: Decimal, day: date) -> list[str]:
    if limit.terms["currency"] != currency:
        return [f"credit-currency: the credit limit is in {limit.terms['currency']}, the order in {currency}"]
    return credit_problems(limit, exposure, order_value, day)


class SetCreditGroup(SetCreditLimit):
    """A credit group's terms: `customer_id` is the group's id."""

    name: str
    members: tuple[UUID, ...]


def set_credit_group(command: SetCreditGroup, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> CreditLimit:
    """Set or change a credit group's members and terms (the same again records nothing). Each member is a known
    hospital or distributor."""
    for member in command.members:
        customer_of(uow.price_facts, member, scope)
    terms = {**_terms_of(command), "group_name": command.name, "members": sorted({str(m) for m in command.members})}
    return _saved(uow, credit_group_limit_id_for(command.customer_id), command.customer_id, terms)
