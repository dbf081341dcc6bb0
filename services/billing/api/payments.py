"""Payments (收款): recorded by finance with the bank's reference, allocated to the customer's invoices — named, or
oldest due first — and reversed with a reason when they bounce (application/payments.py); listed and read with
what they paid."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.billing import queries
from services.billing.application import BillingUnitOfWork, payments
from shared.domain.business_day import CHINA
from shared.domain.text import Name, Reason, Reference
from shared.platform.access import permitted
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["payments"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]
PaymentCommand = command_by("payment:record", scope="customer")
AllocationCommand = command_by("payment:allocate", scope="customer")
PaymentReader = permitted("invoice:read", scope="customer")


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer_id: UUID = Field(description="the hospital or distributor that paid")
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    exchange_rate: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=8,
                                          description="to the account's currency, when paid in another")
    received_on: date
    bank_reference: Reference
    payer: Name = Field(description="the payer's name as the bank statement shows it")
    allocate: bool = Field(True, description="allocate it at once to the oldest due invoices (else: later)")


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: UUID
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)


class AllocationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allocations: list[AllocationIn] = Field(default_factory=list, max_length=500,
                                            description="what to pay of which invoice; empty: oldest due first")


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Reason | None = Field(None, description="why (or X-Reason), e.g. 退票: the transfer bounced")


class PaymentOut(BaseModel):
    payment_id: UUID
    customer_id: UUID
    amount: Decimal
    currency: str
    exchange_rate: Decimal | None
    booked: Decimal = Field(description="in the account's currency")
    received_on: date
    bank_reference: str
    payer: str
    allocations: dict[UUID, Decimal] = Field(description="invoice id -> amount")
    unapplied: Decimal = Field(description="left on the account")
    reversed: bool


class PaymentRow(BaseModel):
    payment_id: UUID
    customer_id: UUID
    customer_name: str | None
    currency: str
    booked: Decimal
    allocated: Decimal
    unapplied: Decimal
    bank_reference: str
    payer: str
    received_on: date
    reversed: bool


def _out(p: payments.Payment) -> PaymentOut:
    return PaymentOut(payment_id=p.id, customer_id=p.customer_id, amount=p.amount, currency=p.currency,
                      exchange_rate=p.exchange_rate, booked=p.booked, received_on=p.received_on,
                      bank_reference=p.bank_reference, payer=p.payer,
                      allocations={UUID(k): v for k, v in p.allocations.items()}, unapplied=p.unapplied,
                      reversed=p.reversed)


def _today() -> date:
    return datetime.now(CHINA).date()


@router.post("/payments", status_code=status.HTTP_201_CREATED, operation_id="record_payment", responses=REPLAYED)
def record_payment(body: PaymentIn, response: Response, meta: PaymentCommand, uow: Work, read: Reads,
                   scope: CallerScope, idempotency_key: IdempotencyKey = None) -> PaymentOut:
    """Record money received; allocated at once to the customer's oldest due invoices unless `allocate` is false.
    A payment in another currency than the account's needs its `exchange_rate` (409 `payment-exchange-rate`)."""
    queries.customer_within(read, scope, body.customer_id)
    payment, created = payments.record_payment(payments.RecordPayment(
        payment_id=new_aggregate_id("payment", meta.actor, idempotency_key), customer_id=body.customer_id,
        amount=body.amount, currency=body.currency, received_on=body.received_on, bank_reference=body.bank_reference,
        payer=body.payer, exchange_rate=body.exchange_rate), uow)
    if created and body.allocate:
        payment = payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(),
                                                                     on=body.received_on), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(payment)


@router.post("/payments/{payment_id}/allocations", operation_id="allocate_payment")
def allocate_payment(payment_id: UUID, body: AllocationsIn, meta: AllocationCommand, uow: Work, read: Reads,
                     scope: CallerScope) -> PaymentOut:
    """Allocate what the payment has unapplied: to the invoices named (each no more than it has open, all of them no
    more than the payment has left: 409, nothing stored), or to the oldest due first."""
    found = payments.payment_of(uow, payment_id)
    queries.customer_within(read, scope, found.customer_id)
    return _out(payments.allocate_payment(payments.AllocatePayment(
        payment_id=payment_id, allocations=tuple((a.invoice_id, a.amount) for a in body.allocations),
        on=_today()), uow))


@router.post("/payments/{payment_id}/reverse", operation_id="reverse_payment")
def reverse_payment(payment_id: UUID, body: ReversalIn, meta: PaymentCommand, uow: Work, read: Reads,
                    scope: CallerScope) -> PaymentOut:
    """The payment bounced: every invoice it paid is open again; the reason is required."""
    found = payments.payment_of(uow, payment_id)
    queries.customer_within(read, scope, found.customer_id)
    reason = command_reason(body.reason, meta)
    return _out(payments.reverse_payment(payments.ReversePayment(payment_id=payment_id, reason=reason or "",
                                                                 on=_today()), uow))


@router.get("/payments/{payment_id}", operation_id="get_payment")
def get_payment(payment_id: UUID, uow: Work, read: Reads, access: PaymentReader) -> PaymentOut:
    found = payments.payment_of(uow, payment_id)
    queries.customer_within(read, access.scope, found.customer_id, what="Payment", key=payment_id)
    return _out(found)


@router.get("/payments", operation_id="list_payments")
def list_payments(read: Reads, access: PaymentReader, paging: Paging,
                  customer_id: Annotated[UUID | None, Query()] = None,
                  unapplied: Annotated[bool | None, Query(description="only those with something unapplied")] = None,
                  ) -> Page[PaymentRow]:
    return Page.of(PaymentRow, queries.payments(read, customer_id, unapplied, access.scope, paging), paging)
