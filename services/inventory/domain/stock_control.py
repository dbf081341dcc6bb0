"""Stock control of an item (`item.control`): moves between locations and warehouses, cycle counts and adjustments,
and near-expiry reports, on the item's lots ((lot, warehouse) -> LotStock).

Rules:
- only available stock moves (released by quality, not on hold, not recalled), never more than is available (on hand
  less allocated); within one warehouse a lot has one location, so a relocation moves all of it, with nothing
  allocated;
- a count or adjustment never takes stock below what is allocated, and a change needs a reason;
- a lot in a warehouse is reported nearing expiry once per threshold: a scan records the tightest threshold it
  has crossed since the last report, so scanning again (or daily) records nothing new until the next threshold.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from services.inventory.domain.fefo import AVAILABLE, LotStock
from services.inventory.domain.parts import ItemEvent, ItemPart, formerly
from shared.domain.rules import InvalidReference, RuleViolation

_FORMERLY = "services.inventory.domain.stock_control:StockControl."  # when stock control was a base class of the item


class StockControlError(RuleViolation):
    def __init__(self, rule: str, message: str, gtin: str, lot: str) -> None:
        super().__init__(rule, message, gtin=gtin, lot=lot)


@dataclass
class StockControl(ItemPart):
    # (lot, warehouse) -> the tightest threshold reported nearing expiry
    near_expiry_reported: dict[tuple[str, str], int] = field(default_factory=dict)

    def move(self, lot: str, from_warehouse: str, to_warehouse: str, quantity: int, to_location: str | None = None,
             move_id: str | None = None) -> None:
        source = self._stock(lot, from_warehouse)
        if quantity <= 0:
            raise InvalidReference("quantity", "quantity-positive", "a move takes at least one unit")
        self.item.recalls.check_not_recalled([lot], action="moved")
        if not source.reservable:
            self._refuse("move-available-only", lot, f"lot {lot} in {from_warehouse} is {source.status}: only available"
                                                     " stock is moved")
        if quantity > source.available:
            self._refuse("move-within-available", lot, f"{quantity} units of lot {lot} cannot leave {from_warehouse}:"
                         f" {source.available} available ({source.on_hand} on hand, {source.allocated} allocated)")
        if from_warehouse == to_warehouse:
            if to_location is None or to_location == source.location:
                self._refuse("move-somewhere-else", lot, "a move within a warehouse names a new to_location")
            if quantity != source.on_hand or source.allocated:
                self._refuse("relocate-whole-lot", lot, f"lot {lot} has one location in {from_warehouse}: a relocation"
                                                        f" moves all {source.on_hand} units, with nothing allocated")
        elif (target := self.item.lots.get((lot, to_warehouse))) is not None and target.quality != AVAILABLE:
            self._refuse("move-into-available-stock", lot, f"lot {lot} in {to_warehouse} is {target.quality}: available"
                                                           " stock is not mixed with it")
        self.record(StockMoved, lot=lot, expiry=source.expiry, quantity=quantity, from_warehouse=from_warehouse,
                    from_location=source.location, to_warehouse=to_warehouse, to_location=to_location, move_id=move_id)

    def count(self, lot: str, warehouse: str, counted: int, reason: str | None, count_id: str | None = None) -> int:
        """Record a cycle count; a difference is adjusted at once (with the reason). Returns the change."""
        current = self._stock(lot, warehouse)
        change = counted - current.on_hand
        self._check_adjustment(current, change, reason)
        self.record(StockCounted, lot=lot, warehouse=warehouse, expected=current.on_hand, counted=counted,
                    count_id=count_id)
        if change:
            self.record(StockAdjusted, lot=lot, warehouse=warehouse, quantity_change=change, on_hand=counted,
                        reason=reason, count_id=count_id)
        return change

    def adjust(self, lot: str, warehouse: str, quantity_change: int, reason: str | None) -> int:
        """An adjustment outside a count (e.g. a damaged unit written off). Returns the new quantity on hand."""
        current = self._stock(lot, warehouse)
        if quantity_change == 0:
            raise InvalidReference("quantity_change", "quantity-change-not-zero", "an adjustment changes the quantity")
        self._check_adjustment(current, quantity_change, reason)
        self.record(StockAdjusted, lot=lot, warehouse=warehouse, quantity_change=quantity_change,
                    on_hand=current.on_hand + quantity_change, reason=reason, count_id=None)
        return current.on_hand + quantity_change

    def _check_adjustment(self, current: LotStock, change: int, reason: str | None) -> None:
        if change:  # a count that finds what the books say moves nothing, and is allowed
            self.item.recalls.check_not_recalled([current.lot], action="adjusted")
        where = f"lot {current.lot} in {current.warehouse}"
        if current.on_hand + change < 0:
            self._refuse("stock-not-negative", current.lot, f"{where} has {current.on_hand} on hand: it cannot go below 0")
        if current.on_hand + change < current.allocated:
            self._refuse("not-below-allocated", current.lot, f"{where} has {current.allocated} allocated: on hand cannot"
                         f" go to {current.on_hand + change}; release the allocation first")
        if change and not (reason and reason.strip()):
            raise InvalidReference("reason", "reason-required", "an adjustment of stock needs a reason")

    def report_near_expiry(self, today: date, thresholds: list[int]) -> list[tuple[str, str, int]]:
        """Record StockNearingExpiry for each lot in a warehouse, with stock, that has crossed a threshold tighter
        than the last one reported for it. Returns (lot, warehouse, threshold) of what was recorded."""
        recorded = []
        for (lot, warehouse), stock in sorted(self.item.lots.items()):
            days_left = (stock.expiry - today).days
            crossed = [t for t in thresholds if days_left <= t]
            if stock.on_hand <= 0 or not crossed:
                continue
            tightest = min(crossed)
            reported = self.near_expiry_reported.get((lot, warehouse))
            if reported is not None and reported <= tightest:
                continue
            self.record(StockNearingExpiry, lot=lot, warehouse=warehouse, threshold_days=tightest, expiry=stock.expiry,
                        days_left=days_left, on_hand=stock.on_hand)
            recorded.append((lot, warehouse, tightest))
        return recorded

    def _stock(self, lot: str, warehouse: str) -> LotStock:
        current = self.item.lots.get((lot, warehouse))
        if current is None:
            self._refuse("stock-exists", lot, f"no lot {lot} of {self.item.gtin} in {warehouse}")
        return current

    def _refuse(self, rule: str, lot: str, message: str) -> None:
        raise StockControlError(rule, message, self.item.gtin, lot)


@formerly(_FORMERLY + "StockMoved")
class StockMoved(ItemEvent):
    lot: str
    expiry: date
    quantity: int
    from_warehouse: str
    from_location: str | None
    to_warehouse: str
    to_location: str | None
    move_id: str | None = None

    def apply(self, item: Any) -> None:
        source = item.lots[(self.lot, self.from_warehouse)]
        if self.from_warehouse == self.to_warehouse:
            item.lots[(self.lot, self.from_warehouse)] = replace(source, location=self.to_location)
            return
        item.lots[(self.lot, self.from_warehouse)] = replace(source, on_hand=source.on_hand - self.quantity)
        target = item.lots.get((self.lot, self.to_warehouse))
        if target is not None:
            item.lots[(self.lot, self.to_warehouse)] = replace(target, on_hand=target.on_hand + self.quantity,
                                                               location=self.to_location or target.location)
            return
        item.lots[(self.lot, self.to_warehouse)] = LotStock(self.lot, self.to_warehouse, self.expiry, self.quantity, 0,
                                                            quality=AVAILABLE, held=source.held,
                                                            location=self.to_location, recalled=source.recalled)
        # Moved stock was reported nearing expiry where it came from: not again for the same thresholds.
        reported = item.control.near_expiry_reported
        if (self.lot, self.from_warehouse) in reported:
            reported[(self.lot, self.to_warehouse)] = reported[(self.lot, self.from_warehouse)]


@formerly(_FORMERLY + "StockCounted")
class StockCounted(ItemEvent):
    lot: str
    warehouse: str
    expected: int
    counted: int
    count_id: str | None = None

    def apply(self, item: Any) -> None:
        pass  # the count itself changes nothing; a difference is a StockAdjusted that follows it


@formerly(_FORMERLY + "StockAdjusted")
class StockAdjusted(ItemEvent):
    lot: str
    warehouse: str
    quantity_change: int
    on_hand: int
    reason: str | None
    count_id: str | None = None

    def apply(self, item: Any) -> None:
        current = item.lots[(self.lot, self.warehouse)]
        item.lots[(self.lot, self.warehouse)] = replace(current, on_hand=current.on_hand + self.quantity_change)


@formerly(_FORMERLY + "StockNearingExpiry")
class StockNearingExpiry(ItemEvent):
    lot: str
    warehouse: str
    threshold_days: int
    expiry: date
    days_left: int
    on_hand: int

    def apply(self, item: Any) -> None:
        item.control.near_expiry_reported[(self.lot, self.warehouse)] = self.threshold_days
