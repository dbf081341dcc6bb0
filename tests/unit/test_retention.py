"""How long a lot's purchase and sales records are kept: expiry + 2 years, at least 5 years after the last record,
implants for ever (services/inventory/domain/retention.py)."""

from datetime import date

import pytest

from services.inventory.domain.retention import ARCHIVABLE_FROM_SQL, archivable_from, years_after


@pytest.mark.parametrize(("expiry", "last", "expected"), [
    (date(2030, 6, 30), date(2026, 1, 10), date(2032, 6, 30)),  # a long expiry decides: expiry + 2 years
    (date(2027, 3, 31), date(2026, 12, 1), date(2031, 12, 1)),  # a short one: 5 years after the last record
    (date(2028, 12, 1), date(2026, 12, 1), date(2031, 12, 1)),  # equal: either
    (date(2028, 2, 29), date(2020, 1, 1), date(2030, 2, 28)),  # 29 February, two years on
])
def test_a_lot_may_be_archived_at_the_later_of_expiry_plus_two_and_last_record_plus_five_years(expiry, last, expected):
    assert archivable_from(expiry, last, implant=False) == expected


def test_an_implants_records_are_never_archivable():
    assert archivable_from(date(2020, 1, 1), date(2020, 1, 1), implant=True) is None


def test_years_after_keeps_the_day_or_takes_the_28th_of_february():
    assert (years_after(date(2024, 2, 29), 5), years_after(date(2024, 2, 29), 4), years_after(date(2026, 3, 1), 2)) == (
        date(2029, 2, 28), date(2028, 2, 29), date(2028, 3, 1))


def test_the_sql_states_the_same_periods():
    assert "interval '2 years'" in ARCHIVABLE_FROM_SQL and "interval '5 years'" in ARCHIVABLE_FROM_SQL
    assert ARCHIVABLE_FROM_SQL.startswith("greatest(")
