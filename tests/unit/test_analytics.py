"""What a sales figure is (services/analytics/domain/sales.py): the channel a line is sold through, and the period
a report covers."""

from datetime import date
from uuid import uuid4

import pytest

from services.analytics.domain.sales import MAX_DAYS, channel_of, month_of, report_period
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
