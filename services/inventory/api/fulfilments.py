"""Fulfilments over HTTP: an order's reservation as inventory holds it, picking by UDI scan, dispatch, delivery and
the hospital's acceptance (验收). Handlers: application/outbound.py."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.inventory.api.common import (
    AcceptanceCommand, DispatchCommand, FulfilmentReader, PickCommand, PlanCommand, Work, today,
)
from services.inventory.application import outbound, reservation
from services.inventory.domain.fulfilment import Fulfilment
from services.inventory.domain.picking import Scan
from shared.domain.gtin import GTINInput, LotInput
from shared.domain.text import Note, ShortName
from shared.domain.udi import UDIError, parse_udi
from shared.platform.access import DataScope
from shared.platform.api import CallerScope
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads
from services.inventory import queries
from shared.platform.problems import invalid_field

router = APIRouter()
Person = ShortName


class FulfilmentOut(BaseModel):
    fulfilment_id: UUID
    order_id: UUID
    status: str
    ship_to_hospital_id: UUID
    ship_to_distributor_id: UUID | None = Field(None, description="the distributor the goods ship to, when not direct")
    reserved: list[dict] = Field(description="reserved and not shipped yet")
    backordered: list[dict] = Field(default_factory=list, description="what each line still waits for (stock short)")
    scheduled: list[dict] = Field(default_factory=list, description="a delivery plan's deliveries not due yet")
    delivery_address: str | None = Field(None, description="absent: the customer's registered address")
    shipments: list[dict]
    holds: list[str] = Field(default_factory=list, description="the order's holds: nothing is dispatched while any")
    version: int


class FulfilmentView(BaseModel):
    fulfilment_id: UUID
    order_id: UUID
    status: str
    picking_required: bool
    units_to_pick: int
    picks_complete: bool
    reserved: list[dict] = Field(description="reserved and not shipped yet")
    backordered: list[dict] = Field(default_factory=list, description="what each line still waits for (stock short)")
    picked: list[dict]
    shipments: list[dict]
    returns: list[dict]
    holds: list[str] = Field(default_factory=list, description="the order's holds: nothing is dispatched while any")
    version: int


class DueDeliveriesOut(BaseModel):
    orders: list[UUID] = Field(description="the orders whose due deliveries were reserved (or backordered)")


class Picks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scans: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=1000, description="exactly what the scanner sent, one string per scan; a scan is one"
                                                   " unit unless it carries a count (GS1 (30), HIBC quantity)")


class Dispatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)


class Delivery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    delivered_at: AwareDatetime | None = Field(None, description="default: now")
    received_by: Person | None = None


class DiscrepancyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput | None = None
    kind: Literal["short", "over", "damaged", "wrong_item", "other"]
    quantity: int = Field(ge=0, le=1_000_000)
    note: Note | None = None


class Acceptance(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    accepted_by: Person = Field(description="the person at the hospital who accepted")
    accepted_at: AwareDatetime | None = Field(None, description="default: now")
    discrepancies: list[DiscrepancyIn] = Field(default_factory=list, max_length=200)
    note: Note | None = None


def fulfilment_out(f: Any) -> FulfilmentOut:
    return FulfilmentOut(fulfilment_id=f.id, order_id=f.order_id, status=f.status,
                         ship_to_hospital_id=f.ship_to_hospital_id, ship_to_distributor_id=f.ship_to_distributor_id,
                         reserved=f.reserved, shipments=f.shipments, backordered=f.waiting, scheduled=f.scheduled,
                         delivery_address=f.address, holds=f.holds, version=f.version)


def _view(f: Any) -> FulfilmentView:
    return FulfilmentView(fulfilment_id=f.id, order_id=f.order_id, status=f.status, picking_required=f.picking_required,
                          units_to_pick=f.units_to_pick, picks_complete=f.picks_complete, reserved=f.reserved,
                          backordered=f.waiting, picked=f.picked, shipments=f.shipments, returns=f.returns,
                          holds=f.holds, version=f.version)


def parse_scans(codes: list[str]) -> tuple[Scan, ...]:
    """The scans as sent, parsed (422 naming the first unreadable one); also for POST /wms/picks."""
    scans = []
    for n, code in enumerate(codes):
        try:
            parsed = parse_udi(code)
        except UDIError as e:
            raise invalid_field(f"scans[{n}]", e.rule, e.message) from None
        if parsed.gtin is None:
            raise invalid_field(f"scans[{n}]", "gtin-required", "scan the GS1 UDI: it carries the GTIN (01)")
        if parsed.lot is None:
            raise invalid_field(f"scans[{n}]", "lot-required", "the scan carries no lot (10): scan the production"
                                " identifier too")
        scans.append(Scan(gtin=parsed.gtin, lot=parsed.lot, serial=parsed.serial, quantity=parsed.quantity or 1,
                          expiry=parsed.expiry))
    return tuple(scans)


class FulfilmentRow(BaseModel):
    order_id: UUID
    fulfilment_id: UUID
    hospital_id: UUID
    hospital_name: str | None
    distributor_id: UUID | None = Field(description="the 配送商 it ships to, if not direct")
    order_type: str
    requested_delivery_date: date | None
    requested_at: datetime
    state: Literal["requested", "reserved", "shipped", "cancelled"]
    reserved: int = Field(description="units reserved and not yet shipped")
    picked: int = Field(description="of those, confirmed by scan")
    to_pick: int
    picking_required: bool
    holds: list[str] = Field(description="dispatch waits until each is released")
    updated_at: datetime


@router.get("/fulfilments", operation_id="list_fulfilments", tags=["inventory"])
def list_fulfilments(read: Reads, access: FulfilmentReader, paging: Paging,
                     state: Annotated[Literal["requested", "reserved", "shipped", "cancelled"] | None, Query()] = None,
                     waiting: Annotated[bool | None, Query(description="true: units reserved and not yet shipped"
                                                                       " (the pick list)")] = None,
                     hospital_id: Annotated[UUID | None, Query()] = None) -> Page[FulfilmentRow]:
    """The warehouse's worklist: fulfilments, the earliest requested delivery first, with what is left to pick."""
    return Page.of(FulfilmentRow, queries.fulfilment_queue(read, state, waiting, hospital_id, access.scope, paging),
                   paging)


@router.get("/fulfilments/{order_id}", operation_id="get_fulfilment", tags=["inventory"])
def get_fulfilment(order_id: UUID, uow: Work, read: Reads, access: FulfilmentReader) -> FulfilmentOut:
    return fulfilment_out(_fulfilment(uow, read, order_id, access.scope))


def _fulfilment(uow: Work, read: Reads, order_id: UUID, scope: DataScope) -> Fulfilment:
    """The order's fulfilment, if it is within the caller's scope: its hospital, its distributor, or the hospital's
    province (inventory's copy of channel's hospitals)."""
    fulfilment = outbound.fulfilment(uow, order_id)
    provinces = [queries.hospital_province(read, fulfilment.ship_to_hospital_id)] if scope.regions else []
    scope.require("Fulfilment", order_id, hospitals=[fulfilment.ship_to_hospital_id],
                  distributors=[fulfilment.ship_to_distributor_id], regions=provinces)
    return fulfilment


@router.post("/fulfilments/{order_id}/picks", operation_id="confirm_picks", tags=["outbound"])
def confirm_picks(order_id: UUID, body: Picks, _: PickCommand, uow: Work, read: Reads,
                  scope: CallerScope) -> FulfilmentView:
    """Confirm reserved units by their UDI scans: all scans or none. A scan of another GTIN, lot or serial than
    reserved is refused (409, naming expected and scanned)."""
    _fulfilment(uow, read, order_id, scope)
    return _view(outbound.confirm_picks(outbound.ConfirmPicks(order_id=order_id, scans=parse_scans(body.scans)), uow))


@router.post("/fulfilments/{order_id}/dispatch", operation_id="dispatch_fulfilment", tags=["inventory"])
def dispatch(order_id: UUID, body: Dispatch, _: DispatchCommand, uow: Work, read: Reads,
             scope: CallerScope) -> FulfilmentOut:
    """Ship what is reserved, one shipment per warehouse: every unit picked (when picking is required), nothing held
    and nothing under an open recall."""
    _fulfilment(uow, read, order_id, scope)
    return fulfilment_out(outbound.dispatch(outbound.Dispatch(
        order_id=order_id, carrier=body.carrier, tracking_number=body.tracking_number), uow))


@router.post("/deliveries/reserve-due", operation_id="reserve_due_deliveries", tags=["inventory"])
def reserve_due_deliveries(_: PlanCommand, uow: Work) -> DueDeliveriesOut:
    """Reserve the delivery plans' deliveries coming due within INVENTORY_DELIVERY_HORIZON_DAYS (as far as stock
    goes; the rest waits as a backorder). Run it daily (cron); a second run finds nothing more to do."""
    handled = reservation.reserve_due_deliveries(reservation.ReserveDueDeliveries(today=today()), uow)
    return DueDeliveriesOut(orders=[f.order_id for f in handled])


@router.post("/fulfilments/{order_id}/shipments/{shipment_id}/delivery", operation_id="confirm_delivery",
             tags=["outbound"])
def confirm_delivery(order_id: UUID, shipment_id: UUID, body: Delivery, _: DispatchCommand,
                     uow: Work, read: Reads, scope: CallerScope) -> FulfilmentView:
    _fulfilment(uow, read, order_id, scope)
    return _view(outbound.confirm_delivery(outbound.ConfirmDelivery(
        order_id=order_id, shipment_id=shipment_id, delivered_at=body.delivered_at, received_by=body.received_by), uow))


@router.post("/fulfilments/{order_id}/shipments/{shipment_id}/acceptance", operation_id="accept_shipment",
             tags=["outbound"])
def accept_shipment(order_id: UUID, shipment_id: UUID, body: Acceptance, _: AcceptanceCommand,
                    uow: Work, read: Reads, scope: CallerScope) -> FulfilmentView:
    """The hospital's acceptance inspection of a delivered shipment, with any discrepancy found."""
    _fulfilment(uow, read, order_id, scope)
    return _view(outbound.accept_shipment(outbound.AcceptShipment(
        order_id=order_id, shipment_id=shipment_id, accepted_by=body.accepted_by, accepted_at=body.accepted_at,
        discrepancies=tuple(d.model_dump() for d in body.discrepancies), note=body.note), uow))
