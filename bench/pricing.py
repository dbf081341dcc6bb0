"""Pricing benchmark: order lines priced against a large rule set by the engine, against a brute-force evaluation.

`make bench-pricing` prices BENCH_LINES (default 100,000) lines against BENCH_RULES (default 10,000) rules with the
engine of shared/domain/pricing.py (candidate rules found by product, scanned from the highest priority
down) and, as the baseline in the same run, prices BENCH_BRUTE_LINES (default 1,000) of the same lines by
evaluating every rule (brute_force_winner), checking that both find the same winner for each. Pure CPU: no servers.

It writes bench/results/pricing.json: lines per second and per-line p50/p99 for both, and the speed-up.
"""

import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from stdnum import ean

from bench.common import options, report
from shared.domain.pricing import (
    Discount, FixedPrice, Line, PriceLookup, PricingEngine, PricingRule, Scope, Validity, brute_force_winner,
)

PROVINCES = ["北京市", "上海市", "浙江省", "江苏省", "广东省", "四川省", "湖北省", "山东省", "河南省", "福建省"]
GRADES = ["三级甲等", "三级乙等", "二级甲等", "二级乙等"]
TIERS = ["gold", "silver", "bronze"]
DAY = date(2026, 12, 1)


def gtin(n: int) -> str:
    body = f"0695000{n:06d}"
    return body + ean.calc_check_digit(body)


def rule_set(count: int, products: int, customers: int, rng: random.Random) -> list[PricingRule]:
    """Rules as a company keeps them: most name products (some a group), with customers, provinces, grades and
    quantity tiers; a few apply to any product. Each has its own priority, so no two can conflict."""
    rules = []
    for n in range(count):
        kind = rng.random()
        scope = Scope(
            gtins=frozenset({gtin(rng.randrange(products))}) if kind < 0.8 else frozenset(),
            groups=frozenset({f"group-{rng.randrange(40)}"}) if 0.8 <= kind < 0.95 else frozenset(),
            customers=frozenset({f"H{rng.randrange(customers)}"}) if rng.random() < 0.3 else frozenset(),
            provinces=frozenset(rng.sample(PROVINCES, 2)) if rng.random() < 0.4 else frozenset(),
            grades=frozenset({rng.choice(GRADES)}) if rng.random() < 0.3 else frozenset(),
            min_quantity=rng.choice([1, 1, 1, 10, 50]))
        start = DAY - timedelta(days=rng.randrange(400))
        effect = Discount(Decimal(rng.randrange(1, 40))) if rng.random() < 0.7 else FixedPrice(Decimal("99.00"))
        rules.append(PricingRule(f"R{n}", f"rule {n}", n, scope, Validity(start, start + timedelta(days=rng.randrange(30, 800))),
                                 effect))
    return rules


def lines(count: int, products: int, customers: int, rng: random.Random) -> list[Line]:
    return [Line(gtin=gtin(rng.randrange(products)), quantity=rng.choice([1, 2, 5, 10, 20, 60]), on=DAY,
                 customer_id=f"H{rng.randrange(customers)}", hospital_grade=rng.choice(GRADES),
                 distributor_tier=rng.choice(TIERS), province=rng.choice(PROVINCES),
                 product_groups=frozenset({f"group-{rng.randrange(40)}"})) for _ in range(count)]


def timed(price_one, priced: list[Line]) -> tuple[list, list[float]]:  # noqa: ANN001
    answers, took = [], []
    for one in priced:
        started = time.perf_counter()
        answers.append(price_one(one))
        took.append(time.perf_counter() - started)
    return answers, took


def figures(took: list[float]) -> dict:
    ordered = sorted(took)
    return {"lines": len(took), "lines_per_second": round(len(took) / sum(took), 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 4),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 4)}


def main() -> None:
    args = options(__doc__, lines=100_000, rules=10_000, brute_lines=1_000, products=2_000, customers=500,
                   seed=20261130).parse_args()
    rng = random.Random(args.seed)
    rules = rule_set(args.rules, args.products, args.customers, rng)
    priced = lines(args.lines, args.products, args.customers, rng)
    book = PriceLookup((("LIST", gtin(n), Validity(date(2026, 1, 1)), Decimal("1000.00")) for n in range(args.products)))
    engine = PricingEngine(rules, [], book, "LIST")

    explained, engine_took = timed(engine.price, priced)
    sample = priced[:args.brute_lines]
    brute, brute_took = timed(lambda one: brute_force_winner(rules, one), sample)
    disagreements = sum(e.winner != (b.rule_id if b else None) for e, b in zip(explained, brute, strict=False))
    result = {"rules": args.rules, "engine": figures(engine_took), "brute_force": figures(brute_took),
              "rule_priced_share": round(sum(e.source == "rule" for e in explained) / len(explained), 3),
              "disagreements_in_sample": disagreements}
    result["speedup"] = round(result["engine"]["lines_per_second"] / result["brute_force"]["lines_per_second"], 1)
    assert disagreements == 0, f"the engine and the brute force disagree on {disagreements} lines"
    report("pricing", result, f"pricing: {result['engine']['lines_per_second']:,} lines/s (p99"
                              f" {result['engine']['p99_ms']} ms) against {args.rules:,} rules;"
                              f" brute force {result['brute_force']['lines_per_second']:,} lines/s"
                              f" (x{result['speedup']})")


if __name__ == "__main__":
    main()
