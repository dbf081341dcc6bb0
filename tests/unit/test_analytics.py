"""What a sales figure is (services/analytics/domain/sales.py): the channel a line is sold through, and the period
a report covers."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.analytics.domain.sales import MAX_DAYS, channel_of, month_of, report_period, spread
from shared.domain.rules import InvalidReference


def test_an_award_price_makes_a_platform_sale_whoever_delivered_it():
    assert channel_of(None, "award") == channel_of(uuid4(), "award") == "platform"
    assert channel_of(uuid4(), "contract") == "distributor"
    assert channel_of(None, "list") == channel_of(None, None) == "direct"


def test_a_report_covers_a_year_of_whole_months_to_today_unless_asked():
    assert report_period(None, None, date(2026, 11, 30)) == (date(2025, 12, 1), date(2026, 11, 30))
    assert report_period(None, None, date(2026, 1, 5)) == (date(2025, 2, 1), date(2026, 1, 5))
    assert report_period(None, date(2026, 12, 31), date(2026, 1, 5)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert report_period(date(2026, 3, 1), date(2026, 3, 1), date(2026, 1, 5)) == (date(2026, 3, 1), date(2026, 3, 1))
    assert month_of(date(2026, 3, 9)) == "2026-03"


def test_a_period_backwards_or_too_long_is_refused_naming_the_field():
    with pytest.raises(InvalidReference) as backwards:
        report_period(date(2026, 3, 2), date(2026, 3, 1), date(2026, 5, 1))
    assert backwards.value.field == "to" and backwards.value.rule == "period-order"
    start = date(2016, 1, 1)
    assert report_period(start, date.fromordinal(start.toordinal() + MAX_DAYS - 1), start)
    with pytest.raises(InvalidReference) as long:
        report_period(start, date.fromordinal(start.toordinal() + MAX_DAYS), start)
    assert long.value.field == "from" and long.value.rule == "period-length"


def test_a_lot_past_its_expiry_is_expired_whatever_else_and_a_held_one_on_hold():
    from services.analytics.domain.stock import status_of

    day = date(2026, 11, 30)
    assert status_of(date(2026, 11, 29), "available", True, day) == "expired"
    assert status_of(date(2026, 11, 30), "available", True, day) == "on_hold"  # its last day is not past yet
    assert status_of(date(2026, 12, 1), "quarantine", False, day) == "quarantine"


def test_days_of_inventory_and_turnover_need_movement_and_stock():
    from decimal import Decimal

    from services.analytics.domain.stock import days_of_inventory, turnover

    assert days_of_inventory(300, 90) == Decimal("300.0")  # one a day: 300 days of it
    assert days_of_inventory(45, 180) == Decimal("22.5")
    assert days_of_inventory(10, 0) is None  # nothing moves: no figure, a slow mover
    assert turnover(1200, 100) == Decimal("12.00") and turnover(5, 0) is None


def test_a_promotion_is_measured_against_as_many_days_just_before_it():
    from decimal import Decimal

    from services.analytics.domain.promotions import uplift, windows

    ran, baseline = windows(date(2026, 11, 1), date(2026, 12, 31), date(2026, 11, 30))
    assert ran == (date(2026, 11, 1), date(2026, 11, 30))  # still running: to today
    assert baseline == (date(2026, 10, 2), date(2026, 10, 31))  # thirty days before
    assert windows(date(2026, 1, 1), date(2026, 1, 10), date(2026, 6, 1)) == (
        (date(2026, 1, 1), date(2026, 1, 10)), (date(2025, 12, 22), date(2025, 12, 31)))
    assert uplift(Decimal("125"), Decimal("100")) == Decimal("0.2500")
    assert uplift(Decimal("80"), Decimal("100")) == Decimal("-0.2000")
    assert uplift(Decimal("80"), Decimal("0")) is None


@given(amount=st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("99999.99"), places=2),
       weights=st.dictionaries(st.sampled_from(["direct", "distributor", "platform"]),
                               st.decimals(min_value=Decimal("-50"), max_value=Decimal("99999.99"), places=2),
                               min_size=1))
def test_a_discount_spread_over_channels_adds_up_to_the_cent_and_follows_the_weights(amount, weights):
    parts = spread(amount, weights)
    positive = {k: w for k, w in weights.items() if w > 0}
    if not positive:
        assert parts is None
        return
    assert set(parts) == set(positive) and sum(parts.values()) == amount
    total = sum(positive.values())
    for channel, part in parts.items():  # each within a cent per channel of its exact share
        assert abs(part - amount * positive[channel] / total) <= Decimal("0.01") * len(positive)


def test_a_discount_on_award_lines_billed_through_a_distributor_goes_to_the_platform():
    assert spread(Decimal("-21.68"), {"platform": Decimal("1200.00")}) == {"platform": Decimal("-21.68")}
    assert spread(Decimal("-10.00"), {"platform": Decimal("1.00"), "distributor": Decimal("2.00")}) == {
        "distributor": Decimal("-6.67"), "platform": Decimal("-3.33")}
