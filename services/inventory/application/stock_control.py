"""Stock control: moves between warehouses and locations, cycle counts (a difference is adjusted at once, with a
reason), adjustments, and the near-expiry scan that records StockNearingExpiry once per threshold per lot and
warehouse (INVENTORY_NEAR_EXPIRY_THRESHOLDS), so running it daily, or more often, is harmless."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from services.inventory.application import InventoryUnitOfWork
from services.inventory.application.item_master import registered_item
from services.inventory.domain import StockItem, item_id_for
from shared.platform.command import Command


class MoveStock(Command):
    gtin: str
    lot: str
    from_warehouse: str
    to_warehouse: str
    quantity: int
    to_location: str | None = None  # required within a warehouse
    move_id: str | None = None      # e.g. the WMS's reference of the move


class CountStock(Command):
    gtin: str
    lot: str
    warehouse: str
    counted: int
    reason: str | None = None  # required when the count differs
    count_id: str | None = None


class AdjustStock(Command):
    gtin: str
    lot: str
    warehouse: str
    quantity_change: int
    reason: str


class ScanNearExpiry(Command):
    today: date


@dataclass(frozen=True)
class NearExpiryScan:
    as_of: date
    thresholds: list[int]
    reported: list[dict[str, Any]]  # gtin, lot, warehouse, threshold_days, expiry: what this scan recorded


def move_stock(command: MoveStock, uow: InventoryUnitOfWork) -> StockItem:
    item = registered_item(uow, command.gtin, "gtin")
    item.control.move(command.lot, command.from_warehouse, command.to_warehouse, command.quantity,
                      command.to_location, command.move_id)
    return _saved(uow, item)


def count_stock(command: CountStock, uow: InventoryUnitOfWork) -> tuple[StockItem, int]:
    """The item and the adjustment the count caused (0 when the books were right)."""
    item = registered_item(uow, command.gtin, "gtin")
    change = item.control.count(command.lot, command.warehouse, command.counted, command.reason, command.count_id)
    return _saved(uow, item), change


def adjust_stock(command: AdjustStock, uow: InventoryUnitOfWork) -> StockItem:
    item = registered_item(uow, command.gtin, "gtin")
    item.control.adjust(command.lot, command.warehouse, command.quantity_change, command.reason)
    return _saved(uow, item)


def scan_near_expiry(command: ScanNearExpiry, uow: InventoryUnitOfWork) -> NearExpiryScan:
    """Every lot in a warehouse that crossed a threshold since it was last reported, among the items the stock
    read model says have stock expiring within the widest threshold."""
    thresholds = uow.settings.near_expiry_thresholds
    reported = []
    for gtin in uow.expiring_stock.items_expiring_by(command.today + timedelta(days=max(thresholds))):
        item = uow.get(item_id_for(gtin), StockItem)
        recorded = item.control.report_near_expiry(command.today, thresholds) if item is not None else []
        if recorded:
            uow.collect(item)
        reported += [{"gtin": gtin, "lot": lot, "warehouse": warehouse, "threshold_days": threshold,
                      "expiry": item.lots[(lot, warehouse)].expiry} for lot, warehouse, threshold in recorded]
    uow.commit()
    return NearExpiryScan(command.today, thresholds, reported)


def _saved(uow: InventoryUnitOfWork, item: StockItem) -> StockItem:
    uow.collect(item)
    uow.commit()
    return item
