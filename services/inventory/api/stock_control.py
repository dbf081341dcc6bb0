"""Inventory HTTP API for item master data (UDI-DIs per packaging level, registration certificate, storage
conditions, tracking), stock control (moves, cycle counts, adjustments), near-expiry stock, and the inbound API
of an external warehouse system (WMS: receipts, stock moves, picks and shipments, idempotent by external
reference)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from services.inventory.api.outbound import Picks, parse_scans, run_picks
from services.inventory.api.routes import (
    Dispatch, GoodsReceiptIn, LocationCode, LotStatus, MasterDataCommand, ReceiptWarning, ValidityPeriod,
    WarehouseCode, WarehouseCommand, open_recalls, receipt_problems,
)
from services.inventory.application import UnknownItemError
from services.inventory.domain import FulfilmentStateError, LotRuleError
from services.inventory.domain.item_master import ItemMasterError
from services.inventory.domain.stock_control import StockControlError, UnknownStockError
from services.inventory.outbound import UnknownFulfilmentError
from services.inventory.projections.stock import STATUS_SQL
from services.inventory.stock_commands import ExternalReferenceReusedError, near_expiry_thresholds
from shared.domain.gtin import GTINInput, LotInput
from shared.domain.text import Description, Reason, ShortName, single_line
from shared.platform.api import command_by, command_reason
from shared.platform.auth import QUALITY, WAREHOUSE
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import Problem, invalid_field, not_found, rule_violated

router = APIRouter()



# Item master data -------------------------------------------------------------------------------------------------

class PackagingLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    level: Literal["box", "case"] = Field(description="the item's own GTIN is the each level (quantity 1)")
    gtin: GTINInput = Field(description="the UDI-DI (GTIN-14) printed on this packaging level")
    quantity: int = Field(ge=2, le=1_000_000, description="units of the item (each) in one package of this level")


class RegistrationCertificateIn(ValidityPeriod):
    number: single_line(100, "注册证编号, e.g. 国械注准20193130001")  # type: ignore[valid-type]
    holder: single_line(200, "注册人 (registration holder)")  # type: ignore[valid-type]
    scope: Description | None = Field(None, description="适用范围 (scope)")


class StorageConditionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    min_temperature_c: float | None = Field(None, ge=-273.15, le=200)
    max_temperature_c: float | None = Field(None, ge=-273.15, le=200)
    description: single_line(500, "e.g. 干燥、避光保存") | None = None  # type: ignore[valid-type]

    @field_validator("max_temperature_c")
    @classmethod
    def _not_below_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_temperature_c")
        if value is not None and low is not None and value < low:
            raise ValueError("max_temperature_c must not be below min_temperature_c")
        return value


class TrackingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lot_tracked: bool
    serial_tracked: bool
    implant: bool

    @model_validator(mode="after")
    def _tracked_somehow(self) -> "TrackingIn":
        if not (self.lot_tracked or self.serial_tracked):
            raise ValueError("an item is lot-tracked, serial-tracked or both")
        return self


class UDIDIOut(BaseModel):
    level: Literal["each", "box", "case"]
    gtin: str
    quantity: int = Field(description="units of the item (each) per package")


class ItemMasterOut(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    udi_dis: list[UDIDIOut]
    registration_certificate: RegistrationCertificateIn | None
    storage_conditions: StorageConditionsIn | None
    tracking: TrackingIn
    version: int


def _master_out(item: Any) -> ItemMasterOut:
    return ItemMasterOut(
        item_id=item.id, gtin=item.gtin, name=item.name, device_class=item.device_class, version=item.version,
        udi_dis=[UDIDIOut(level=level, gtin=gtin, quantity=quantity)
                 for gtin, (level, quantity) in sorted(item.gtins().items(), key=lambda g: g[1][1])],
        registration_certificate=item.registration_certificate, storage_conditions=item.storage_conditions,
        tracking=item.tracking)


@contextmanager
def _item_rules(gtin: str) -> Iterator[None]:
    try:
        yield
    except UnknownItemError:
        raise not_found("Item", gtin) from None
    except ItemMasterError as e:
        raise rule_violated(e.rule, str(e), gtin=gtin) from None


@router.get("/items/{gtin}/master-data", operation_id="get_item_master_data", tags=["item master"])
def get_master_data(gtin: Annotated[GTINInput, Path()], request: Request, _: CurrentPrincipal) -> ItemMasterOut:
    """The item with every UDI-DI (each, box, case), certificate, storage conditions and tracking.
    Its history of changes: GET /audit/aggregates/{item_id}/history."""
    item = request.app.state.application.item_by_gtin(gtin)
    if item is None:
        raise not_found("Item", gtin)
    return _master_out(item)


@router.post("/items/{gtin}/packaging-levels", operation_id="add_packaging_level", tags=["item master"])
def add_packaging_level(gtin: Annotated[GTINInput, Path()], body: PackagingLevelIn, request: Request,
                        _: MasterDataCommand) -> ItemMasterOut:
    """Add a box or case GTIN. A level, once defined, keeps its GTIN and quantity (409 otherwise); posting the same
    again changes nothing."""
    with _item_rules(gtin):
        item = request.app.state.application.add_packaging_level(gtin, body.level, body.gtin, body.quantity)
    return _master_out(item)


@router.put("/items/{gtin}/registration-certificate", operation_id="set_registration_certificate",
            tags=["item master"])
def set_registration_certificate(gtin: Annotated[GTINInput, Path()], body: RegistrationCertificateIn,
                                 request: Request, _: MasterDataCommand) -> ItemMasterOut:
    with _item_rules(gtin):
        item = request.app.state.application.set_registration_certificate(
            gtin, body.number, body.holder, body.valid_from, body.valid_to, body.scope)
    return _master_out(item)


@router.put("/items/{gtin}/storage-conditions", operation_id="set_storage_conditions", tags=["item master"])
def set_storage_conditions(gtin: Annotated[GTINInput, Path()], body: StorageConditionsIn, request: Request,
                           _: MasterDataCommand) -> ItemMasterOut:
    with _item_rules(gtin):
        item = request.app.state.application.set_storage_conditions(
            gtin, body.min_temperature_c, body.max_temperature_c, body.description)
    return _master_out(item)


@router.put("/items/{gtin}/tracking", operation_id="set_tracking", tags=["item master"])
def set_tracking(gtin: Annotated[GTINInput, Path()], body: TrackingIn, request: Request,
                 _: MasterDataCommand) -> ItemMasterOut:
    with _item_rules(gtin):
        item = request.app.state.application.set_tracking(gtin, body.lot_tracked, body.serial_tracked, body.implant)
    return _master_out(item)


# Stock control: moves, counts, adjustments ------------------------------------------------------------------------

class StockMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    quantity: int = Field(gt=0, le=1_000_000)
    to_location: LocationCode | None = Field(None, description="storage location (bin); required within a warehouse")


class StockCountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    warehouse: WarehouseCode
    counted: int = Field(ge=0, le=1_000_000)
    count_id: single_line(100, "the count sheet or task") | None = None  # type: ignore[valid-type]
    reason: Reason | None = Field(None, description="required when the count differs (or in the X-Reason header)")


class StockAdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    warehouse: WarehouseCode
    quantity_change: int = Field(ge=-1_000_000, le=1_000_000, description="added (positive) or removed (negative)")
    reason: Reason | None = Field(None, description="why; required here or in the X-Reason header")

    @field_validator("quantity_change")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("quantity_change must not be 0")
        return value


class LotInWarehouseOut(BaseModel):
    lot: str
    warehouse: str
    location: str | None
    expiry: date
    status: LotStatus
    on_hand: int
    allocated: int


class StockChangeOut(BaseModel):
    item_id: UUID
    gtin: str
    lots: list[LotInWarehouseOut] = Field(description="the lot in the warehouses the command touched")
    quantity_change: int | None = Field(None, description="counts: the adjustment the difference caused")
    version: int


def _change_out(item: Any, lot: str, warehouses: list[str], change: int | None = None) -> StockChangeOut:
    lots = [s for s in item.lots_numbered(lot) if s.warehouse in warehouses]
    return StockChangeOut(item_id=item.id, gtin=item.gtin, version=item.version, quantity_change=change, lots=[
        LotInWarehouseOut(lot=s.lot, warehouse=s.warehouse, location=s.location, expiry=s.expiry, status=s.status,
                          on_hand=s.on_hand, allocated=s.allocated) for s in lots])


@contextmanager
def _stock_rules(body: Any) -> Iterator[None]:
    try:
        yield
    except UnknownItemError:
        raise invalid_field("gtin", "registered-item", "register the item first",
                            detail=f"no item is registered with GTIN {body.gtin}") from None
    except UnknownStockError as e:
        raise rule_violated("stock-exists", str(e), gtin=body.gtin, lot=body.lot) from None
    except StockControlError as e:
        if e.rule == "reason-required":
            raise invalid_field("reason", "reason-required", "give a reason (in the body or the X-Reason header)") from None
        raise rule_violated(e.rule, str(e), gtin=body.gtin, lot=body.lot) from None


@router.post("/stock/moves", operation_id="move_stock", tags=["stock control"])
def move_stock(body: StockMoveIn, request: Request, _: WarehouseCommand) -> StockChangeOut:
    """Move available stock of a lot to another warehouse, or all of it to another location in the same one."""
    app = request.app.state.application
    with _stock_rules(body):
        item = app.move_stock(body.gtin, body.lot, body.from_warehouse, body.to_warehouse, body.quantity,
                              body.to_location)
    return _change_out(item, body.lot, [body.from_warehouse, body.to_warehouse])


@router.post("/stock/counts", operation_id="count_stock", tags=["stock control"])
def count_stock(body: StockCountIn, request: Request, meta: WarehouseCommand) -> StockChangeOut:
    """Record a cycle count (StockCounted); a difference is adjusted at once (StockAdjusted, reason required).
    On hand never goes below what is allocated (409)."""
    reason = command_reason(body.reason, meta, required=False)
    app = request.app.state.application
    with _stock_rules(body):
        item, change = app.count_stock(body.gtin, body.lot, body.warehouse, body.counted, reason, body.count_id)
    return _change_out(item, body.lot, [body.warehouse], change)


@router.post("/stock/adjustments", operation_id="adjust_stock", tags=["stock control"])
def adjust_stock(body: StockAdjustmentIn, request: Request, meta: WarehouseCommand) -> StockChangeOut:
    """Adjust on hand outside a count (e.g. a damaged unit written off); a reason is required."""
    reason = command_reason(body.reason, meta)
    app = request.app.state.application
    with _stock_rules(body):
        item = app.adjust_stock(body.gtin, body.lot, body.warehouse, body.quantity_change, reason)
    return _change_out(item, body.lot, [body.warehouse], body.quantity_change)


# Near-expiry ------------------------------------------------------------------------------------------------------

class NearExpiryRow(BaseModel):
    gtin: str
    lot: str
    warehouse: str
    location: str | None = None
    expiry: date
    days_left: int = Field(description="negative when already expired")
    status: LotStatus
    on_hand: int
    allocated: int
    near_expiry_threshold: int | None = Field(description="the tightest threshold reported (StockNearingExpiry)")


class NearExpiryReport(BaseModel):
    gtin: str
    lot: str
    warehouse: str
    threshold_days: int
    expiry: date


class NearExpiryScanOut(BaseModel):
    as_of: date
    thresholds: list[int]
    reported: list[NearExpiryReport] = Field(description="StockNearingExpiry events recorded by this scan")


NearExpiryCommand = command_by(WAREHOUSE, QUALITY)


def _today() -> date:
    return datetime.now(UTC).date()


@router.get("/stock/near-expiry", operation_id="list_near_expiry_stock", tags=["stock control"])
def list_near_expiry(request: Request, _: CurrentPrincipal, paging: Paging,
                     within_days: Annotated[int | None, Query(ge=0, le=3650, description=(
                         "stock expiring within this many days (default: the widest threshold)"))] = None,
                     gtin: Annotated[GTINInput | None, Query()] = None,
                     warehouse: Annotated[str | None, Query(max_length=50)] = None) -> Page[NearExpiryRow]:
    """Stock on hand expiring within `within_days` days from today (UTC), earliest first, expired stock included."""
    today = _today()
    within = within_days if within_days is not None else max(near_expiry_thresholds())
    rows, total = fetch_page(
        request.app.state.pool, f"{request.app.state.schema}.stock_on_hand", paging,
        columns=f"*, {STATUS_SQL} AS status, expiry - DATE '{today.isoformat()}' AS days_left",  # an ISO date
        order_by="expiry, gtin, lot, warehouse",
        where={"on_hand > %s": 0, "expiry <= %s": today + timedelta(days=within), "gtin = %s": gtin,
               "warehouse = %s": warehouse},
    )
    return Page(items=[NearExpiryRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.post("/stock/near-expiry/scan", operation_id="scan_near_expiry", tags=["stock control"])
def scan_near_expiry(request: Request, _: NearExpiryCommand) -> NearExpiryScanOut:
    """Record StockNearingExpiry for every lot in a warehouse that crossed a threshold (INVENTORY_NEAR_EXPIRY_THRESHOLDS,
    default 180,90,30 days) since it was last reported: once per threshold, so it is safe to run daily, or more often."""
    today, thresholds = _today(), near_expiry_thresholds()
    with request.app.state.pool.connection() as conn:
        gtins = [r["gtin"] for r in conn.execute(
            f"SELECT DISTINCT gtin FROM {request.app.state.schema}.stock_on_hand WHERE on_hand > 0 AND expiry <= %s",
            (today + timedelta(days=max(thresholds)),)).fetchall()]
    reported = request.app.state.application.report_near_expiry(gtins, today, thresholds)
    return NearExpiryScanOut(as_of=today, thresholds=thresholds, reported=[NearExpiryReport(**r) for r in reported])


# Inbound API of an external warehouse system (WMS) --------------------------------------------------------------

ExternalReference = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
ExternalReferenceHeader = Annotated[
    str | None,
    Header(alias="External-Reference", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="the WMS's own id of the message (or the body's external_reference)"),
]


def _external_reference(body_value: str | None, header_value: str | None) -> str:
    if body_value and header_value and body_value != header_value:
        raise invalid_field("external_reference", "external-reference-consistent",
                            "the External-Reference header and the body's external_reference differ")
    reference = body_value or header_value
    if reference is None:
        raise invalid_field("external_reference", "external-reference-required",
                            "give the WMS's reference of the message (body or External-Reference header)")
    return reference


class WmsReceiptIn(GoodsReceiptIn):
    external_reference: ExternalReference | None = None


class WmsReceiptOut(BaseModel):
    external_reference: str
    receipt_id: UUID
    status: Literal["quarantine"] = "quarantine"
    warnings: list[ReceiptWarning]
    replayed: bool = Field(description="true when this reference was seen before: the first result, nothing stored")


class WmsStockMoveIn(StockMoveIn):
    external_reference: ExternalReference | None = None


class WmsStockMoveOut(BaseModel):
    external_reference: str
    item_id: UUID
    item_version: int = Field(description="the item's version after the move")
    replayed: bool


# A repeat of a message answers 200 with the first result.
REPEATED: dict[int | str, dict] = {200: {"description": "this external reference was applied before: the first result;"
                                                    " nothing was stored"}}


def _reused(e: ExternalReferenceReusedError) -> Problem:
    return rule_violated("external-reference-unique", str(e), external_reference=e.external_reference)


@router.post("/wms/receipts", status_code=status.HTTP_201_CREATED, operation_id="wms_receive_goods", tags=["wms"],
             responses=REPEATED)
def wms_receive(body: WmsReceiptIn, request: Request, response: Response, _: WarehouseCommand,
                external_reference: ExternalReferenceHeader = None) -> WmsReceiptOut:
    """A goods receipt from the WMS, with the rules of POST /goods-receipts (qualified supplier, into quarantine).
    Sent again with the same reference: the first answer (200), nothing stored; another payload: 409."""
    reference = _external_reference(body.external_reference, external_reference)
    lines = [line.model_dump() for line in body.lines]
    payload = body.model_dump(mode="json", exclude={"external_reference"})
    try:
        with receipt_problems(body.supplier_id):
            result, first = request.app.state.application.receive_from_wms(reference, body.supplier_id, lines, payload)
    except ExternalReferenceReusedError as e:
        raise _reused(e) from None
    if not first:
        response.status_code = status.HTTP_200_OK
    return WmsReceiptOut(external_reference=reference, receipt_id=result["receipt_id"],
                         warnings=[ReceiptWarning(**w) for w in result["warnings"]], replayed=not first)


@router.post("/wms/stock-moves", status_code=status.HTTP_201_CREATED, operation_id="wms_move_stock", tags=["wms"],
             responses=REPEATED)
def wms_move(body: WmsStockMoveIn, request: Request, response: Response, _: WarehouseCommand,
             external_reference: ExternalReferenceHeader = None) -> WmsStockMoveOut:
    """A stock move from the WMS, with the rules of POST /stock/moves; idempotent by external reference."""
    reference = _external_reference(body.external_reference, external_reference)
    payload = body.model_dump(mode="json", exclude={"external_reference"})
    try:
        with _stock_rules(body):
            result, first = request.app.state.application.move_from_wms(reference, body.model_dump(), payload)
    except ExternalReferenceReusedError as e:
        raise _reused(e) from None
    if not first:
        response.status_code = status.HTTP_200_OK
    return WmsStockMoveOut(external_reference=reference, item_id=result["item_id"],
                           item_version=result["item_version"], replayed=not first)


class WmsPicksIn(Picks):
    order_id: UUID
    external_reference: ExternalReference | None = None


class WmsPicksOut(BaseModel):
    external_reference: str
    order_id: UUID
    picked: list[dict] = Field(description="the reserved lines this message confirmed (quantities, serials)")
    units_to_pick: int = Field(description="reserved units still to be picked after this message")
    picks_complete: bool
    replayed: bool


class WmsShipmentIn(Dispatch):
    order_id: UUID
    external_reference: ExternalReference | None = None


class WmsShipmentOut(BaseModel):
    external_reference: str
    order_id: UUID
    status: str = Field(description="the fulfilment's status after this message: shipped or partially_shipped")
    shipments: list[dict] = Field(description="the shipments this message created, one per warehouse")
    replayed: bool


@router.post("/wms/picks", status_code=status.HTTP_201_CREATED, operation_id="wms_confirm_picks", tags=["wms"],
             responses=REPEATED)
def wms_pick(body: WmsPicksIn, request: Request, response: Response, _: WarehouseCommand,
             external_reference: ExternalReferenceHeader = None) -> WmsPicksOut:
    """Picks confirmed by UDI scan in the WMS, with the rules of POST /fulfilments/{order_id}/picks (all scans or
    none; another GTIN, lot or serial than reserved: 409); idempotent by external reference."""
    reference = _external_reference(body.external_reference, external_reference)
    scans = parse_scans(body.scans)
    payload = body.model_dump(mode="json", exclude={"external_reference"})
    app = request.app.state.application
    try:
        result, first = run_picks(body.order_id, lambda: app.pick_from_wms(reference, body.order_id, scans, payload))
    except ExternalReferenceReusedError as e:
        raise _reused(e) from None
    if not first:
        response.status_code = status.HTTP_200_OK
    return WmsPicksOut(external_reference=reference, replayed=not first, **result)


@router.post("/wms/shipments", status_code=status.HTTP_201_CREATED, operation_id="wms_dispatch", tags=["wms"],
             responses=REPEATED)
def wms_ship(body: WmsShipmentIn, request: Request, response: Response, _: WarehouseCommand,
             external_reference: ExternalReferenceHeader = None) -> WmsShipmentOut:
    """A shipment from the WMS (or TMS), with the rules of POST /fulfilments/{order_id}/dispatch (every reserved
    unit picked when picking is required, no held stock); idempotent by external reference."""
    reference = _external_reference(body.external_reference, external_reference)
    payload = body.model_dump(mode="json", exclude={"external_reference"})
    app = request.app.state.application
    try:
        result, first = app.dispatch_from_wms(reference, body.order_id, body.carrier, body.tracking_number, payload,
                                              open_recalls=open_recalls(request))
    except ExternalReferenceReusedError as e:
        raise _reused(e) from None
    except UnknownFulfilmentError:
        raise not_found("Fulfilment", body.order_id) from None
    except (FulfilmentStateError, LotRuleError) as e:
        raise rule_violated(e.rule, str(e)) from None  # dispatch-reserved-only, dispatch-picked-only, held stock
    if not first:
        response.status_code = status.HTTP_200_OK
    return WmsShipmentOut(external_reference=reference, replayed=not first, **result)
