"""Order HTTP API: place orders for known hospitals (direct, or through a known distributor); read an order and list
orders."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from shared.domain.gtin import GTINInput
from shared.platform.api import REPLAYED, CommandMeta, IdempotencyKey
from shared.platform.auth import CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import invalid_field, not_found

router = APIRouter(tags=["orders"])

OrderStatus = Literal["placed", "reserved", "backordered", "shipped"]


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: GTINInput
    quantity: int = Field(gt=0, le=100_000)
    unit_price: Decimal = Field(ge=0, max_digits=16, decimal_places=2, description="net price per unit")
    min_remaining_shelf_life_days: int | None = Field(
        None, ge=0, le=3650, description="only lots with at least this many days of shelf life left on delivery")


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    hospital_id: UUID
    customer_reference: str | None = Field(None, max_length=100, description="the hospital's PO number")
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200)
    requested_delivery_date: date | None = Field(None, description="shelf life is judged on this day (default: today)")
    ship_to_distributor_id: UUID | None = Field(
        None, description="deliver through this distributor (配送商): goods ship to it, it delivers to the hospital and"
                          " reports the delivery in its sell-out (流向); absent: shipped direct to the hospital")


class OrderLineOut(BaseModel):
    line_no: int
    gtin: str
    quantity: int
    unit_price: Decimal
    min_remaining_shelf_life_days: int | None = None


class OrderOut(BaseModel):
    order_id: UUID
    hospital_id: UUID
    customer_reference: str | None
    currency: str
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = None
    status: OrderStatus
    lines: list[OrderLineOut]
    allocations: list[dict]
    shipment_ids: list[UUID]
    backorder_reason: str | None
    version: int


class OrderRow(BaseModel):
    order_id: UUID
    hospital_id: UUID
    customer_reference: str | None
    currency: str
    total_amount: Decimal
    line_count: int
    status: OrderStatus
    placed_at: datetime
    updated_at: datetime


def _order_out(o) -> OrderOut:  # noqa: ANN001
    return OrderOut(order_id=o.id, hospital_id=o.hospital_id, customer_reference=o.customer_reference, currency=o.currency,
                    requested_delivery_date=getattr(o, "requested_delivery_date", None),
                    ship_to_distributor_id=o.ship_to_distributor_id, status=o.status,
                    lines=[OrderLineOut(**line) for line in o.lines], allocations=o.allocations,
                    shipment_ids=o.shipment_ids, backorder_reason=o.backorder_reason, version=o.version)


def _is_known(request: Request, table: str, key: str, value: UUID) -> bool:
    with request.app.state.pool.connection() as conn:
        row = conn.execute(f"SELECT 1 FROM {request.app.state.schema}.{table} WHERE {key} = %s", (value,)).fetchone()
    return row is not None


@router.post("/orders", status_code=status.HTTP_201_CREATED, operation_id="place_order", responses=REPLAYED)
def place_order(body: PlaceOrder, request: Request, response: Response, meta: CommandMeta,
                idempotency_key: IdempotencyKey = None) -> OrderOut:
    if not _is_known(request, "known_hospitals", "hospital_id", body.hospital_id):
        raise invalid_field("hospital_id", "registered-hospital", "register the hospital in the channel service first",
                            detail=f"no hospital {body.hospital_id} is registered in the channel")
    if body.ship_to_distributor_id is not None and not _is_known(
            request, "known_distributors", "distributor_id", body.ship_to_distributor_id):
        raise invalid_field("ship_to_distributor_id", "registered-distributor",
                            "register the distributor in the channel service first",
                            detail=f"no distributor {body.ship_to_distributor_id} is registered in the channel")
    order_id = new_aggregate_id("order", meta.actor, idempotency_key)
    order, created = request.app.state.application.place_order(
        order_id, body.hospital_id, body.customer_reference, body.currency, [line.model_dump() for line in body.lines],
        body.requested_delivery_date, body.ship_to_distributor_id,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _order_out(order)


@router.get("/orders/{order_id}", operation_id="get_order")
def get_order(order_id: UUID, request: Request, _: CurrentPrincipal) -> OrderOut:
    order = request.app.state.application.get_order(order_id)
    if order is None:
        raise not_found("Order", order_id)
    return _order_out(order)


@router.get("/orders", operation_id="list_orders")
def list_orders(request: Request, _: CurrentPrincipal, paging: Paging,
                status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
                hospital_id: Annotated[UUID | None, Query()] = None) -> Page[OrderRow]:
    rows, total = fetch_page(request.app.state.pool, f"{request.app.state.schema}.order_list", paging,
                             order_by="placed_at DESC, order_id",
                             where={"status = %s": status_, "hospital_id = %s": hospital_id})
    return Page(items=[OrderRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)
