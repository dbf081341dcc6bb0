"""Outbound HTTP API: picking by UDI scan, delivery, the hospital's acceptance (验收), returns (RMA) and kits.

Register in services/inventory/web.py:
    from services.inventory.api.outbound import router as outbound_router   # and add it to the routers list
"""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.inventory.domain import FulfilmentStateError, LotRuleError, UnknownLotError
from services.inventory.domain.fulfilment import PickRefusedError, ReturnRuleError, Scan, UnknownShipmentError
from services.inventory.domain.kits import KitRuleError
from shared.domain.udi import UDIError, parse_udi
from services.inventory.outbound import UnknownComponentError, UnknownFulfilmentError
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Note, ShortName
from shared.platform.api import REPLAYED, IdempotencyKey, command_by
from shared.platform.auth import ORDER_DESK, WAREHOUSE, CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import Problem, invalid_field, not_found, rule_violated

router = APIRouter(tags=["outbound"])

WarehouseCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
Person = ShortName
WarehouseCommand = command_by(WAREHOUSE)
# The hospital's acceptance is recorded by the warehouse (from the signed delivery note) or the order desk.
AcceptanceCommand = command_by(WAREHOUSE, ORDER_DESK)
Reason = Literal["damaged", "expired", "wrong_item", "recall", "other"]
Disposition = Literal["restock", "quarantine", "scrap"]


class FulfilmentView(BaseModel):
    fulfilment_id: UUID
    order_id: UUID
    status: str
    picking_required: bool
    units_to_pick: int
    picks_complete: bool
    reserved: list[dict]
    picked: list[dict]
    shipments: list[dict]
    returns: list[dict]
    version: int


def _view(f) -> FulfilmentView:  # noqa: ANN001
    return FulfilmentView(fulfilment_id=f.id, order_id=f.order_id, status=f.status, picking_required=f.picking_required,
                          units_to_pick=f.units_to_pick, picks_complete=f.picks_complete, reserved=f.reserved,
                          picked=f.picked, shipments=f.shipments, returns=f.returns, version=f.version)


def _run(order_id: UUID, command):  # noqa: ANN001, ANN202
    try:
        return command()
    except UnknownFulfilmentError:
        raise not_found("Fulfilment", order_id) from None
    except UnknownShipmentError as e:
        raise Problem(404, "Shipment not found", str(e)) from None
    except FulfilmentStateError as e:
        raise rule_violated(e.rule, str(e)) from None
    except (ReturnRuleError, LotRuleError, KitRuleError) as e:
        raise rule_violated(e.rule, str(e)) from None


# Picking by UDI scan ---------------------------------------------------------------------------------------------

class Picks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scans: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=1000, description="exactly what the scanner sent, one string per scan; a scan is one"
                                                   " unit unless it carries a count (GS1 (30)/(37), HIBC quantity)")


@router.post("/fulfilments/{order_id}/picks", operation_id="confirm_picks")
def confirm_picks(order_id: UUID, body: Picks, request: Request, _: WarehouseCommand) -> FulfilmentView:
    """Confirm reserved units by their UDI scans: all scans or none. A scan of another GTIN, lot or serial than
    reserved is refused (409, naming expected and scanned)."""
    scans = parse_scans(body.scans)
    app = request.app.state.application
    return _view(run_picks(order_id, lambda: app.confirm_picks(order_id, scans)))


def parse_scans(codes: list[str]) -> list[Scan]:
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
    return scans


def run_picks(order_id: UUID, command):  # noqa: ANN001, ANN201
    """Run a pick command, its refusals as problems (404, 409 naming expected and scanned)."""
    try:
        return _run(order_id, command)
    except PickRefusedError as e:
        raise rule_violated(e.rule, str(e), scan=e.scan, expected=e.expected, scanned=e.scanned) from None


# Delivery and acceptance (验收) -----------------------------------------------------------------------------------

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


@router.post("/fulfilments/{order_id}/shipments/{shipment_id}/delivery", operation_id="confirm_delivery")
def confirm_delivery(order_id: UUID, shipment_id: UUID, body: Delivery, request: Request,
                     _: WarehouseCommand) -> FulfilmentView:
    app = request.app.state.application
    return _view(_run(order_id, lambda: app.confirm_delivery(order_id, shipment_id, body.delivered_at, body.received_by)))


@router.post("/fulfilments/{order_id}/shipments/{shipment_id}/acceptance", operation_id="accept_shipment")
def accept_shipment(order_id: UUID, shipment_id: UUID, body: Acceptance, request: Request,
                    _: AcceptanceCommand) -> FulfilmentView:
    """The hospital's acceptance inspection of a delivered shipment, with any discrepancy found."""
    app = request.app.state.application
    discrepancies = [d.model_dump() for d in body.discrepancies]
    return _view(_run(order_id, lambda: app.accept_shipment(order_id, shipment_id, body.accepted_by, body.accepted_at,
                                                            discrepancies, body.note)))


# Returns (RMA) -----------------------------------------------------------------------------------------------------

class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    quantity: int = Field(gt=0, le=1_000_000)
    serials: list[SerialInput] | None = Field(None, max_length=10_000)

    @field_validator("serials")
    @classmethod
    def _one_per_unit(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and ("quantity" in info.data and len(value) != info.data["quantity"]
                                  or len(set(value)) != len(value)):
            raise ValueError("one unique serial number per returned unit")
        return value


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    order_id: UUID
    shipment_id: UUID
    reason: Reason
    disposition: Disposition = Field(description="restock: into quarantine to be inspected and restocked;"
                                                 " quarantine: kept in quarantine; scrap: destroyed")
    warehouse: WarehouseCode = Field(description="where the goods come back to (quarantine there)")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    note: Note | None = Field(None, description="required when the reason is other")


class ReturnOut(BaseModel):
    return_id: UUID
    order_id: UUID
    shipment_id: UUID
    reason: str
    disposition: str
    warehouse: str
    lines: list[dict]
    note: str | None


@router.post("/returns", status_code=status.HTTP_201_CREATED, operation_id="record_return", tags=["returns"],
             responses=REPLAYED)
def record_return(body: ReturnIn, request: Request, response: Response, meta: WarehouseCommand,
                  idempotency_key: IdempotencyKey = None) -> ReturnOut:
    """A return against a shipment; its stock comes back into quarantine (restock, quarantine) or is scrapped."""
    if body.reason == "other" and not body.note:
        raise invalid_field("note", "note-required", "a return for reason other needs a note")
    return_id = new_aggregate_id("return", meta.actor, idempotency_key)
    app = request.app.state.application
    lines = [line.model_dump() for line in body.lines]
    try:
        fulfilment, created = _run(body.order_id, lambda: app.record_return(
            return_id, body.order_id, body.shipment_id, body.reason, body.disposition, body.warehouse, lines, body.note))
    except UnknownLotError as e:
        raise Problem(404, "Lot not found", str(e)) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    recorded = next(r for r in fulfilment.returns if str(r["return_id"]) == str(return_id))
    return ReturnOut(order_id=fulfilment.order_id, **recorded)


class ReturnRow(BaseModel):
    return_id: UUID
    line_no: int
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID
    gtin: str
    lot: str
    expiry: date
    quantity: int
    reason: str
    disposition: str
    warehouse: str
    note: str | None
    returned_at: datetime
    actor: str


@router.get("/returns", operation_id="list_returns", tags=["returns"])
def list_returns(request: Request, _: CurrentPrincipal, paging: Paging,
                 reason: Annotated[Reason | None, Query()] = None,
                 gtin: Annotated[GTINInput | None, Query()] = None,
                 lot: Annotated[LotInput | None, Query()] = None,
                 disposition: Annotated[Disposition | None, Query()] = None) -> Page[ReturnRow]:
    """Returned lines for analytics, newest first, filtered by reason, GTIN, lot, disposition."""
    rows, total = fetch_page(request.app.state.pool, f"{request.app.state.schema}.returns", paging,
                             order_by="returned_at DESC, return_id, line_no",
                             where={"reason = %s": reason, "gtin = %s": gtin, "lot = %s": lot,
                                    "disposition = %s": disposition})
    return Page(items=[ReturnRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


# Kits and re-packing -----------------------------------------------------------------------------------------------

class ComponentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    warehouse: WarehouseCode
    quantity: int = Field(gt=0, le=1_000_000)


class KitAssemblyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kit_gtin: GTINInput
    lot: LotInput
    quantity: int = Field(gt=0, le=1_000_000)
    warehouse: WarehouseCode
    expiry: date | None = Field(None, description="default: the earliest component expiry; only an earlier one")
    components: list[ComponentIn] = Field(min_length=1, max_length=100)


class KitAssemblyOut(BaseModel):
    assembly_id: UUID
    kit_gtin: str
    lot: str
    expiry: date
    quantity: int
    warehouse: str
    status: Literal["quarantine"] = "quarantine"
    components: list[dict]


@router.post("/kits/assemblies", status_code=status.HTTP_201_CREATED, operation_id="assemble_kit", tags=["kits"],
             responses=REPLAYED)
def assemble_kit(body: KitAssemblyIn, request: Request, response: Response, meta: WarehouseCommand,
                 idempotency_key: IdempotencyKey = None) -> KitAssemblyOut:
    """Consume component lots (available stock) and produce a new kit lot (into quarantine), in one transaction."""
    assembly_id = new_aggregate_id("kit-assembly", meta.actor, idempotency_key)
    app = request.app.state.application
    components = [c.model_dump() for c in body.components]
    try:
        kit, created = _run(body.kit_gtin, lambda: app.assemble_kit(
            assembly_id, body.kit_gtin, body.lot, body.quantity, body.warehouse, components, body.expiry))
    except UnknownComponentError as e:
        field = "kit_gtin" if e.index is None else f"components[{e.index}].gtin"
        raise invalid_field(field, "registered-item", "register the item first",
                            detail=f"no item is registered with GTIN {e.gtin}") from None
    except UnknownLotError as e:
        raise Problem(404, "Lot not found", str(e)) from None
    if not created:
        response.status_code = status.HTTP_200_OK
    assembly = kit.assemblies[str(assembly_id)]
    return KitAssemblyOut(assembly_id=assembly_id, kit_gtin=body.kit_gtin, lot=assembly["lot"],
                          expiry=assembly["expiry"], quantity=assembly["quantity"], warehouse=assembly["warehouse"],
                          components=[{k: v for k, v in c.items()} for c in components])
