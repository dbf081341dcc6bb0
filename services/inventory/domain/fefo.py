"""FEFO allocation: the earliest-expiring usable lot first. Pure: same stock and date, same answer.

Usable means: released by quality inspection (not in quarantine, not rejected), not on hold, not under an open
recall, not expired, and — when the order line asks for it — with at least a minimum remaining shelf life on the
delivery date. The recall is a second, independent stop: a recalled lot is never usable, even if its hold were
somehow released.
"""

from dataclasses import dataclass
from datetime import date

from shared.domain.rules import RuleViolation

# Quality status of a lot in a warehouse. Events recorded before quality inspection existed had none:
# their stock was available at once, and stays so when replayed.
QUARANTINE, AVAILABLE, REJECTED = "quarantine", "available", "rejected"
ON_HOLD = "on_hold"  # shown instead of the quality status while quality holds the lot


class Immutable:
    """A frozen value whose fields are immutable too (str, int, date, bool): a copy of it would be the same value, so
    deepcopy shares it. An item's lots and allocations are copied on every read of the item (the repository copies
    what it caches): this keeps that copy to the dictionaries that hold them."""

    def __copy__(self) -> "Immutable":
        return self

    def __deepcopy__(self, memo: dict) -> "Immutable":
        return self


@dataclass(frozen=True)
class LotStock(Immutable):
    lot: str
    warehouse: str
    expiry: date
    on_hand: int
    allocated: int
    quality: str = AVAILABLE
    held: bool = False
    location: str | None = None
    recalled: bool = False  # under an open recall (see recall_stops.py)

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated

    @property
    def status(self) -> str:
        return ON_HOLD if self.held else self.quality

    @property
    def reservable(self) -> bool:
        return self.quality == AVAILABLE and not self.held and not self.recalled

    def usable_on(self, day: date, deliver_on: date | None = None, min_remaining_days: int = 0) -> bool:
        """Reservable on `day` for delivery on `deliver_on` (default: the same day) with that much shelf life left."""
        at = max(day, deliver_on or day)
        return (self.reservable and self.available > 0 and self.expiry > at
                and (self.expiry - at).days >= min_remaining_days)


@dataclass(frozen=True)
class Allocation(Immutable):
    lot: str
    warehouse: str
    expiry: date
    quantity: int


class InsufficientStockError(RuleViolation):
    """Not enough usable stock. A reservation records it as a shortage (the order is backordered) rather than refusing."""

    def __init__(self, requested: int, available: int) -> None:
        super().__init__("stock-sufficient", f"requested {requested}, only {available} usable")
        self.requested, self.available = requested, available


def _takeable(lot: LotStock, withheld: dict[str, int]) -> int:
    # Units of a lot withheld (recalled serials) are left for last, so they are never allocated.
    return max(0, lot.available - withheld.get(lot.lot, 0))


def usable_quantity(lots: list[LotStock], today: date, deliver_on: date | None = None, min_remaining_days: int = 0,
                    withheld: dict[str, int] | None = None) -> int:
    return sum(_takeable(lot, withheld or {}) for lot in lots if lot.usable_on(today, deliver_on, min_remaining_days))


def plan_fefo(lots: list[LotStock], quantity: int, today: date, deliver_on: date | None = None,
              min_remaining_days: int = 0, withheld: dict[str, int] | None = None,
              preferred: frozenset[str] = frozenset()) -> list[Allocation]:
    """Take from usable lots by earliest expiry (then lot number, for a stable order) until satisfied; lots in the
    `preferred` warehouses (those serving the customer's region) first.

    `withheld`: per lot number, units that must not be allocated (its serialised units under recall)."""
    withheld = withheld or {}
    usable = sorted((lot for lot in lots if lot.usable_on(today, deliver_on, min_remaining_days)),
                    key=lambda lot: (lot.warehouse not in preferred, lot.expiry, lot.lot, lot.warehouse))
    if sum(_takeable(lot, withheld) for lot in usable) < quantity:
        raise InsufficientStockError(quantity, sum(_takeable(lot, withheld) for lot in usable))
    plan, remaining = [], quantity
    for lot in usable:
        take = min(_takeable(lot, withheld), remaining)
        if take == 0:
            continue
        plan.append(Allocation(lot.lot, lot.warehouse, lot.expiry, take))
        remaining -= take
        if remaining == 0:
            break
    return plan
