"""Inventory HTTP API: item master, suppliers and qualifications, receiving, quality (inspection and holds),
stock on hand, fulfilment and dispatch."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.inventory.application import UnknownItemError, UnknownSupplierError
from services.inventory.domain import (
    FulfilmentStateError, LotExpiredError, LotRuleError, QualificationError, UnknownLotError,
)
from services.inventory.domain.supplier import DOCUMENT_TYPES
from services.inventory.projections.stock import STATUS_SQL
from shared.domain.gtin import GS1Date, GTINInput, LotInput, SerialInput
from shared.domain.text import Name, Reason, single_line
from shared.domain.validity import ValidityPeriod
from shared.platform.api import REPLAYED, IdempotencyKey, command_by, command_reason
from shared.platform.auth import CHANNEL_MANAGER, MASTER_DATA, QUALITY, WAREHOUSE, CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import Problem, invalid_field, not_found, rule_violated
from stdnum.cn import uscc
from services.inventory.projections.open_recalls import OpenRecallRegister


def open_recalls(request: Request) -> OpenRecallRegister:
    """The register of open recalls dispatch asks, beside the items' own recall stops."""
    return OpenRecallRegister(request.app.state.pool, request.app.state.schema)

router = APIRouter(tags=["inventory"])

# Who may do what, until per-action permissions arrive: the item master is master data; suppliers and their
# qualifications (首营) are kept by master data or quality; quality inspects and holds; the warehouse moves stock.
MasterDataCommand = command_by(MASTER_DATA, CHANNEL_MANAGER)
SupplierCommand = command_by(MASTER_DATA, QUALITY)
QualityCommand = command_by(QUALITY)
WarehouseCommand = command_by(WAREHOUSE)

WarehouseCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]


class RegisterItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    name: Name
    device_class: int = Field(ge=1, le=3, description="NMPA device class I, II or III")
    model: single_line(200, "型号规格: the model / specification on the label") | None = None  # type: ignore[valid-type]
    manufacturer: single_line(200, "生产企业: who makes the device") | None = None  # type: ignore[valid-type]


class ItemOut(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    model: str | None = None
    manufacturer: str | None = None
    version: int


class ItemRow(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    model: str | None
    manufacturer: str | None
    certificate_number: str | None = Field(description="注册证编号, when one is on record")
    certificate_valid_to: date | None



LotStatus = Literal["quarantine", "available", "on_hold", "rejected"]


class StockRow(BaseModel):
    gtin: str
    item_name: str | None = Field(None, description="the item master's name")
    lot: str
    warehouse: str
    location: str | None = None
    expiry: date
    status: LotStatus = Field(description="quarantine until quality inspection; on_hold while quality holds the lot")
    near_expiry: bool = False
    on_hand: int
    allocated: int
    available: int = Field(description="what can still be reserved: 0 unless the status is available")


class Dispatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)


class FulfilmentOut(BaseModel):
    fulfilment_id: UUID
    order_id: UUID
    status: str
    ship_to_hospital_id: UUID
    ship_to_distributor_id: UUID | None = Field(None, description="the distributor the goods ship to, when not direct")
    reserved: list[dict]
    shipments: list[dict]
    version: int


def _item_out(item) -> ItemOut:  # noqa: ANN001
    return ItemOut(item_id=item.id, gtin=item.gtin, name=item.name, device_class=item.device_class, model=item.model,
                   manufacturer=item.manufacturer, version=item.version)


def _fulfilment_out(f) -> FulfilmentOut:  # noqa: ANN001
    return FulfilmentOut(fulfilment_id=f.id, order_id=f.order_id, status=f.status, ship_to_hospital_id=f.ship_to_hospital_id,
                         ship_to_distributor_id=f.ship_to_distributor_id, reserved=f.reserved, shipments=f.shipments,
                         version=f.version)


@router.post("/items", status_code=status.HTTP_201_CREATED, operation_id="register_item", responses=REPLAYED)
def register_item(body: RegisterItem, request: Request, response: Response, _: MasterDataCommand) -> ItemOut:
    item, created = request.app.state.application.register_item(body.gtin, body.name, body.device_class, body.model,
                                                                 body.manufacturer)
    if not created:
        if (item.name, item.device_class, item.model, item.manufacturer) != (
                body.name, body.device_class, body.model, body.manufacturer):
            raise rule_violated("gtin-unique", f"GTIN {body.gtin} is already registered as {item.name!r}", gtin=body.gtin)
        response.status_code = status.HTTP_200_OK
    return _item_out(item)


@router.get("/items", operation_id="list_items")
def list_items(request: Request, _: CurrentPrincipal, paging: Paging,
               name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
               device_class: Annotated[int | None, Query(ge=1, le=3)] = None) -> Page[ItemRow]:
    """The item master: every registered device with its class and registration certificate."""
    rows, total = fetch_page(request.app.state.pool, f"{request.app.state.schema}.items", paging,
                             order_by="name, gtin",
                             where={"name ILIKE %s": f"%{name}%" if name else None, "device_class = %s": device_class})
    return Page(items=[ItemRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/items/{gtin}", operation_id="get_item")
def get_item(gtin: Annotated[GTINInput, Path()], request: Request, _: CurrentPrincipal) -> ItemOut:
    item = request.app.state.application.item_by_gtin(gtin)
    if item is None:
        raise not_found("Item", gtin)
    return _item_out(item)


class SerialRow(BaseModel):
    gtin: str
    serial: str
    lot: str
    expiry: date
    status: Literal["in_stock", "shipped", "returned", "scrapped"]
    warehouse: str | None
    shipment_id: UUID | None
    consignee_id: UUID | None
    updated_at: datetime


@router.get("/stock/serials", operation_id="list_serials")
def list_serials(request: Request, _: CurrentPrincipal, paging: Paging,
                 gtin: Annotated[GTINInput | None, Query()] = None,
                 lot: Annotated[LotInput | None, Query()] = None,
                 serial: Annotated[SerialInput | None, Query()] = None,
                 status_: Annotated[Literal["in_stock", "shipped", "returned", "scrapped"] | None,
                                    Query(alias="status")] = None) -> Page[SerialRow]:
    """Each serialised unit and where it is: in stock (which warehouse), shipped (to whom), returned or scrapped."""
    rows, total = fetch_page(request.app.state.pool, f"{request.app.state.schema}.serials", paging,
                             order_by="gtin, lot, serial",
                             where={"gtin = %s": gtin, "lot = %s": lot, "serial = %s": serial, "status = %s": status_})
    return Page(items=[SerialRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/stock", operation_id="list_stock")
def list_stock(request: Request, _: CurrentPrincipal, paging: Paging,
               gtin: Annotated[GTINInput | None, Query()] = None,
               lot: Annotated[LotInput | None, Query()] = None,
               warehouse: Annotated[str | None, Query(max_length=50)] = None,
               expiring_before: Annotated[date | None, Query()] = None,
               status_: Annotated[LotStatus | None, Query(alias="status")] = None) -> Page[StockRow]:
    schema = request.app.state.schema
    rows, total = fetch_page(
        request.app.state.pool, f"{schema}.stock_on_hand s LEFT JOIN {schema}.items i USING (gtin)", paging,
        columns=f"s.*, i.name AS item_name, {STATUS_SQL} AS status,"
                " CASE WHEN quality = 'available' AND NOT held THEN on_hand - allocated ELSE 0 END AS available",
        order_by="s.gtin, s.expiry, s.lot, s.warehouse",
        where={"s.gtin = %s": gtin, "s.lot = %s": lot, "s.warehouse = %s": warehouse, "s.expiry < %s": expiring_before,
               f"{STATUS_SQL} = %s": status_},
    )
    return Page(items=[StockRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/fulfilments/{order_id}", operation_id="get_fulfilment")
def get_fulfilment(order_id: UUID, request: Request, _: CurrentPrincipal) -> FulfilmentOut:
    fulfilment = request.app.state.application.get_fulfilment(order_id)
    if fulfilment is None:
        raise not_found("Fulfilment", order_id)
    return _fulfilment_out(fulfilment)


@router.post("/fulfilments/{order_id}/dispatch", operation_id="dispatch_fulfilment")
def dispatch(order_id: UUID, body: Dispatch, request: Request, _: WarehouseCommand) -> FulfilmentOut:
    try:
        fulfilment = request.app.state.application.dispatch(order_id, body.carrier, body.tracking_number,
                                                            open_recalls=open_recalls(request))
    except FulfilmentStateError as e:
        raise rule_violated(e.rule, str(e)) from None  # dispatch-reserved-only, dispatch-picked-only
    except LotRuleError as e:
        raise rule_violated(e.rule, str(e)) from None
    if fulfilment is None:
        raise not_found("Fulfilment", order_id)
    return _fulfilment_out(fulfilment)


# Suppliers and their qualifications (首营) -----------------------------------------------------------------------

DocumentType = Literal[DOCUMENT_TYPES]  # type: ignore[valid-type]


class RegisterSupplier(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name
    credit_code: str | None = Field(None, pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$",
                                    description="unified social credit code (统一社会信用代码), 18 characters,"
                                                " the last a check character (GB 32100-2015)")

    @field_validator("credit_code")
    @classmethod
    def _check_character(cls, value: str | None) -> str | None:
        if value is not None and not uscc.is_valid(value):
            raise ValueError(f"{value} is not a valid unified social credit code: its check character is wrong")
        return value


class RecordQualification(ValidityPeriod):
    document_type: DocumentType
    number: single_line(100, "the licence or certificate number")  # type: ignore[valid-type]


class QualificationOut(BaseModel):
    document_type: str
    number: str
    valid_from: date
    valid_to: date


class SupplierOut(BaseModel):
    supplier_id: UUID
    name: str
    credit_code: str | None
    documents: list[QualificationOut]
    qualified_today: bool
    missing_today: list[str] = Field(description="required qualifications not valid today (each: one of the types)")
    version: int


class SupplierRow(BaseModel):
    supplier_id: UUID
    name: str
    credit_code: str | None


def _supplier_out(s) -> SupplierOut:  # noqa: ANN001
    missing = s.missing_on(date.today())
    return SupplierOut(supplier_id=s.id, name=s.name, credit_code=s.credit_code,
                       documents=[QualificationOut(**d) for d in s.documents], qualified_today=not missing,
                       missing_today=missing, version=s.version)


@router.post("/suppliers", status_code=status.HTTP_201_CREATED, operation_id="register_supplier", tags=["suppliers"],
             responses=REPLAYED)
def register_supplier(body: RegisterSupplier, request: Request, response: Response, meta: SupplierCommand,
                      idempotency_key: IdempotencyKey = None) -> SupplierOut:
    supplier_id = new_aggregate_id("supplier", meta.actor, idempotency_key)
    supplier, created = request.app.state.application.register_supplier(supplier_id, body.name, body.credit_code)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _supplier_out(supplier)


@router.get("/suppliers", operation_id="list_suppliers", tags=["suppliers"])
def list_suppliers(request: Request, _: CurrentPrincipal, paging: Paging,
                   name: Annotated[str | None, Query(max_length=200)] = None) -> Page[SupplierRow]:
    rows, total = fetch_page(request.app.state.pool, f"{request.app.state.schema}.suppliers", paging,
                             order_by="name, supplier_id", where={"name = %s": name})
    return Page(items=[SupplierRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/suppliers/{supplier_id}", operation_id="get_supplier", tags=["suppliers"])
def get_supplier(supplier_id: UUID, request: Request, _: CurrentPrincipal) -> SupplierOut:
    supplier = request.app.state.application.get_supplier(supplier_id)
    if supplier is None:
        raise not_found("Supplier", supplier_id)
    return _supplier_out(supplier)


@router.post("/suppliers/{supplier_id}/qualifications", status_code=status.HTTP_201_CREATED,
             operation_id="record_supplier_qualification", tags=["suppliers"])
def record_qualification(supplier_id: UUID, body: RecordQualification, request: Request,
                         _: SupplierCommand) -> SupplierOut:
    try:
        supplier = request.app.state.application.record_qualification(
            supplier_id, body.document_type, body.number, body.valid_from, body.valid_to)
    except QualificationError as e:
        raise rule_violated(e.rule, str(e)) from None
    if supplier is None:
        raise not_found("Supplier", supplier_id)
    return _supplier_out(supplier)


# Goods receipts: into quarantine --------------------------------------------------------------------------------

LocationCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]


class ReceiptLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    expiry: GS1Date
    production_date: GS1Date | None = None
    quantity: int = Field(gt=0, le=1_000_000)
    serials: list[SerialInput] | None = Field(None, max_length=10_000, description="one per unit when the device is serialised")
    warehouse: WarehouseCode
    location: LocationCode | None = Field(None, description="storage location (bin) in the warehouse")

    @field_validator("production_date")
    @classmethod
    def _produced_before_expiry(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and "expiry" in info.data and value >= info.data["expiry"]:
            raise ValueError("production_date must be before expiry")
        return value

    @field_validator("serials")
    @classmethod
    def _one_serial_per_unit(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        if len(set(value)) != len(value):
            raise ValueError("serial numbers must be unique")
        if "quantity" in info.data and len(value) != info.data["quantity"]:
            raise ValueError(f"{len(value)} serial numbers for a quantity of {info.data['quantity']}: one per unit")
        return value


class GoodsReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    supplier_id: UUID
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=200)


class ReceiptWarning(BaseModel):
    line: int
    rule: str
    gtin: str
    lot: str
    detail: str


class GoodsReceiptOut(BaseModel):
    receipt_id: UUID
    supplier_id: UUID
    lines: list[ReceiptLineIn]
    status: Literal["quarantine"] = "quarantine"
    warnings: list[ReceiptWarning] = Field(description="e.g. near-expiry: the lot expires within the warning period")


@contextmanager
def receipt_problems(supplier_id: UUID) -> Iterator[None]:
    """The problem+json answers of a refused receipt, for every way goods come in (API or WMS)."""
    try:
        yield
    except UnknownSupplierError:
        raise invalid_field("supplier_id", "registered-supplier", "register the supplier first",
                            detail=f"no supplier {supplier_id} is registered") from None
    except QualificationError as e:
        raise rule_violated(e.rule, str(e), supplier_id=str(supplier_id)) from None
    except UnknownItemError as e:
        raise invalid_field(f"lines[{e.line}].gtin", "registered-item", "register the item first",
                            detail=f"no item is registered with GTIN {e.gtin}") from None
    except LotExpiredError as e:
        raise rule_violated("expired-at-receipt", str(e), field="expiry") from None
    except LotRuleError as e:
        raise rule_violated(e.rule, str(e)) from None


@router.post("/goods-receipts", status_code=status.HTTP_201_CREATED, operation_id="receive_goods", tags=["receiving"])
def receive_goods(body: GoodsReceiptIn, request: Request, _: WarehouseCommand) -> GoodsReceiptOut:
    """Every line is received into quarantine, or none: from a supplier with valid qualifications only."""
    lines = [line.model_dump() for line in body.lines]
    with receipt_problems(body.supplier_id):
        receipt_id, _items, warnings = request.app.state.application.receive_goods(body.supplier_id, lines)
    return GoodsReceiptOut(receipt_id=receipt_id, supplier_id=body.supplier_id, lines=body.lines,
                           warnings=[ReceiptWarning(**w) for w in warnings])


# Quality: inspection of quarantined stock, holds -----------------------------------------------------------------

class InspectLot(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    warehouse: WarehouseCode
    result: Literal["released", "rejected"]
    reason: Reason | None = Field(None, description="required when rejected (or in the X-Reason header)")


class LotCommand(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    reason: Reason | None = Field(None, description="why; required here or in the X-Reason header")


class LotOut(BaseModel):
    gtin: str
    lot: str
    warehouse: str
    expiry: date
    status: LotStatus
    on_hand: int
    allocated: int


class LotsOut(BaseModel):
    item_id: UUID
    gtin: str
    lots: list[LotOut]
    version: int


def _lots_out(item, lot: str) -> LotsOut:  # noqa: ANN001
    return LotsOut(item_id=item.id, gtin=item.gtin, version=item.version, lots=[
        LotOut(gtin=item.gtin, lot=s.lot, warehouse=s.warehouse, expiry=s.expiry, status=s.status, on_hand=s.on_hand,
               allocated=s.allocated) for s in item.lots_numbered(lot)])


def _quality_command(run, body) -> None:  # noqa: ANN001
    try:
        run()
    except UnknownItemError:
        raise invalid_field("gtin", "registered-item", "register the item first",
                            detail=f"no item is registered with GTIN {body.gtin}") from None
    except UnknownLotError as e:
        raise Problem(404, "Lot not found", str(e)) from None
    except LotRuleError as e:
        raise rule_violated(e.rule, str(e), gtin=body.gtin, lot=body.lot) from None


@router.post("/quality/inspections", operation_id="inspect_lot", tags=["quality"])
def inspect_lot(body: InspectLot, request: Request, meta: QualityCommand) -> LotsOut:
    """Release quarantined stock (available) or reject it (blocked for good; a reason is required)."""
    reason = command_reason(body.reason, meta, required=body.result == "rejected")
    app = request.app.state.application
    _quality_command(lambda: app.inspect_lot(body.gtin, body.lot, body.warehouse, body.result == "released", reason), body)
    return _lots_out(app.item_by_gtin(body.gtin), body.lot)


@router.post("/quality/holds", operation_id="hold_lot", tags=["quality"])
def hold_lot(body: LotCommand, request: Request, meta: QualityCommand) -> LotsOut:
    """Put a lot on hold in every warehouse: it is neither reserved nor shipped until the hold is released."""
    reason = command_reason(body.reason, meta)
    app = request.app.state.application
    _quality_command(lambda: app.hold_lot(body.gtin, body.lot, reason), body)
    return _lots_out(app.item_by_gtin(body.gtin), body.lot)


@router.post("/quality/holds/release", operation_id="release_hold", tags=["quality"])
def release_hold(body: LotCommand, request: Request, meta: QualityCommand) -> LotsOut:
    """Release a hold; a reason is required. A hold a recall placed stays while the recall is open (409)."""
    reason = command_reason(body.reason, meta)
    app = request.app.state.application
    _quality_command(lambda: app.release_hold(body.gtin, body.lot, reason), body)
    return _lots_out(app.item_by_gtin(body.gtin), body.lot)
