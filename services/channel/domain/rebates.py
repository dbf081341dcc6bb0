"""The rebate engine (返利): what a distributor earns under a programme for the volume it bought (sell-in, invoiced)
or sold on (sell-through, cleansed sell-out). Pure: volumes and tiers in, money out, every step explained.

- Tiers are contiguous bands: the first starts at 0, each starts where the previous ends, the last is open.
- **Whole-volume** tiers: the rate of the highest band reached applies to the whole volume.
- **Marginal** tiers: each band is paid at its own rate on the part of the volume inside it (its width), as income
  tax brackets are — not on the whole volume, which is the error ARCHITECTURE.md notes in Odoo's community module.
- On an `amount` basis a rate is a percentage of the amount; on `units`, money per unit.
- **Retroactive** (cumulative) programmes judge each period on the volume to date, so reaching a higher band later
  pays the difference on what came before; a period's accrual is the entitlement to date less the entitlement
  before it. Returns are negative volume: they claw back.
- A settlement pays what is earned to date less what was settled before (netting): nothing is paid twice, and an
  over-payment (after a clawback) is owed back.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.domain.rules import RuleViolation

CENT = Decimal("0.01")
MAX_TIERS = 20
BASES = ("sell_in", "sell_through")
MEASURES = ("amount", "units")
KINDS = ("whole_volume", "marginal")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    start: Decimal  # inclusive
    end: Decimal | None  # exclusive; None: open
    rate: Decimal  # percent of the amount, or money per unit

    def width_of(self, volume: Decimal) -> Decimal:
        """How much of `volume` falls inside this band."""
        if volume <= self.start:
            return Decimal(0)
        top = volume if self.end is None else min(volume, self.end)
        return top - self.start


@dataclass(frozen=True)
class Programme:
    measure: str  # amount | units
    kind: str  # whole_volume | marginal
    tiers: tuple[Tier, ...]
    retroactive: bool = False

    def per_unit(self, rate: Decimal) -> Decimal:
        return rate / 100 if self.measure == "amount" else rate


def _number(value: Any, field_: str) -> Decimal:
    """A finite decimal as written (a float goes through its shortest text: 0.1 is 0.1, not its binary expansion)."""
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        raise RuleViolation("rebate-number", f"{field_} is a finite number", field_)
    return number


def tiers_of(bands: list[dict[str, Any]]) -> tuple[Tier, ...]:
    """Bands as given ({"from", "to", "rate"}), checked: contiguous from 0, the last one open, rates not negative;
    RuleViolation naming the band otherwise."""
    if not bands or len(bands) > MAX_TIERS:
        raise RuleViolation("rebate-tiers-count", f"between 1 and {MAX_TIERS} tiers", "tiers")
    tiers, expected = [], Decimal(0)
    for n, band in enumerate(bands):
        start, end, rate = _number(band["from"], f"tiers[{n}].from"), band.get("to"), _number(band["rate"],
                                                                                            f"tiers[{n}].rate")
        end = None if end is None else _number(end, f"tiers[{n}].to")
        if start != expected:
            raise RuleViolation("rebate-tiers-contiguous", f"tiers[{n}] starts at {start}: it must start at {expected},"
                                " where the tier before it ends (no gap, no overlap)", f"tiers[{n}].from")
        if end is not None and end <= start:
            raise RuleViolation("rebate-tiers-contiguous", f"tiers[{n}] ends at {end}, not after its start {start}",
                                f"tiers[{n}].to")
        if (end is None) != (n == len(bands) - 1):
            raise RuleViolation("rebate-tiers-contiguous", "only the last tier is open-ended (no `to`)",
                                f"tiers[{n}].to")
        if rate < 0:
            raise RuleViolation("rebate-rate", f"tiers[{n}]: a rate is not negative", f"tiers[{n}].rate")
        tiers.append(Tier(start, end, rate))
        expected = end if end is not None else expected
    return tuple(tiers)


@dataclass(frozen=True)
class Earned:
    """What a volume earns, and how: the bands it reached and what each contributed."""

    volume: Decimal
    rebate: Decimal
    bands: list[dict[str, Any]] = field(default_factory=list)


def earned(programme: Programme, volume: Decimal) -> Earned:
    """The rebate on `volume` (not negative: a net return earns nothing), explained band by band."""
    if volume <= 0:
        return Earned(volume, Decimal(0))
    tiers = programme.tiers
    if programme.kind == "whole_volume":
        reached = max((t for t in tiers if volume >= t.start), key=lambda t: t.start)
        rebate = _money(volume * programme.per_unit(reached.rate))
        return Earned(volume, rebate, [{"from": reached.start, "to": reached.end, "rate": reached.rate,
                                        "on": volume, "rebate": rebate}])
    bands, total = [], Decimal(0)
    for tier in tiers:
        width = tier.width_of(volume)
        if width <= 0:
            break
        part = width * programme.per_unit(tier.rate)
        total += part
        # Unrounded: the bands add up to the rebate before its one rounding (rounding each would not add up).
        bands.append({"from": tier.start, "to": tier.end, "rate": tier.rate, "on": width, "rebate": part})
    return Earned(volume, _money(total), bands)


@dataclass(frozen=True)
class Accrual:
    period: str
    volume: Decimal  # this period's, net of returns
    cumulative: Decimal  # to date (retroactive programmes judge on it)
    entitled: Decimal  # earned to date (retroactive) or in the period
    accrual: Decimal  # what this period adds (negative: a clawback)
    bands: list[dict[str, Any]]


def accruals(programme: Programme, volumes: list[tuple[str, Decimal]]) -> list[Accrual]:
    """Per period, in order: what it accrues. A plain programme judges each period on its own volume; a retroactive
    one on the volume to date, each period adding the difference to what the periods before it earned."""
    periods = [period for period, _ in volumes]
    if periods != sorted(set(periods)):
        raise ValueError("volumes come one per period, in order")  # a caller's mistake, not a user's
    found, cumulative, before = [], Decimal(0), Decimal(0)
    for period, volume in volumes:
        cumulative += volume
        if programme.retroactive:
            judged = earned(programme, cumulative)
            found.append(Accrual(period, volume, cumulative, judged.rebate, judged.rebate - before, judged.bands))
            before = judged.rebate
        else:
            judged = earned(programme, volume)
            found.append(Accrual(period, volume, cumulative, judged.rebate, judged.rebate, judged.bands))
    return found


def settlement_due(accrued: list[Accrual], settled_before: Decimal) -> Decimal:
    """What a settlement pays now: all accrued to date less what earlier settlements paid (negative: owed back)."""
    return _money(sum((a.accrual for a in accrued), Decimal(0)) - settled_before)
