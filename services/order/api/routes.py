"""Order HTTP API: place orders for known hospitals (direct, or through a known distributor), priced by the system;
approve or reject a typed price (four eyes); read an order and list orders. Each route parses, runs a command handler
(application/placing.py) or a query (queries.py), and maps the answer."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.order import queries
from services.order.application import OrderUnitOfWork, amending, cancelling, holds, placing
from services.order.domain import SalesOrder
from services.order.domain.sales_order import HOLDS
from shared.domain.gtin import GTINInput
from shared.domain.money import LineQuantity, UnitPrice, document_total_problem
from shared.domain.text import Reference, single_line
from shared.platform.access import permitted
from shared.platform.access import DataScope
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.context import EventMeta
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.permissions import permissions_of
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["orders"])
Work = Annotated[OrderUnitOfWork, Depends(unit_of_work)]

PlaceOrderCommand = command_by("order:place", scope="order")
PriceDecision = command_by("price:approve", scope="order")
HoldCommand = command_by("order:hold", scope="order")
ReleaseCommands = {hold: command_by(permission, scope="order") for hold, permission in HOLDS.items()}

OrderReader = permitted("order:read", scope="order")

OrderStatus = Literal["on_hold", "placed", "reserved", "partially_reserved", "backordered", "partially_shipped",
                      "shipped", "price_rejected", "cancelled", "closed"]
Address = single_line(300, "e.g. 四川省成都市武侯区国学巷37号 华西医院 设备科 二楼库房")
LineStatus = Literal["open", "partially_shipped", "shipped", "closed", "cancelled"]


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date
    quantity: LineQuantity


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
    deliveries: list[DeliveryIn] | None = Field(
        None, min_length=1, max_length=24, description="a delivery plan (交付计划): scheduled deliveries adding up to the"
                                                       " quantity, each reserved and shipped on its own date")


def _typed_total_fits(body: Any) -> Any:
    """The typed prices of a body's lines fit one document (shared/domain/money.py); the system's prices are
    bounded by the rulebook's."""
    typed = (line.unit_price * line.quantity for line in body.lines if line.unit_price is not None)
    if problem := document_total_problem(sum(typed, Decimal(0))):
        raise ValueError(problem)
    return body


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
    ship_complete: bool = Field(False, description="deliver complete only: no partial delivery, the order waits until"
                                                   " every line can be reserved in full (default: ship what is"
                                                   " available, backorder the rest)")
    delivery_address: Address | None = Field(None, description="where to deliver, when not the customer's registered"
                                                              " address (the warehouse ships there)")
    order_type: Literal["standard", "consignment", "loaner"] = Field(
        "standard", description="consignment: replenish the consignee's consignment stock (寄售); loaner: a set for an"
                                " operation (跟台). Both ship uninvoiced; what is used (a usage report) is invoiced")

    _total_fits_a_document = model_validator(mode="after")(lambda self: _typed_total_fits(self))


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
    deliveries: list[dict[str, Any]] | None = Field(None, description="its delivery plan: date and quantity each")
    status: LineStatus = "open"
    shipped_quantity: int = Field(0, description="units of the line shipped so far")


class HoldEventOut(BaseModel):
    hold: str
    placed: bool = Field(description="true: the hold was put on; false: released")
    reason: str | None = None
    by: str | None = None
    expires_on: date | None = None


class OrderOut(BaseModel):
    order_id: UUID
    hospital_id: UUID
    customer_reference: str | None
    currency: str
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = None
    status: OrderStatus
    holds: list[str] = Field(default_factory=list, description="what the order waits for before fulfilment")
    hold_history: list[HoldEventOut] = Field(default_factory=list, description="holds put on and released")
    lines: list[OrderLineOut]
    allocations: list[dict]
    shipment_ids: list[UUID]
    backorder_reason: str | None
    cancellation_requested: bool = Field(False, description="inventory is cancelling it (unless it has shipped)")
    pending_amendment: dict[str, Any] | None = Field(None, description="an amendment inventory is re-planning")
    amendments: int = Field(0, description="how many amendments it took (each in its history)")
    ship_complete: bool = Field(False, description="no partial deliveries")
    order_type: str = Field("standard", description="standard, consignment, loaner, consumption (consigned"
                                                    " units used: its usage_id), or free_goods (a rebate settled as"
                                                    " 货补: zero-priced, to the distributor itself, never invoiced)")
    usage_id: UUID | None = None
    delivery_address: str | None = None
    backordered: list[dict] = Field(default_factory=list, description="what is short and waits for stock, per line")
    cancelled_lines: list[dict] = Field(default_factory=list, description="lines cancelled one by one, as they were")
    platform_acceptances: list[dict[str, Any]] = Field(
        default_factory=list, description="an order from a procurement platform (阳光采购): the hospital's acceptances"
                                          " (验收) the platform reported, each with what was accepted and rejected")
    legacy_reference: str | None = Field(None, description="an order taken over from the old system at go-live"
                                                           " (the open-orders import): its number there")
    legacy_order_date: date | None = Field(None, description="and the day it was ordered there")
    version: int


class Order360(OrderOut):
    """The order with what became of it: shipments (lots, expiry, serials, delivery, acceptance), invoices, returns."""

    shipments: list[dict[str, Any]] = Field(default_factory=list)
    invoices: list[dict[str, Any]] = Field(default_factory=list, description="payments are recorded by billing (to"
                                                                              " come): an invoice here is owed")
    returns: list[dict[str, Any]] = Field(default_factory=list)


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
    holds: list[str] = Field(default_factory=list)
    placed_at: datetime
    updated_at: datetime


def _order_out(o: SalesOrder, internal: bool = True) -> OrderOut:
    """The order; for the customer's own people (who do not read prices) without how the rulebook found each price."""
    statuses = o.line_statuses()
    lines = [OrderLineOut(**(line if internal else {k: v for k, v in line.items() if k != "price_explanation"}),
                          status=statuses[line["line_no"]], shipped_quantity=o.shipped_of(line["line_no"]))
             for line in o.lines]
    return OrderOut(order_id=o.id, hospital_id=o.hospital_id, customer_reference=o.customer_reference, currency=o.currency,
                    requested_delivery_date=getattr(o, "requested_delivery_date", None),
                    ship_to_distributor_id=o.ship_to_distributor_id, status=o.status,
                    holds=o.__dict__.get("holds", []), hold_history=o.__dict__.get("hold_history", []), lines=lines, allocations=o.allocations,
                    shipment_ids=o.shipment_ids, backorder_reason=o.backorder_reason,
                    cancellation_requested=o.cancellation_requested, pending_amendment=o.pending_amendment,
                    amendments=len(o.amendments), ship_complete=o.__dict__.get("ship_complete", False),
                    order_type=o.kind, usage_id=o.__dict__.get("usage_id"), delivery_address=o.address,
                    backordered=o.__dict__.get("backordered", []),
                    cancelled_lines=[{"line_no": no, "gtin": line["gtin"], "quantity": line["quantity"],
                                      "status": statuses.get(no, "cancelled")}
                                     for no, line in sorted(o.cancelled_lines.items())],
                    platform_acceptances=o.platform_acceptances,
                    legacy_reference=getattr(o, "legacy_reference", None),
                    legacy_order_date=getattr(o, "legacy_order_date", None), version=o.version)


@router.post("/orders", status_code=status.HTTP_201_CREATED, operation_id="place_order", responses=REPLAYED)
def place_order(body: PlaceOrder, response: Response, meta: PlaceOrderCommand, uow: Work, scope: CallerScope,
                idempotency_key: IdempotencyKey = None) -> OrderOut:
    """Accept an order only when the sale passes its checks: the customer (and distributor) is registered, every
    product has a registration certificate valid on the delivery day, and a distributor holds the licence each
    product's class needs (422/409 naming the rule otherwise; nothing is stored). Each line is priced by the system
    and says what priced it; a contract's validity, authorized distributor and volume are checked. A typed price
    (price_approval) or a failed credit check (credit) puts the order on hold."""
    order, created = placing.place_order(_place_command(body, meta.actor, idempotency_key), uow, scope)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _order_out(order)


def _place_command(body: PlaceOrder, actor: str, idempotency_key: str | None) -> placing.PlaceOrder:
    return placing.PlaceOrder(
        order_id=new_aggregate_id("order", actor, idempotency_key), hospital_id=body.hospital_id,
        customer_reference=body.customer_reference, currency=body.currency,
        lines=tuple(_line(line) for line in body.lines),
        requested_delivery_date=body.requested_delivery_date, ship_to_distributor_id=body.ship_to_distributor_id,
        contract_id=body.contract_id, ship_complete=body.ship_complete, order_type=body.order_type,
        delivery_address=body.delivery_address)


def _line(line: OrderLineIn) -> placing.OrderLine:
    fields = line.model_dump(exclude={"deliveries"})
    plan = tuple((d.date, d.quantity) for d in line.deliveries) if line.deliveries else None
    return placing.OrderLine(**fields, deliveries=plan)


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
    return _order_out(holds.decide_price(holds.DecidePrice(order_id=order_id, approve=body.decision == "approve"),
                                         uow, scope))


@router.post("/orders/validate", operation_id="validate_order")
def validate_order(body: PlaceOrder, meta: PlaceOrderCommand, uow: Work, scope: CallerScope) -> OrderOut:
    """The same checks as placing, nothing stored: the order as it would be accepted (each line priced, the holds
    it would carry and why), or the problem placing would answer."""
    checked = placing.validate_order(_place_command(body, meta.actor, None), uow, scope)
    return _order_out(checked)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    hold: Literal["manual", "compliance"]
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")
    expires_on: date | None = Field(None, description="a credit release: until when it holds (required)")


@router.post("/orders/{order_id}/holds", operation_id="hold_order")
def hold_order(order_id: UUID, body: HoldIn, meta: HoldCommand, uow: Work, scope: CallerScope) -> OrderOut:
    """Put a manual or compliance hold on an order not yet shipped, with a reason: one already in fulfilment is not
    dispatched until the hold is released by its owner (the order supervisor; quality)."""
    command_reason(body.reason, meta)
    return _order_out(holds.place_hold(holds.PlaceHold(order_id=order_id, hold=body.hold), uow, scope))


def _release(hold: str, order_id: UUID, body: ReleaseIn, meta: EventMeta, uow: OrderUnitOfWork,
             scope: DataScope) -> OrderOut:
    command_reason(body.reason, meta)
    return _order_out(holds.release_hold(holds.ReleaseHold(order_id=order_id, hold=hold, expires_on=body.expires_on),
                                         uow, scope))


@router.post("/orders/{order_id}/holds/credit/release", operation_id="release_credit_hold")
def release_credit_hold(order_id: UUID, body: ReleaseIn, meta: ReleaseCommands["credit"], uow: Work,
                        scope: CallerScope) -> OrderOut:
    """Finance releases a credit hold, with a reason and the day the release expires."""
    return _release("credit", order_id, body, meta, uow, scope)


@router.post("/orders/{order_id}/holds/compliance/release", operation_id="release_compliance_hold")
def release_compliance_hold(order_id: UUID, body: ReleaseIn, meta: ReleaseCommands["compliance"], uow: Work,
                            scope: CallerScope) -> OrderOut:
    return _release("compliance", order_id, body, meta, uow, scope)


@router.post("/orders/{order_id}/holds/manual/release", operation_id="release_manual_hold")
def release_manual_hold(order_id: UUID, body: ReleaseIn, meta: ReleaseCommands["manual"], uow: Work,
                        scope: CallerScope) -> OrderOut:
    return _release("manual", order_id, body, meta, uow, scope)


class AmendmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=200, description="the order's lines from now on")
    requested_delivery_date: date | None = None
    delivery_address: Address | None = Field(None, description="the order's delivery address from now on")
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")

    _total_fits_a_document = model_validator(mode="after")(lambda self: _typed_total_fits(self))


@router.post("/orders/{order_id}/amendments", status_code=status.HTTP_202_ACCEPTED, operation_id="amend_order")
def amend_order(order_id: UUID, body: AmendmentIn, meta: PlaceOrderCommand, uow: Work, scope: CallerScope,
                idempotency_key: IdempotencyKey = None) -> OrderOut:
    """Change what has not shipped of an order: its lines (quantities, lines added or removed) and requested date,
    with a reason; a line that shipped keeps its place, its item and at least what shipped (422
    amend-unshipped-only). Every check of placing runs again (prices, contract volume, credit on the increase: a
    hold if it fails). An order on hold takes it at once; one in fulfilment once inventory has re-planned what is
    left (`pending_amendment` until then; refused if a shipment won the race). 409 once it has shipped in full. A
    retry with the same Idempotency-Key changes nothing and answers the order as it is."""
    command_reason(body.reason, meta)
    return _order_out(amending.amend_order(amending.AmendOrder(
        order_id=order_id, lines=tuple(_line(line) for line in body.lines), request_key=idempotency_key,
        requested_delivery_date=body.requested_delivery_date, delivery_address=body.delivery_address), uow, scope))


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


@router.post("/orders/{order_id}/cancel", status_code=status.HTTP_202_ACCEPTED, operation_id="cancel_order")
def cancel_order(order_id: UUID, body: CancelIn, meta: PlaceOrderCommand, uow: Work, scope: CallerScope) -> OrderOut:
    """Cancel what has not shipped of an order, with a reason. One still on hold is cancelled at once; one in
    fulfilment when inventory has released its stock (`cancellation_requested` until then; refused if a shipment won
    the race). After a partial delivery the order is closed: what shipped stays shipped. 409 once it has shipped in
    full."""
    command_reason(body.reason, meta)
    return _order_out(cancelling.cancel_order(cancelling.CancelOrder(order_id=order_id), uow, scope))


@router.post("/orders/{order_id}/lines/{line_no}/cancel", status_code=status.HTTP_202_ACCEPTED,
             operation_id="cancel_order_line")
def cancel_order_line(order_id: UUID, line_no: Annotated[int, Path(ge=1, le=1000)], body: CancelIn,
                      meta: PlaceOrderCommand, uow: Work, scope: CallerScope,
                      idempotency_key: IdempotencyKey = None) -> OrderOut:
    """Cancel what is left of one line, with a reason: a line that shipped nothing is cancelled, one that shipped
    part is closed at what shipped. An amendment inventory re-plans (its reservation released); the line's contract
    volume is free again. A retry with the same Idempotency-Key changes nothing."""
    command_reason(body.reason, meta)
    return _order_out(cancelling.cancel_line(cancelling.CancelLine(order_id=order_id, line_no=line_no,
                                                                   request_key=idempotency_key), uow, scope))


@router.get("/orders/{order_id}", operation_id="get_order")
def get_order(order_id: UUID, uow: Work, read: Reads, access: OrderReader) -> Order360:
    """The order 360: lines with their price source, holds and their history, reservations, and what became of it:
    shipments with lots and serials, invoices, returns."""
    order = placing.order(uow, order_id)
    queries.order_within(read, access.scope, order.id, order.hospital_id, order.ship_to_distributor_id)
    out = _order_out(order, internal="price:read" in permissions_of(access.principal.roles))
    return Order360(**out.model_dump(), **queries.order_history(read, order.id))


@router.get("/orders", operation_id="list_orders")
def list_orders(read: Reads, access: OrderReader, paging: Paging,
                status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
                hospital_id: Annotated[UUID | None, Query()] = None,
                ship_to_distributor_id: Annotated[UUID | None, Query()] = None,
                hold: Annotated[Literal["price_approval", "credit", "compliance", "manual"] | None,
                                Query(description="orders carrying this hold: a role's worklist")] = None,
                ) -> Page[OrderRow]:
    where = queries.OrderFilter(status_, hospital_id, ship_to_distributor_id, hold)
    return Page.of(OrderRow, queries.orders(read, where, access.scope, paging), paging)
