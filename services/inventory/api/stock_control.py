"""Stock control over HTTP: moves, cycle counts, adjustments and the near-expiry scan. Handlers:
application/stock_control.py."""

from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.inventory.api.common import (
    LocationCode, LotStatus, NearExpiryCommand, StockCommand, WarehouseCode, Work, today,
)
from services.inventory.application import stock_control
from shared.domain.gtin import GTINInput, LotInput
from shared.domain.text import Reason, single_line
from shared.platform.api import command_reason

router = APIRouter(tags=["stock control"])


class StockMoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    quantity: int = Field(gt=0, le=1_000_000)
    to_location: LocationCode | None = Field(None, description="storage location (bin); required within a warehouse")

    def command(self, move_id: str | None = None) -> stock_control.MoveStock:
        return stock_control.MoveStock(gtin=self.gtin, lot=self.lot, from_warehouse=self.from_warehouse,
                                       to_warehouse=self.to_warehouse, quantity=self.quantity,
                                       to_location=self.to_location, move_id=move_id)


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


@router.post("/stock/moves", operation_id="move_stock")
def move_stock(body: StockMoveIn, _: StockCommand, uow: Work) -> StockChangeOut:
    """Move available stock of a lot to another warehouse, or all of it to another location in the same one."""
    item = stock_control.move_stock(body.command(), uow)
    return _change_out(item, body.lot, [body.from_warehouse, body.to_warehouse])


@router.post("/stock/counts", operation_id="count_stock")
def count_stock(body: StockCountIn, meta: StockCommand, uow: Work) -> StockChangeOut:
    """Record a cycle count (StockCounted); a difference is adjusted at once (StockAdjusted, reason required).
    On hand never goes below what is allocated (409)."""
    item, change = stock_control.count_stock(stock_control.CountStock(
        gtin=body.gtin, lot=body.lot, warehouse=body.warehouse, counted=body.counted,
        reason=command_reason(body.reason, meta, required=False), count_id=body.count_id), uow)
    return _change_out(item, body.lot, [body.warehouse], change)


@router.post("/stock/adjustments", operation_id="adjust_stock")
def adjust_stock(body: StockAdjustmentIn, meta: StockCommand, uow: Work) -> StockChangeOut:
    """Adjust on hand outside a count (e.g. a damaged unit written off); a reason is required."""
    item = stock_control.adjust_stock(stock_control.AdjustStock(
        gtin=body.gtin, lot=body.lot, warehouse=body.warehouse, quantity_change=body.quantity_change,
        reason=command_reason(body.reason, meta)), uow)
    return _change_out(item, body.lot, [body.warehouse], body.quantity_change)


@router.post("/stock/near-expiry/scan", operation_id="scan_near_expiry")
def scan_near_expiry(_: NearExpiryCommand, uow: Work) -> NearExpiryScanOut:
    """Record StockNearingExpiry for every lot in a warehouse that crossed a threshold (INVENTORY_NEAR_EXPIRY_THRESHOLDS,
    default 180,90,30 days) since it was last reported: once per threshold, so it is safe to run daily, or more often."""
    scan = stock_control.scan_near_expiry(stock_control.ScanNearExpiry(today=today()), uow)
    return NearExpiryScanOut(as_of=scan.as_of, thresholds=scan.thresholds,
                             reported=[NearExpiryReport(**r) for r in scan.reported])
