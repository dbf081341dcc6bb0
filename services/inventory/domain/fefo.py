"""FEFO allocation: the earliest-expiring usable lot first. Pure: same stock and date, same answer."""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LotStock:
    lot: str
    warehouse: str
    expiry: date
    on_hand: int
    allocated: int

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    def usable_on(self, day: date) -> bool:
        return self.expiry > day and self.available > 0


@dataclass(frozen=True)
class Allocation:
    lot: str
    warehouse: str
    expiry: date
    quantity: int


class InsufficientStockError(Exception):
    def __init__(self, requested: int, available: int) -> None:
        super().__init__(f"requested {requested}, only {available} usable")
        self.requested, self.available = requested, available


def usable_quantity(lots: list[LotStock], today: date) -> int:
    return sum(lot.available for lot in lots if lot.usable_on(today))


def plan_fefo(lots: list[LotStock], quantity: int, today: date) -> list[Allocation]:
    """Take from usable lots by earliest expiry (then lot number, for a stable order) until satisfied."""
    usable = sorted((lot for lot in lots if lot.usable_on(today)), key=lambda lot: (lot.expiry, lot.lot, lot.warehouse))
    if sum(lot.available for lot in usable) < quantity:
        raise InsufficientStockError(quantity, usable_quantity(lots, today))
    plan, remaining = [], quantity
    for lot in usable:
        take = min(lot.available, remaining)
        plan.append(Allocation(lot.lot, lot.warehouse, lot.expiry, take))
        remaining -= take
        if remaining == 0:
            break
    return plan
