"""What inventory health reports, defined once for the read model, the API and the tests' recomputation.

- A lot's **status** as a reader sees it: `expired` once its expiry day has passed (whatever else is true),
  else `on_hold` while quality or a recall holds it, else its quality status (`quarantine`, `available`,
  `rejected`).
- **Near expiry** at a threshold of N days: units on hand that are not expired and expire within N days of the
  report's day (`expiry - day <= N`).
- **Days of inventory**: units on hand over the average units shipped per day in the last 90 days (none shipped:
  no figure, the stock does not move). **Turnover**: units shipped in the last 365 days over units on hand.
- A **slow mover**: an item with units on hand and none shipped in the last 90 days.
- **Written off expired**: units taken out of stock by an adjustment of a lot already past its expiry on the day.
- **Value**: units at the item's average net invoiced unit price (the sales read model's invoice lines); an item
  never invoiced has no value, and is counted apart.
"""

from datetime import date
from decimal import Decimal

SHIPPED_WINDOW_DAYS = 90
TURNOVER_WINDOW_DAYS = 365
NEAR_EXPIRY_DEFAULT = (30, 90, 180)


def status_of(expiry: date, quality: str, held: bool, day: date) -> str:
    if expiry < day:
        return "expired"
    if held:
        return "on_hold"
    return quality


def days_of_inventory(on_hand: int, shipped_last_90: int) -> Decimal | None:
    if shipped_last_90 <= 0:
        return None
    return (Decimal(on_hand) / (Decimal(shipped_last_90) / SHIPPED_WINDOW_DAYS)).quantize(Decimal("0.1"))


def turnover(shipped_last_365: int, on_hand: int) -> Decimal | None:
    if on_hand <= 0:
        return None
    return (Decimal(shipped_last_365) / Decimal(on_hand)).quantize(Decimal("0.01"))
