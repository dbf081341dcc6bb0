"""A promotion's effect against its baseline (促销效果): the sales within the promotion's scope (the pricing rule's
scope, shared/domain/pricing.Scope: customers, hospital grades, distributor tiers, channels, provinces, cities, and
GTINs or product groups) while it ran, against the same scope's sales in as many days just before it started.
Sales are invoiced sales (domain/sales.py) by invoice day; the pricing channel of a sale is `distributor` when a
distributor was billed, else `direct` (as the order service prices it). The discount it gave and the orders it gave
it to are what the order service spent of its budget."""

from datetime import date, timedelta
from decimal import Decimal


def windows(valid_from: date, valid_to: date, today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The days it ran (to today while it runs) and the baseline: as many days, just before it started."""
    end = min(valid_to, today)
    days = max((end - valid_from).days + 1, 1)
    return (valid_from, end), (valid_from - timedelta(days=days), valid_from - timedelta(days=1))


def uplift(during: Decimal, baseline: Decimal) -> Decimal | None:
    """How much more (or less) sold while it ran than before, as a fraction; None without a baseline."""
    if baseline <= 0:
        return None
    return ((during - baseline) / baseline).quantize(Decimal("0.0001"))
