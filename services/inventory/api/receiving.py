"""Receiving and quality over HTTP: goods receipts into quarantine, quality inspection, holds and their release.
Handlers: application/receiving.py, application/quality.py."""

from datetime import date
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.inventory.api.common import HoldCommand, InspectCommand, LocationCode, LotStatus, ReceiveCommand, ReleaseHoldCommand, WarehouseCode, Work
from services.inventory.application import quality, receiving
from shared.domain.gtin import GS1Date, GTINInput, LotInput, SerialInput
from shared.domain.text import Reason
from shared.platform.api import command_reason

router = APIRouter(tags=["inventory"])


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

    def command(self) -> receiving.ReceiveGoods:
        return receiving.ReceiveGoods(supplier_id=self.supplier_id, lines=tuple(line.model_dump() for line in self.lines))


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


def _lots_out(item: Any, lot: str) -> LotsOut:
    return LotsOut(item_id=item.id, gtin=item.gtin, version=item.version, lots=[
        LotOut(gtin=item.gtin, lot=s.lot, warehouse=s.warehouse, expiry=s.expiry, status=s.status, on_hand=s.on_hand,
               allocated=s.allocated) for s in item.lots_numbered(lot)])


@router.post("/goods-receipts", status_code=status.HTTP_201_CREATED, operation_id="receive_goods", tags=["receiving"])
def receive_goods(body: GoodsReceiptIn, _: ReceiveCommand, uow: Work) -> GoodsReceiptOut:
    """Every line is received into quarantine, or none: from a supplier with valid qualifications only."""
    receipt = receiving.receive_goods(body.command(), uow)
    return GoodsReceiptOut(receipt_id=receipt.receipt_id, supplier_id=body.supplier_id, lines=body.lines,
                           warnings=[ReceiptWarning(**w) for w in receipt.warnings])


@router.post("/quality/inspections", operation_id="inspect_lot", tags=["quality"])
def inspect_lot(body: InspectLot, meta: InspectCommand, uow: Work) -> LotsOut:
    """Release quarantined stock (available) or reject it (blocked for good; a reason is required)."""
    reason = command_reason(body.reason, meta, required=body.result == "rejected")
    item = quality.inspect_lot(quality.InspectLot(gtin=body.gtin, lot=body.lot, warehouse=body.warehouse,
                                                  released=body.result == "released", reason=reason), uow)
    return _lots_out(item, body.lot)


@router.post("/quality/holds", operation_id="hold_lot", tags=["quality"])
def hold_lot(body: LotCommand, meta: HoldCommand, uow: Work) -> LotsOut:
    """Put a lot on hold in every warehouse: it is neither reserved nor shipped until the hold is released."""
    reason = command_reason(body.reason, meta)
    return _lots_out(quality.hold_lot(quality.HoldLot(gtin=body.gtin, lot=body.lot, reason=reason), uow), body.lot)


@router.post("/quality/holds/release", operation_id="release_hold", tags=["quality"])
def release_hold(body: LotCommand, meta: ReleaseHoldCommand, uow: Work) -> LotsOut:
    """Release a hold; a reason is required. A hold a recall placed stays while the recall is open (409)."""
    reason = command_reason(body.reason, meta)
    return _lots_out(quality.release_hold(quality.ReleaseHold(gtin=body.gtin, lot=body.lot, reason=reason), uow),
                     body.lot)
