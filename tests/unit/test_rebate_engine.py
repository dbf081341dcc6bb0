"""The rebate engine (services/channel/domain/rebates.py), pure: both tier kinds on amounts and units, contiguous
tiers, retroactive levels, clawback by returns and netting against what was settled; and, for random programmes and
volumes, the engine against a brute-force recomputation unit by unit."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.channel.domain.rebates import Programme, accruals, earned, settlement_due, tiers_of
from shared.domain.rules import RuleViolation

D = Decimal
BANDS = [{"from": "0", "to": "100000", "rate": "1"}, {"from": "100000", "to": "300000", "rate": "2"},
         {"from": "300000", "rate": "3"}]  # percent of the amount


def programme(kind: str, measure: str = "amount", bands: list | None = None, retroactive: bool = False) -> Programme:
    return Programme(measure, kind, tiers_of(bands or BANDS), retroactive)


def test_whole_volume_pays_the_rate_reached_on_everything_and_marginal_each_band_on_its_width():
    assert earned(programme("whole_volume"), D("350000")).rebate == D("10500.00")  # 3% of all of it
    marginal = earned(programme("marginal"), D("350000"))
    assert marginal.rebate == D("6500.00")  # 1% of 100,000 + 2% of 200,000 + 3% of 50,000
    assert [(b["on"], b["rebate"]) for b in marginal.bands] == [
        (D("100000"), D("1000.00")), (D("200000"), D("4000.00")), (D("50000"), D("1500.00"))]
    assert earned(programme("whole_volume"), D("99999.99")).rebate == D("1000.00")  # below the 2% band
    assert earned(programme("whole_volume"), D("100000")).rebate == D("2000.00")  # a band starts where it says
    assert earned(programme("marginal"), D("-500")).rebate == D("0")  # a net return earns nothing


def test_on_units_a_rate_is_money_per_unit():
    per_unit = [{"from": "0", "to": "100", "rate": "5"}, {"from": "100", "rate": "8"}]
    assert earned(programme("whole_volume", "units", per_unit), D("150")).rebate == D("1200.00")
    assert earned(programme("marginal", "units", per_unit), D("150")).rebate == D("900.00")  # 100 x 5 + 50 x 8


@pytest.mark.parametrize("bands, field", [
    ([{"from": "0", "to": "100", "rate": "1"}, {"from": "120", "rate": "2"}], "tiers[1].from"),  # a gap
    ([{"from": "0", "to": "100", "rate": "1"}, {"from": "90", "rate": "2"}], "tiers[1].from"),  # an overlap
    ([{"from": "10", "rate": "1"}], "tiers[0].from"),  # not from 0
    ([{"from": "0", "to": "100", "rate": "1"}], "tiers[0].to"),  # the last one closed
    ([{"from": "0", "rate": "1"}, {"from": "0", "rate": "2"}], "tiers[0].to"),  # an open one before the last
    ([{"from": "0", "to": "50", "rate": "1"}, {"from": "50", "to": "50", "rate": "2"}, {"from": "50", "rate": "3"}],
     "tiers[1].to"),  # an empty band
])
def test_tiers_must_be_contiguous_from_zero_with_only_the_last_open(bands, field):
    with pytest.raises(RuleViolation) as refused:
        tiers_of(bands)
    assert (refused.value.rule, refused.value.field) == ("rebate-tiers-contiguous", field)


def test_a_retroactive_programme_pays_the_difference_when_a_higher_level_is_reached():
    quarters = [("2026Q1", D("80000")), ("2026Q2", D("80000")), ("2026Q3", D("200000"))]
    found = accruals(programme("whole_volume", retroactive=True), quarters)
    assert [(a.cumulative, a.entitled, a.accrual) for a in found] == [
        (D("80000"), D("800.00"), D("800.00")),  # 1% of 80,000
        (D("160000"), D("3200.00"), D("2400.00")),  # 2% of 160,000, less the 800 accrued
        (D("360000"), D("10800.00"), D("7600.00"))]  # 3% of 360,000, less 3,200
    plain = accruals(programme("whole_volume"), quarters)
    assert [a.accrual for a in plain] == [D("800.00"), D("800.00"), D("4000.00")]  # each quarter on its own


def test_returns_claw_back_and_a_settlement_nets_what_was_paid_before():
    retro = programme("whole_volume", retroactive=True)
    paid = settlement_due(accruals(retro, [("2026Q1", D("80000")), ("2026Q2", D("80000"))]), D(0))
    assert paid == D("3200.00")
    # 70,000 of Q2's purchases come back: 90,000 to date, the level reached drops to 1%.
    after_return = accruals(retro, [("2026Q1", D("80000")), ("2026Q2", D("10000"))])
    assert settlement_due(after_return, paid) == D("-2300.00")  # 900 earned, 3,200 paid: owed back
    again = settlement_due(after_return, paid + D("-2300.00"))
    assert again == D("0.00")  # settled: nothing is paid (or owed) twice


def brute_force_marginal(bands: list[tuple[int, int]], volume: int) -> Decimal:
    """Unit by unit: each unit at the rate of the band it falls in (bands: (start, rate per unit), sorted)."""
    total = Decimal(0)
    for unit in range(volume):
        rate = max((b for b in bands if b[0] <= unit), key=lambda b: b[0])[1]
        total += rate
    return total


band_starts = st.lists(st.integers(min_value=1, max_value=400), min_size=0, max_size=5, unique=True).map(sorted)


@settings(max_examples=150, deadline=None)
@given(starts=band_starts, rates=st.lists(st.integers(min_value=0, max_value=50), min_size=6, max_size=6),
       volumes=st.lists(st.integers(min_value=-50, max_value=300), min_size=1, max_size=5))
def test_the_engine_equals_a_brute_force_recomputation(starts, rates, volumes):
    edges = [0, *starts]
    bands = [{"from": str(start), "to": str(edges[n + 1]) if n + 1 < len(edges) else None, "rate": str(rates[n])}
             for n, start in enumerate(edges)]
    pairs = [(start, rates[n]) for n, start in enumerate(edges)]
    marginal = programme("marginal", "units", bands)
    whole = programme("whole_volume", "units", bands)
    total = sum(volumes)
    if total > 0:
        assert earned(marginal, D(total)).rebate == brute_force_marginal(pairs, total)
        reached = max((p for p in pairs if p[0] <= total), key=lambda p: p[0])[1]
        assert earned(whole, D(total)).rebate == reached * total
    # Retroactive accruals over the periods add up to what the whole volume earns, whatever the order.
    periods = [(f"P{n}", D(v)) for n, v in enumerate(volumes)]
    for kind in ("marginal", "whole_volume"):
        retro = programme(kind, "units", bands, retroactive=True)
        assert sum(a.accrual for a in accruals(retro, periods)) == earned(retro, D(total)).rebate
