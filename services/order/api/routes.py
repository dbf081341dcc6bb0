"""Order HTTP API: place orders for known hospitals (direct, or through a known distributor), priced by the system;
approve or reject a typed price (four eyes); read an order and list orders. Each route parses, runs a command handler
(application/placing.py) or a query (queries.py), and maps the answer."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.order import queries
from services.order.application import OrderUnitOfWork, placing
from services.order.domain import SalesOrder
from shared.domain.gtin import GTINInput
from shared.domain.money import LineQuantity, UnitPrice, document_total_problem
from shared.domain.text import Reference
from shared.platform.access import permitted
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.permissions import permissions_of
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["orders"])
Work = Annotated[OrderUnitOfWork, Depends(unit_of_work)]

PlaceOrderCommand = command_by("order:place", scope="order")
PriceDecision = command_by("price:approve", scope="order")

OrderReader = permitted("order:read", scope="order")

OrderStatus = Literal["on_hold", "placed", "reserved", "backordered", "shipped", "price_rejected"]


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: GTINInput
    quantity: LineQuantity
    unit_price: UnitPrice | None = Field(
        None, description="absent (the rule): the system prices the line from the hospital's contract, else the VBP"
                          " award, else the pricing rules. Given: a net price override, and the order waits on a"
                          " `price_approval` hold for a pricing manager")
    min_remaining_shelf_life_days: int | None = Field(
        None, ge=0, le=3650, description="only lots with at least this many days of shelf life left on delivery")


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    hospital_id: UUID
    customer_reference: Reference | None = Field(None, description="the hospital's PO number")
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    requested_delivery_date: date | None = Field(None, description="shelf life is judged on this day (default: today)")
    ship_to_distributor_id: UUID | None = Field(
        None, description="deliver through this distributor (配送商): goods ship to it, it delivers to the hospital and"
                          " reports the delivery in its sell-out (流向); absent: shipped direct to the hospital")
    contract_id: UUID | None = Field(None, description="the contract it calls off from; absent: the hospital's active"
                                                       " contract covering the delivery day, if any")

    @model_validator(mode="after")
    def _total_fits_a_document(self) -> "PlaceOrder":
        typed = (line.unit_price * line.quantity for line in self.lines if line.unit_price is not None)
        if problem := document_total_problem(sum(typed, Decimal(0))):
            raise ValueError(problem)
        return self


class OrderLineOut(BaseModel):
    line_no: int
    gtin: str
    quantity: int
    unit_price: Decimal = Field(description="net")
    gross_unit_price: Decimal | None = Field(None, description="tax-inclusive (含税)")
    vat_rate: Decimal | None = None
    price_source: Literal["contract", "award", "rule", "list", "manual"] | None = None
    contract_id: UUID | None = None
    price_explanation: dict[str, Any] | None = None
    min_remaining_shelf_life_days: int | None = None


class OrderOut(BaseModel):
    order_id: UUID
    hospital_id: UUID
    customer_reference: str | None
    currency: str
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = None
    status: OrderStatus
    holds: list[str] = Field(default_factory=list, description="what the order waits for before fulfilment")
    lines: list[OrderLineOut]
    allocations: list[dict]
    shipment_ids: list[UUID]
    backorder_reason: str | None
    version: int


class OrderRow(BaseModel):
    order_id: UUID
    hospital_id: UUID
    hospital_name: str | None = Field(description="as the channel registered it")
    ship_to_distributor_id: UUID | None = None
    distributor_name: str | None = None
    customer_reference: str | None
    currency: str
    total_amount: Decimal
    line_count: int
    status: OrderStatus
    placed_at: datetime
    updated_at: datetime


def _order_out(o: SalesOrder, internal: bool = True) -> OrderOut:
    """The order; for the customer's own people (who do not read prices) without how the rulebook found each price."""
    lines = [OrderLineOut(**(line if internal else {k: v for k, v in line.items() if k != "price_explanation"}))
             for line in o.lines]
    return OrderOut(order_id=o.id, hospital_id=o.hospital_id, customer_reference=o.customer_reference, currency=o.currency,
                    requested_delivery_date=getattr(o, "requested_delivery_date", None),
                    ship_to_distributor_id=o.ship_to_distributor_id, status=o.status,
                    holds=o.__dict__.get("holds", []), lines=lines, allocations=o.allocations,
                    shipment_ids=o.shipment_ids, backorder_reason=o.backorder_reason, version=o.version)


@router.post("/orders", status_code=status.HTTP_201_CREATED, operation_id="place_order", responses=REPLAYED)
def place_order(body: PlaceOrder, response: Response, meta: PlaceOrderCommand, uow: Work, scope: CallerScope,
                idempotency_key: IdempotencyKey = None) -> OrderOut:
    """Accept an order only when the sale passes its checks: the customer (and distributor) is registered, every
    product has a registration certificate valid on the delivery day, and a distributor holds the licence each
    product's class needs (422/409 naming the rule otherwise; nothing is stored). Each line is priced by the system
    and says what priced it; a contract's validity, authorized distributor and volume are checked."""
    order, created = placing.place_order(placing.PlaceOrder(
        order_id=new_aggregate_id("order", meta.actor, idempotency_key), hospital_id=body.hospital_id,
        customer_reference=body.customer_reference, currency=body.currency,
        lines=tuple(placing.OrderLine(**line.model_dump()) for line in body.lines),
        requested_delivery_date=body.requested_delivery_date, ship_to_distributor_id=body.ship_to_distributor_id,
        contract_id=body.contract_id), uow, scope)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _order_out(order)


class PriceDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    decision: Literal["approve", "reject"]
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


@router.post("/orders/{order_id}/price-decision", operation_id="decide_order_price")
def decide_order_price(order_id: UUID, body: PriceDecisionIn, meta: PriceDecision, uow: Work,
                       scope: CallerScope) -> OrderOut:
    """A pricing manager who did not place the order approves its typed prices (the hold lifts and fulfilment
    starts) or rejects them (the order ends), with a reason."""
    command_reason(body.reason, meta)
    return _order_out(placing.decide_price(placing.DecidePrice(order_id=order_id, approve=body.decision == "approve"),
                                           uow, scope))


@router.get("/orders/{order_id}", operation_id="get_order")
def get_order(order_id: UUID, uow: Work, read: Reads, access: OrderReader) -> OrderOut:
    order = placing.order(uow, order_id)
    queries.order_within(read, access.scope, order.id, order.hospital_id, order.ship_to_distributor_id)
    return _order_out(order, internal="price:read" in permissions_of(access.principal.roles))


@router.get("/orders", operation_id="list_orders")
def list_orders(read: Reads, access: OrderReader, paging: Paging,
                status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
                hospital_id: Annotated[UUID | None, Query()] = None,
                ship_to_distributor_id: Annotated[UUID | None, Query()] = None) -> Page[OrderRow]:
    where = queries.OrderFilter(status_, hospital_id, ship_to_distributor_id)
    return Page.of(OrderRow, queries.orders(read, where, access.scope, paging), paging)
