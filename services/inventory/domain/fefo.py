"""FEFO allocation: the earliest-expiring usable lot first. Pure: same stock and date, same answer.

Usable means: released by quality inspection (not in quarantine, not rejected), not on hold, not expired,
and — when the order line asks for it — with at least a minimum remaining shelf life on the delivery date.
"""

from dataclasses import dataclass
from datetime import date

# Quality status of a lot in a warehouse. Events recorded before quality inspection existed had none:
# their stock was available at once, and stays so when replayed.
QUARANTINE, AVAILABLE, REJECTED = "quarantine", "available", "rejected"
ON_HOLD = "on_hold"  # shown instead of the quality status while quality holds the lot


@dataclass(frozen=True)
class LotStock:
    lot: str
    warehouse: str
    expiry: date
    on_hand: int
    allocated: int
    quality: str = AVAILABLE
    held: bool = False
    location: str | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    @property
    def status(self) -> str:
        return ON_HOLD if self.held else self.quality

    @property
    def reservable(self) -> bool:
        return self.quality == AVAILABLE and not self.held

    def usable_on(self, day: date, deliver_on: date | None = None, min_remaining_days: int = 0) -> bool:
        """Reservable on `day` for delivery on `deliver_on` (default: the same day) with that much shelf life left."""
        at = max(day, deliver_on or day)
        return (self.reservable and self.available > 0 and self.expiry > at
                and (self.expiry - at).days >= min_remaining_days)


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


def usable_quantity(lots: list[LotStock], today: date, deliver_on: date | None = None, min_remaining_days: int = 0) -> int:
    return sum(lot.available for lot in lots if lot.usable_on(today, deliver_on, min_remaining_days))


def plan_fefo(lots: list[LotStock], quantity: int, today: date, deliver_on: date | None = None,
              min_remaining_days: int = 0) -> list[Allocation]:
    """Take from usable lots by earliest expiry (then lot number, for a stable order) until satisfied."""
    usable = sorted((lot for lot in lots if lot.usable_on(today, deliver_on, min_remaining_days)),
                    key=lambda lot: (lot.expiry, lot.lot, lot.warehouse))
    if sum(lot.available for lot in usable) < quantity:
        raise InsufficientStockError(quantity, sum(lot.available for lot in usable))
    plan, remaining = [], quantity
    for lot in usable:
        take = min(lot.available, remaining)
        plan.append(Allocation(lot.lot, lot.warehouse, lot.expiry, take))
        remaining -= take
        if remaining == 0:
            break
    return plan
