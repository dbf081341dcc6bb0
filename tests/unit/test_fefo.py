from datetime import date

import pytest

from services.inventory.domain.fefo import InsufficientStockError, LotStock, plan_fefo

TODAY = date(2026, 11, 24)


def lot(name: str, expiry: date, on_hand: int, allocated: int = 0, warehouse: str = "WH1") -> LotStock:
    return LotStock(name, warehouse, expiry, on_hand, allocated)


def test_earliest_expiry_is_taken_first_then_the_next():
    lots = [lot("LATE", date(2028, 1, 1), 10), lot("EARLY", date(2027, 1, 1), 4), lot("MID", date(2027, 6, 1), 10)]
    plan = plan_fefo(lots, 6, TODAY)
    assert [(a.lot, a.quantity) for a in plan] == [("EARLY", 4), ("MID", 2)]


def test_expired_and_fully_allocated_lots_are_skipped():
    lots = [
        lot("EXPIRED", date(2026, 11, 1), 50),
        lot("EXPIRES-TODAY", TODAY, 50),
        lot("TAKEN", date(2027, 1, 1), 5, allocated=5),
        lot("OK", date(2027, 3, 1), 5),
    ]
    assert [(a.lot, a.quantity) for a in plan_fefo(lots, 3, TODAY)] == [("OK", 3)]


def test_shortage_names_what_is_usable():
    lots = [lot("EXPIRED", date(2026, 1, 1), 50), lot("OK", date(2027, 3, 1), 5, allocated=2)]
    with pytest.raises(InsufficientStockError) as raised:
        plan_fefo(lots, 4, TODAY)
    assert (raised.value.requested, raised.value.available) == (4, 3)
