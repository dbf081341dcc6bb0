"""Credit HTTP API: finance sets a customer's credit limit (with a reason); anyone allowed reads a customer's credit
explained component by component: the limit, open receivables, overdue, shipped not invoiced, open orders, what is
left."""

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.order.application import OrderUnitOfWork, credit, holds
from services.order.application.pricing import customer_of
from services.order.application.quoting import today
from shared.domain.money import MAX_DOCUMENT_AMOUNT
from shared.platform.access import COMPANY, permitted
from shared.platform.api import CallerScope, command_by, command_reason
from shared.platform.service_state import unit_of_work

router = APIRouter(tags=["credit"])
Work = Annotated[OrderUnitOfWork, Depends(unit_of_work)]
CreditCommand = command_by("credit:manage", scope="customer")
CreditGroupCommand = command_by("credit:manage", scope=COMPANY)  # a group spans customers: finance's, not a region's
CreditReader = permitted("credit:read", scope="customer")
Amount = Annotated[Decimal, Field(ge=0, le=MAX_DOCUMENT_AMOUNT, max_digits=15, decimal_places=2)]


class CreditLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    limit: Amount = Field(description="tax-inclusive exposure allowed")
    valid_from: date
    valid_to: date | None = None
    max_order_value: Amount | None = Field(None, gt=0, description="the largest single order allowed")
    overdue_days: int = Field(30, ge=0, le=3650, description="receivables more than this many days past due...")
    overdue_share_percent: Decimal = Field(Decimal("10"), ge=0, le=100, max_digits=5, decimal_places=2,
                                           description="...above this share of the open ones hold new orders")
    payment_terms_days: int = Field(90, ge=0, le=720, description="the customer's default: invoices fall due after"
                                                                 " it (public hospitals commonly 90-180)")
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class CreditOut(BaseModel):
    customer_id: UUID
    customer_name: str
    on: date
    currency: str
    limit: Decimal | None = Field(description="absent: not under credit management (orders are not checked)")
    in_force: bool
    terms: dict | None
    open_receivables: Decimal = Field(description="invoices raised and not yet paid, tax-inclusive")
    overdue: Decimal = Field(description="of those, more than overdue_days past due")
    shipped_not_invoiced: Decimal
    open_orders: Decimal = Field(description="value of what is ordered and not yet shipped")
    exposure: Decimal = Field(description="open receivables + shipped not invoiced + open orders")
    available: Decimal | None = Field(description="limit - exposure")


@router.put("/customers/{customer_id}/credit-limit", operation_id="set_credit_limit")
def set_credit_limit(customer_id: UUID, body: CreditLimitIn, meta: CreditCommand, uow: Work,
                     scope: CallerScope) -> CreditOut:
    """Set or change a customer's credit terms: each change is a new version, with its reason."""
    command_reason(body.reason, meta)
    credit.set_credit_limit(credit.SetCreditLimit(customer_id=customer_id, **body.model_dump(exclude={"reason"})),
                            uow, scope)
    return _credit_out(uow, customer_id, body.currency, scope)


@router.get("/customers/{customer_id}/credit", operation_id="get_credit")
def get_credit(customer_id: UUID, uow: Work, access: CreditReader,
               currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "CNY") -> CreditOut:
    """The customer's credit today, component by component (a hospital, or a distributor: the party billed)."""
    return _credit_out(uow, customer_id, currency, access.scope)


def _credit_out(uow: OrderUnitOfWork, customer_id: UUID, currency: str, scope) -> CreditOut:  # noqa: ANN001
    customer = customer_of(uow.price_facts, customer_id, scope)
    day = today()
    position = credit.position(uow, customer_id, currency, day)
    exposure, limit = position.exposure, position.limit
    return CreditOut(customer_id=customer_id, customer_name=customer.name, on=day,
                     currency=limit.terms["currency"] if limit else currency,
                     limit=limit.terms["limit"] if limit else None, in_force=bool(limit and limit.in_force(day)),
                     terms=limit.terms if limit else None, open_receivables=exposure.open_receivables,
                     overdue=exposure.overdue, shipped_not_invoiced=exposure.shipped_not_invoiced,
                     open_orders=exposure.open_orders, exposure=exposure.total, available=position.available)


class CreditGroupIn(CreditLimitIn):
    name: str = Field(min_length=1, max_length=200, description="e.g. 华西医院集团, 华东医疗及其分公司")
    members: list[UUID] = Field(min_length=1, max_length=100, description="hospitals and distributors in the group")


class CreditGroupOut(BaseModel):
    group_id: UUID
    name: str
    members: list[UUID]
    terms: dict
    version: int


@router.put("/credit-groups/{group_id}", operation_id="set_credit_group")
def set_credit_group(group_id: UUID, body: CreditGroupIn, meta: CreditGroupCommand, uow: Work,
                     scope: CallerScope) -> CreditGroupOut:
    """Set or change a credit group (集团授信): its members' exposures add up against its limit, and every member's
    order is checked against it as well as against the member's own limit. With a reason; each change a version."""
    command_reason(body.reason, meta)
    group = credit.set_credit_group(credit.SetCreditGroup(
        customer_id=group_id, members=tuple(body.members), **body.model_dump(exclude={"reason", "members"})), uow, scope)
    return CreditGroupOut(group_id=group_id, name=group.terms["group_name"], members=group.terms["members"],
                          terms=group.terms, version=group.version)


class ExpiredReleasesOut(BaseModel):
    held: list[UUID] = Field(description="the orders back on a credit hold")


@router.post("/credit-releases/expire", operation_id="expire_credit_releases")
def expire_credit_releases(meta: CreditGroupCommand, uow: Work) -> ExpiredReleasesOut:
    """Check again the orders whose credit release has expired and that still have something to ship: one the
    customer's credit no longer covers goes back on a credit hold (its dispatch stops). Run it daily (cron); the
    reason is the request's (default: the release expired)."""
    command_reason(meta.reason or "credit release expired", meta)
    held = holds.expire_credit_releases(holds.ExpireCreditReleases(today=today()), uow)
    return ExpiredReleasesOut(held=[order.id for order in held])
