"""Inventory HTTP API: item master, receiving, stock on hand, fulfilment and dispatch."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.inventory.domain import FulfilmentStateError, LotExpiredError
from services.inventory.application import UnknownItemError
from shared.domain.gtin import GTINInput
from shared.platform.api import CommandMeta
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import invalid_field, not_found, rule_violated

router = APIRouter(tags=["inventory"])

WarehouseCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]


class RegisterItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    name: str = Field(min_length=1, max_length=200)
    device_class: int = Field(ge=1, le=3, description="NMPA device class I, II or III")


class ItemOut(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    version: int


class ReceiveLot(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: str = Field(min_length=1, max_length=20, description="GS1 AI (10): at most 20 characters")
    expiry: date
    quantity: int = Field(gt=0, le=1_000_000)
    warehouse: WarehouseCode


class StockRow(BaseModel):
    gtin: str
    lot: str
    warehouse: str
    expiry: date
    on_hand: int
    allocated: int
    available: int


class Dispatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)


class FulfilmentOut(BaseModel):
    fulfilment_id: UUID
    order_id: UUID
    status: str
    ship_to_hospital_id: UUID
    reserved: list[dict]
    shipments: list[dict]
    version: int


def _item_out(item) -> ItemOut:  # noqa: ANN001
    return ItemOut(item_id=item.id, gtin=item.gtin, name=item.name, device_class=item.device_class, version=item.version)


def _fulfilment_out(f) -> FulfilmentOut:  # noqa: ANN001
    return FulfilmentOut(fulfilment_id=f.id, order_id=f.order_id, status=f.status, ship_to_hospital_id=f.ship_to_hospital_id,
                         reserved=f.reserved, shipments=f.shipments, version=f.version)


@router.post("/items", status_code=status.HTTP_201_CREATED, operation_id="register_item")
def register_item(body: RegisterItem, request: Request, response: Response, _: CommandMeta) -> ItemOut:
    item, created = request.app.state.application.register_item(body.gtin, body.name, body.device_class)
    if not created:
        if (item.name, item.device_class) != (body.name, body.device_class):
            raise rule_violated("gtin-unique", f"GTIN {body.gtin} is already registered as {item.name!r}", gtin=body.gtin)
        response.status_code = status.HTTP_200_OK
    return _item_out(item)


@router.get("/items/{gtin}", operation_id="get_item")
def get_item(gtin: Annotated[GTINInput, Path()], request: Request, _: CurrentPrincipal) -> ItemOut:
    item = request.app.state.application.item_by_gtin(gtin)
    if item is None:
        raise not_found("Item", gtin)
    return _item_out(item)


@router.post("/receipts", status_code=status.HTTP_201_CREATED, operation_id="receive_lot")
def receive_lot(body: ReceiveLot, request: Request, _: CommandMeta) -> ItemOut:
    try:
        item = request.app.state.application.receive_lot(body.gtin, body.lot, body.expiry, body.quantity, body.warehouse)
    except LotExpiredError as e:
        raise rule_violated("expired-at-receipt", str(e), field="expiry") from None
    except UnknownItemError:
        raise invalid_field("gtin", "registered-item", "register the item first",
                            detail=f"no item is registered with GTIN {body.gtin}") from None
    return _item_out(item)


@router.get("/stock", operation_id="list_stock")
def list_stock(request: Request, _: CurrentPrincipal, paging: Paging,
               gtin: Annotated[GTINInput | None, Query()] = None,
               lot: Annotated[str | None, Query(max_length=20)] = None,
               warehouse: Annotated[str | None, Query(max_length=50)] = None,
               expiring_before: Annotated[date | None, Query()] = None) -> Page[StockRow]:
    rows, total = fetch_page(
        request.app.state.pool, f"{request.app.state.schema}.stock_on_hand", paging,
        columns="*, on_hand - allocated AS available", order_by="gtin, expiry, lot, warehouse",
        where={"gtin = %s": gtin, "lot = %s": lot, "warehouse = %s": warehouse, "expiry < %s": expiring_before},
    )
    return Page(items=[StockRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/fulfilments/{order_id}", operation_id="get_fulfilment")
def get_fulfilment(order_id: UUID, request: Request, _: CurrentPrincipal) -> FulfilmentOut:
    fulfilment = request.app.state.application.get_fulfilment(order_id)
    if fulfilment is None:
        raise not_found("Fulfilment", order_id)
    return _fulfilment_out(fulfilment)


@router.post("/fulfilments/{order_id}/dispatch", operation_id="dispatch_fulfilment")
def dispatch(order_id: UUID, body: Dispatch, request: Request, _: CommandMeta) -> FulfilmentOut:
    try:
        fulfilment = request.app.state.application.dispatch(order_id, body.carrier, body.tracking_number)
    except FulfilmentStateError as e:
        raise rule_violated("dispatch-reserved-only", str(e)) from None
    if fulfilment is None:
        raise not_found("Fulfilment", order_id)
    return _fulfilment_out(fulfilment)
