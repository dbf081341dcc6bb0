"""Stock control of one item: moves between locations and warehouses, cycle counts and adjustments, and
near-expiry alerts. A base class of `StockItem`, working on its `lots` ((lot, warehouse) -> LotStock).

Rules:
- only available stock moves (released by quality, not on hold), never more than is available (on hand less
  allocated); within one warehouse a lot has one location, so a relocation moves all of it, with nothing allocated;
- a count or adjustment never takes stock below what is allocated, and a change needs a reason;
- a lot in a warehouse is reported nearing expiry once per threshold: a scan records the tightest threshold it
  has crossed since the last report, so scanning again (or daily) records nothing new until the next threshold.
"""

from dataclasses import replace
from datetime import date

from eventsourcing.domain import event

from services.inventory.domain.fefo import AVAILABLE, LotStock
from services.inventory.domain.item_master import ItemMasterData
from shared.domain.rules import RuleViolation


class StockControlError(RuleViolation):
    """A rule of this module refused the command (answered as a 409 problem naming `rule`)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


class UnknownStockError(LookupError):
    pass


class StockControl(ItemMasterData):
    # No class annotations here: eventsourcing would read them as fields of the Registered event.

    @property
    def near_expiry_reported(self) -> dict[tuple[str, str], int]:
        """(lot, warehouse) -> the tightest threshold (days) reported so far."""
        return self.__dict__.get("_near_expiry_reported", {})

    def _stock(self, lot: str, warehouse: str) -> LotStock:
        current = self.lots.get((lot, warehouse))
        if current is None:
            raise UnknownStockError(f"no lot {lot} of {self.gtin} in {warehouse}")
        return current

    # Moves -----------------------------------------------------------------------------------------------------

    def move_stock(self, lot: str, from_warehouse: str, to_warehouse: str, quantity: int,
                   to_location: str | None = None, move_id: str | None = None) -> None:
        source = self._stock(lot, from_warehouse)
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.check_not_recalled([lot], action="moved")
        if not source.reservable:
            raise StockControlError("move-available-only", f"lot {lot} in {from_warehouse} is {source.status}:"
                                                           " only available stock is moved")
        if quantity > source.available:
            raise StockControlError("move-within-available",
                                    f"{quantity} units of lot {lot} cannot leave {from_warehouse}: {source.available}"
                                    f" available ({source.on_hand} on hand, {source.allocated} allocated)")
        if from_warehouse == to_warehouse:
            if to_location is None or to_location == source.location:
                raise StockControlError("move-somewhere-else", "a move within a warehouse names a new to_location")
            if quantity != source.on_hand or source.allocated:
                raise StockControlError("relocate-whole-lot",
                                        f"lot {lot} has one location in {from_warehouse}: a relocation moves all"
                                        f" {source.on_hand} units, with nothing allocated")
        else:
            target = self.lots.get((lot, to_warehouse))
            if target is not None and target.quality != AVAILABLE:
                raise StockControlError("move-into-available-stock",
                                        f"lot {lot} in {to_warehouse} is {target.quality}: available stock is not"
                                        " mixed with it")
        self._stock_moved(gtin=self.gtin, lot=lot, expiry=source.expiry, quantity=quantity,
                          from_warehouse=from_warehouse, from_location=source.location, to_warehouse=to_warehouse,
                          to_location=to_location, move_id=move_id)

    @event("StockMoved")
    def _stock_moved(self, gtin: str, lot: str, expiry: date, quantity: int, from_warehouse: str,
                     from_location: str | None, to_warehouse: str, to_location: str | None,
                     move_id: str | None = None) -> None:
        source = self.lots[(lot, from_warehouse)]
        if from_warehouse == to_warehouse:
            self.lots[(lot, from_warehouse)] = replace(source, location=to_location)
            return
        self.lots[(lot, from_warehouse)] = replace(source, on_hand=source.on_hand - quantity)
        target = self.lots.get((lot, to_warehouse))
        if target is None:
            self.lots[(lot, to_warehouse)] = LotStock(lot, to_warehouse, expiry, quantity, 0, quality=AVAILABLE,
                                                      held=source.held, location=to_location, recalled=source.recalled)
            # Moved stock was reported nearing expiry where it came from: not again for the same thresholds.
            reported = self.near_expiry_reported.get((lot, from_warehouse))
            if reported is not None:
                self.__dict__["_near_expiry_reported"] = {**self.near_expiry_reported, (lot, to_warehouse): reported}
        else:
            self.lots[(lot, to_warehouse)] = replace(target, on_hand=target.on_hand + quantity,
                                                     location=to_location or target.location)

    # Counts and adjustments ------------------------------------------------------------------------------------

    def count_stock(self, lot: str, warehouse: str, counted: int, reason: str | None,
                    count_id: str | None = None) -> int:
        """Record a cycle count; a difference is adjusted at once (with the reason). Returns the change."""
        current = self._stock(lot, warehouse)
        change = counted - current.on_hand
        self._check_adjustment(current, change, reason)
        self._stock_counted(gtin=self.gtin, lot=lot, warehouse=warehouse, expected=current.on_hand, counted=counted,
                            count_id=count_id)
        if change:
            self._stock_adjusted(gtin=self.gtin, lot=lot, warehouse=warehouse, quantity_change=change,
                                 on_hand=counted, reason=reason, count_id=count_id)
        return change

    def adjust_stock(self, lot: str, warehouse: str, quantity_change: int, reason: str | None) -> int:
        """An adjustment outside a count (e.g. a damaged unit written off). Returns the new quantity on hand."""
        current = self._stock(lot, warehouse)
        if quantity_change == 0:
            raise ValueError("quantity_change must not be 0")
        self._check_adjustment(current, quantity_change, reason)
        self._stock_adjusted(gtin=self.gtin, lot=lot, warehouse=warehouse, quantity_change=quantity_change,
                             on_hand=current.on_hand + quantity_change, reason=reason, count_id=None)
        return current.on_hand + quantity_change

    def _check_adjustment(self, current: LotStock, change: int, reason: str | None) -> None:
        if change:  # a count that finds what the books say moves nothing, and is allowed
            self.check_not_recalled([current.lot], action="adjusted")
        if current.on_hand + change < 0:
            raise StockControlError("stock-not-negative", f"lot {current.lot} in {current.warehouse} has"
                                                          f" {current.on_hand} on hand: it cannot go below 0")
        if current.on_hand + change < current.allocated:
            raise StockControlError("not-below-allocated",
                                    f"lot {current.lot} in {current.warehouse} has {current.allocated} allocated:"
                                    f" on hand cannot go to {current.on_hand + change}; release the allocation first")
        if change and not (reason and reason.strip()):
            raise StockControlError("reason-required", "an adjustment of stock needs a reason")

    @event("StockCounted")
    def _stock_counted(self, gtin: str, lot: str, warehouse: str, expected: int, counted: int,
                       count_id: str | None = None) -> None:
        pass  # the count itself changes nothing; a difference is a StockAdjusted that follows it

    @event("StockAdjusted")
    def _stock_adjusted(self, gtin: str, lot: str, warehouse: str, quantity_change: int, on_hand: int,
                        reason: str | None, count_id: str | None = None) -> None:
        current = self.lots[(lot, warehouse)]
        self.lots[(lot, warehouse)] = replace(current, on_hand=current.on_hand + quantity_change)

    # Near expiry -----------------------------------------------------------------------------------------------

    def report_near_expiry(self, today: date, thresholds: list[int]) -> list[tuple[str, str, int]]:
        """Record StockNearingExpiry for each lot in a warehouse, with stock, that has crossed a threshold tighter
        than the last one reported for it. Returns (lot, warehouse, threshold) of what was recorded."""
        recorded = []
        for (lot, warehouse), stock in sorted(self.lots.items()):
            if stock.on_hand <= 0:
                continue
            days_left = (stock.expiry - today).days
            crossed = [t for t in thresholds if days_left <= t]
            if not crossed:
                continue
            tightest = min(crossed)
            reported = self.near_expiry_reported.get((lot, warehouse))
            if reported is not None and reported <= tightest:
                continue
            self._nearing_expiry(gtin=self.gtin, lot=lot, warehouse=warehouse, threshold_days=tightest,
                                 expiry=stock.expiry, days_left=days_left, on_hand=stock.on_hand)
            recorded.append((lot, warehouse, tightest))
        return recorded

    @event("StockNearingExpiry")
    def _nearing_expiry(self, gtin: str, lot: str, warehouse: str, threshold_days: int, expiry: date, days_left: int,
                        on_hand: int) -> None:
        self.__dict__["_near_expiry_reported"] = {**self.near_expiry_reported, (lot, warehouse): threshold_days}
