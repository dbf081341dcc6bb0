"""What a sales figure is, defined once for the read model, the API and the tests' recomputation.

Sales are what was invoiced (开票口径), net of what was credited: an invoice line adds its units and amounts on the
invoice's issue day; a 票折 discount line takes its amounts off (no units, no product), spread over the invoice's
channels in proportion to their lines' net amounts (`spread`: an invoice-level discount is allocated to the lines it
discounts, as an ERP allocates a header discount, so a distributor invoice of award-priced lines does not show a
negative distributor channel), and a full credit note's reversal of it adds it back, spread alike; a credit note (红字) takes its
units and amounts off on its own issue day, against the invoice's hospital, distributor and channel. Consignment
replenishment, loaner sets and 货补 free goods are never invoiced, so they are never sales; consigned units used
are (their consumption order is invoiced).

The channel of a line:
- `platform`: the order line was priced by a tender award (中选价, price source `award`): the hospital bought it
  through the provincial procurement platform (阳光采购平台), whoever delivered it;
- `distributor`: the goods went through a distributor (it was billed: the first invoice of 两票制);
- `direct`: the manufacturer billed the hospital itself.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from shared.domain.rules import InvalidReference

Channel = Literal["direct", "distributor", "platform"]
CHANNELS: tuple[Channel, ...] = ("direct", "distributor", "platform")

# What the figures can be grouped by: the group's key column and, where the key is an id, its name.
GROUPS = ("region", "city", "channel", "distributor", "hospital", "hospital_grade", "product", "product_group",
          "month")
Group = Literal["region", "city", "channel", "distributor", "hospital", "hospital_grade", "product", "product_group",
                "month"]

# The longest period one report spans: bounded, like every size here.
MAX_DAYS = 3660


def channel_of(distributor_id: object | None, price_source: str | None) -> Channel:
    if price_source == "award":
        return "platform"
    return "distributor" if distributor_id is not None else "direct"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def report_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days a report covers: as asked, else to today from the first day of the month eleven months before (a
    year of whole months); never backwards, never longer than MAX_DAYS."""
    end = end or today
    if start is None:
        months = end.year * 12 + end.month - 1 - 11
        start = date(months // 12, months % 12 + 1, 1)
    if end < start:
        raise InvalidReference("to", "period-order", f"the period ends ({end}) before it starts ({start})")
    if (end - start).days >= MAX_DAYS:
        raise InvalidReference("from", "period-length", f"a report spans at most {MAX_DAYS} days")
    return start, end


CENT = Decimal("0.01")


def spread(amount: Decimal, weights: dict[str, Decimal]) -> dict[str, Decimal] | None:
    """The amount shared out in proportion to the positive weights, to the cent (half up), the rounding left with
    the largest weight (ties: the first key in order) so that the parts add up to the amount exactly; None when no
    weight is positive (the caller keeps the amount whole)."""
    positive = sorted(((w, k) for k, w in weights.items() if w > 0), key=lambda wk: (-wk[0], wk[1]))
    if not positive:
        return None
    total = sum(w for w, _ in positive)
    parts = {k: (amount * w / total).quantize(CENT, ROUND_HALF_UP) for w, k in positive[1:]}
    return {positive[0][1]: amount - sum(parts.values(), Decimal(0)), **parts}
