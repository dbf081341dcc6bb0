"""Rebate benchmark: a year of sell-out lines accrued by the rebate engine, against a brute-force recomputation.

`make bench-rebates` generates BENCH_REBATE_LINES (default 1,000,000) sell-out lines for BENCH_DISTRIBUTORS (default
1,000) distributors over the twelve months of 2026 (seeded: the same lines every run). A line is a distributor, a
month, units (about 2% of lines are returns: negative units) and the amount (units x the product's unit price, in
cents). Distributors differ in size (lognormal weights), so they reach different tiers. Four programmes cover both
tier kinds, both measures and retroactive and plain levels; distributor n is on programme n mod 4.

Measured, pure CPU (no servers):
- the system path, services/channel/domain/rebates.py: one streaming pass over every line summing the programme's
  measure (units or amount) per distributor and month, then `accruals` per distributor over its twelve months;
- the baseline in the same run, written here without the engine: each month's accrual recomputed from scratch by
  rescanning all the distributor's lines, keeping those to date and to the month before for a retroactive programme
  (the accrual is the difference), those of the month for a plain one, with its own tier evaluation. Every month
  reads every line again (twice when retroactive), so it runs on the lines of the first BENCH_BRUTE_DISTRIBUTORS
  (default 100) distributors only, picked out before its clock starts; its lines/s counts those lines. Every
  accrual of that subset must equal the engine's, to the cent, or the bench fails naming the distributor and month.

Each path runs BENCH_ROUNDS (default 5) times; its figure is the median round. It writes
bench/results/rebates.json: lines/s for both (generation is not timed), the speed-up, the accruals checked, the
total accrued over all distributors (and per programme) and the machine.
"""

import os
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from bench.common import at_end, options, report
from services.channel.domain.rebates import Programme, accruals, tiers_of

PERIODS = [f"2026-{month:02d}" for month in range(1, 13)]
CENT = Decimal("0.01")
ZERO = Decimal(0)

# (name, measure, kind, retroactive, bands): on `amount` a rate is a percentage, on `units` money per unit. The
# retroactive ones are judged on the year to date, the plain ones on each month alone.
PROGRAMMES = [
    ("annual growth, whole volume on amount", "amount", "whole_volume", True,
     [{"from": "0", "to": "5000000", "rate": "0.5"}, {"from": "5000000", "to": "15000000", "rate": "1.25"},
      {"from": "15000000", "to": "40000000", "rate": "2"}, {"from": "40000000", "rate": "3.5"}]),
    ("monthly volume, marginal on units", "units", "marginal", False,
     [{"from": "0", "to": "200", "rate": "0"}, {"from": "200", "to": "500", "rate": "1.5"},
      {"from": "500", "to": "1000", "rate": "2.75"}, {"from": "1000", "rate": "4.125"}]),
    ("annual, marginal on amount", "amount", "marginal", True,
     [{"from": "0", "to": "10000000", "rate": "1"}, {"from": "10000000", "to": "30000000", "rate": "1.5"},
      {"from": "30000000", "rate": "2.375"}]),
    ("monthly level, whole volume on units", "units", "whole_volume", False,
     [{"from": "0", "to": "300", "rate": "0"}, {"from": "300", "to": "600", "rate": "2.5"},
      {"from": "600", "to": "1200", "rate": "3.375"}, {"from": "1200", "rate": "5"}]),
]

PRODUCTS = 200
SOLD_UNITS = list(range(1, 31))  # units on a sale line, fewer more often
RETURNED_UNITS = list(range(-10, 0))
RETURN_SHARE = 0.02


def generate(count: int, distributors: int, rng: random.Random) -> list[tuple[int, str, int, Decimal]]:
    """(distributor, period, units, amount) lines in month order. Every field is drawn in bulk (random.choices) and
    each amount comes from a table of product x units built once, so a million lines take seconds."""
    prices = [rng.randrange(2_000, 800_000) for _ in range(PRODUCTS)]  # cents: 20.00 to 7,999.99
    units_drawn = SOLD_UNITS + RETURNED_UNITS
    sold_weights = [1 / n for n in SOLD_UNITS]
    sold_total = sum(sold_weights)
    units_weights = ([(1 - RETURN_SHARE) * w / sold_total for w in sold_weights]
                     + [RETURN_SHARE / len(RETURNED_UNITS)] * len(RETURNED_UNITS))
    amounts = [{units: Decimal(price * units).scaleb(-2) for units in units_drawn} for price in prices]
    sizes = [rng.lognormvariate(0, 1) for _ in range(distributors)]
    who = rng.choices(range(distributors), weights=sizes, k=count)
    when = sorted(rng.choices(range(len(PERIODS)), k=count))  # a stream arrives in time order
    what = rng.choices(range(PRODUCTS), k=count)
    units = rng.choices(units_drawn, weights=units_weights, k=count)
    return [(d, PERIODS[p], u, amounts[product][u]) for d, p, product, u in zip(who, when, what, units, strict=True)]


def programmes() -> list[Programme]:
    return [Programme(measure, kind, tiers_of(bands), retroactive)
            for _, measure, kind, retroactive, bands in PROGRAMMES]


def engine_accruals(lines: list, distributors: int, on: list[Programme]) -> dict[int, list]:
    """The system path: one pass summing each distributor's measure per month, then the engine's accruals."""
    amount_measured = [on[d % len(on)].measure == "amount" for d in range(distributors)]
    units = [defaultdict(int) for _ in range(distributors)]
    amounts = [defaultdict(Decimal) for _ in range(distributors)]
    for distributor, period, line_units, amount in lines:
        if amount_measured[distributor]:
            amounts[distributor][period] += amount
        else:
            units[distributor][period] += line_units
    found = {}
    for d in range(distributors):
        summed = amounts[d] if amount_measured[d] else units[d]
        found[d] = accruals(on[d % len(on)], [(period, Decimal(summed.get(period, 0))) for period in PERIODS])
    return found


def brute_entitlement(measure: str, kind: str, bands: list[dict], volume: Decimal) -> Decimal:
    """What `volume` earns, from the bands as given: whole volume at the rate of the band containing it, or each band
    at its rate on the part of the volume inside it; a percentage on amounts, money per unit on units."""
    if volume <= 0:
        return ZERO
    ranges = [(Decimal(b["from"]), None if b.get("to") is None else Decimal(b["to"]), Decimal(b["rate"]))
              for b in bands]
    if kind == "whole_volume":
        rate = next(rate for start, end, rate in ranges if start <= volume and (end is None or volume < end))
        money = rate * volume
    else:
        money = sum((rate * max(ZERO, (volume if end is None else min(volume, end)) - start)
                     for start, end, rate in ranges), ZERO)
    if measure == "amount":
        money = money / 100
    return money.quantize(CENT, rounding=ROUND_HALF_UP)


def brute_force(lines: list, chosen: int) -> dict[int, list[Decimal]]:
    """Every month's accrual for distributors 0..chosen-1, each recomputed from that distributor's lines."""
    own = defaultdict(list)
    for line in lines:
        own[line[0]].append(line)
    found = {}
    for d in range(chosen):
        _, measure, kind, retroactive, bands = PROGRAMMES[d % len(PROGRAMMES)]
        field = 3 if measure == "amount" else 2

        def volume(upto: int, since: int, mine: list = own[d], field: int = field) -> Decimal:
            return sum((Decimal(line[field]) for line in mine if since <= PERIODS.index(line[1]) <= upto), ZERO)

        found[d] = []
        for n in range(len(PERIODS)):
            if retroactive:
                to_date = brute_entitlement(measure, kind, bands, volume(n, 0))
                before = brute_entitlement(measure, kind, bands, volume(n - 1, 0)) if n else ZERO
                found[d].append(to_date - before)
            else:
                found[d].append(brute_entitlement(measure, kind, bands, volume(n, n)))
    return found


def cpu_machine() -> dict:
    """The machine's facts as common.machine() gives them, without PostgreSQL: this bench uses no server."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(memory_kb / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}


def timed(run: Callable[[], dict], rounds: int) -> tuple[dict, list[float]]:
    """run() `rounds` times (a round of the engine takes a fraction of a second: one alone is at the mercy of
    whatever else the machine does): the last answer, and the seconds of each round."""
    took = []
    for _ in range(max(1, rounds)):
        started = time.perf_counter()
        answer = run()
        took.append(time.perf_counter() - started)
    return answer, took


def main() -> None:
    args = options(__doc__, rebate_lines=1_000_000, distributors=1_000, brute_distributors=100,
                   rounds=5, seed=20261201).parse_args()
    facts = cpu_machine()
    chosen = min(args.brute_distributors, args.distributors)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    lines = generate(args.rebate_lines, args.distributors, rng)
    generation_seconds = time.perf_counter() - started
    on = programmes()

    engine, engine_rounds = timed(lambda: engine_accruals(lines, args.distributors, on), args.rounds)
    subset = [line for line in lines if line[0] < chosen]  # the baseline's input, chosen before its clock starts
    brute, brute_rounds = timed(lambda: brute_force(subset, chosen), args.rounds)
    engine_seconds, brute_seconds = statistics.median(engine_rounds), statistics.median(brute_rounds)

    mismatches = [(d, a.period, a.accrual, expected) for d in range(chosen)
                  for a, expected in zip(engine[d], brute[d], strict=True) if a.accrual != expected]
    checked = sum(len(brute[d]) for d in range(chosen))
    if mismatches:
        for d, period, got, expected in mismatches[:20]:
            print(f"distributor {d} ({PROGRAMMES[d % len(PROGRAMMES)][0]}), {period}: the engine accrues {got},"
                  f" the brute force {expected}", file=sys.stderr)
        sys.exit(f"rebates: {len(mismatches)} of {checked} accruals differ between the engine and the brute force")

    total = sum((a.accrual for found in engine.values() for a in found), ZERO)
    by_programme = defaultdict(lambda: ZERO)
    for d, found in engine.items():
        by_programme[PROGRAMMES[d % len(PROGRAMMES)][0]] += sum((a.accrual for a in found), ZERO)
    engine_rate = len(lines) / engine_seconds
    brute_rate = len(subset) / brute_seconds
    result = {
        "lines": len(lines), "distributors": args.distributors, "periods": len(PERIODS),
        "programmes": [{"name": name, "measure": measure, "kind": kind, "retroactive": retroactive,
                        "tiers": len(bands), "total_accrued": str(by_programme[name])}
                       for name, measure, kind, retroactive, bands in PROGRAMMES],
        "generation_seconds": round(generation_seconds, 2),
        "rounds": len(engine_rounds),
        "engine": {"lines": len(lines), "seconds": round(engine_seconds, 3), "lines_per_second": round(engine_rate, 1),
                   "rounds_seconds": [round(t, 3) for t in engine_rounds]},
        "brute_force": {"distributors": chosen, "lines": len(subset), "seconds": round(brute_seconds, 3),
                        "lines_per_second": round(brute_rate, 1),
                        "rounds_seconds": [round(t, 3) for t in brute_rounds]},
        "speed_up": round(engine_rate / brute_rate, 1),
        "accruals_checked": checked, "mismatches": len(mismatches), "total_accrued": str(total),
        "seed": args.seed, "machine": at_end(facts),
    }
    report("rebates", result, f"rebates: {engine_rate:,.0f} lines/s through the engine ({len(lines):,} lines,"
                              f" {args.distributors:,} distributors, {engine_seconds:.2f} s); brute force"
                              f" {brute_rate:,.0f} lines/s on {chosen} distributors (x{result['speed_up']});"
                              f" {checked:,} accruals equal; {total} accrued")


if __name__ == "__main__":
    main()
