"""Suppliers' qualifications, quarantine on receipt, quality inspection, holds, and what FEFO may take."""

from datetime import date
from uuid import uuid4

import pytest

from services.inventory.domain import InsufficientStockError, LotRuleError, QualificationError, StockItem, Supplier
from services.inventory.domain.fefo import LotStock, plan_fefo
from shared.platform.context import acting_as

GTIN = "09506000134352"
TODAY = date(2026, 11, 24)


def lot(name: str, expiry: date, on_hand: int = 10, quality: str = "available", held: bool = False) -> LotStock:
    return LotStock(name, "WH1", expiry, on_hand, 0, quality=quality, held=held)


def new_item() -> StockItem:
    return StockItem(gtin=GTIN, name="Stent", device_class=3)


def test_fefo_skips_quarantined_rejected_and_held_stock():
    lots = [lot("QUAR", date(2027, 1, 1), quality="quarantine"), lot("REJ", date(2027, 1, 2), quality="rejected"),
            lot("HELD", date(2027, 1, 3), held=True), lot("OK", date(2028, 1, 1))]
    assert [(a.lot, a.quantity) for a in plan_fefo(lots, 5, TODAY)] == [("OK", 5)]
    with pytest.raises(InsufficientStockError) as raised:
        plan_fefo(lots, 11, TODAY)
    assert raised.value.available == 10


def test_fefo_skips_lots_with_less_than_the_minimum_shelf_life_left_on_the_delivery_date():
    lots = [lot("SHORT", date(2027, 3, 1)), lot("LONG", date(2027, 12, 31))]
    # Delivered on 2027-01-01: SHORT has 59 days left, LONG 364.
    plan = plan_fefo(lots, 5, TODAY, deliver_on=date(2027, 1, 1), min_remaining_days=180)
    assert [(a.lot, a.quantity) for a in plan] == [("LONG", 5)]
    assert [a.lot for a in plan_fefo(lots, 5, TODAY, deliver_on=date(2027, 1, 1), min_remaining_days=59)] == ["SHORT"]
    # A lot expiring before the delivery date is never taken, whatever the minimum.
    assert [a.lot for a in plan_fefo(lots, 5, TODAY, deliver_on=date(2027, 6, 1))] == ["LONG"]


def test_received_stock_is_quarantined_until_released_and_a_rejection_needs_a_reason():
    with acting_as("user:qa"):
        item = new_item()
        assert item.receive_lot("L1", date(2030, 1, 1), 5, "WH1", TODAY, near_expiry_days=90) is False
        assert item.lot_stock()[0].status == "quarantine"
        with pytest.raises(InsufficientStockError):
            item.allocate(uuid4(), 1, TODAY)
        item.inspect_lot("L1", "WH1", "available", None)
        assert item.lot_stock()[0].status == "available"
        with pytest.raises(LotRuleError) as again:
            item.inspect_lot("L1", "WH1", "rejected", "late")
        assert again.value.rule == "inspect-quarantined-only"
        with pytest.raises(LotRuleError) as more:
            item.receive_lot("L1", date(2030, 1, 1), 5, "WH1", TODAY)
        assert more.value.rule == "lot-already-inspected"
        item.receive_lot("L2", date(2030, 1, 1), 5, "WH1", TODAY)
        with pytest.raises(LotRuleError) as no_reason:
            item.inspect_lot("L2", "WH1", "rejected", " ")
        assert no_reason.value.rule == "reason-required"
        item.inspect_lot("L2", "WH1", "rejected", "damaged")
    statuses = {s.lot: s.status for s in item.lot_stock()}
    assert statuses == {"L1": "available", "L2": "rejected"}
    assert [type(e).__name__ for e in item.collect_events()] == [
        "Registered", "LotReceived", "LotInspected", "LotReceived", "LotInspected"]


def test_goods_expiring_within_the_warning_period_are_flagged():
    with acting_as("user:qa"):
        item = new_item()
        assert item.receive_lot("SOON", date(2027, 1, 31), 5, "WH1", TODAY, near_expiry_days=90) is True
    assert item.collect_events()[-1].near_expiry is True


def test_a_held_lot_is_neither_reserved_nor_shipped_until_the_hold_is_released():
    order_id = uuid4()
    with acting_as("user:qa"):
        item = new_item()
        for warehouse in ("WH1", "WH2"):
            item.receive_lot("L1", date(2030, 1, 1), 5, warehouse, TODAY)
            item.inspect_lot("L1", warehouse, "available", None)
        item.allocate(order_id, 3, TODAY)
        with pytest.raises(LotRuleError, match="reason"):
            item.hold_lot("L1", None)
        item.hold_lot("L1", "complaint")
        assert {s.status for s in item.lot_stock()} == {"on_hold"}
        with pytest.raises(InsufficientStockError):
            item.allocate(uuid4(), 1, TODAY)
        with pytest.raises(LotRuleError) as shipping:
            item.ship_allocated(order_id, uuid4(), "WH1")
        assert shipping.value.rule == "held-stock-not-shipped"
        with pytest.raises(LotRuleError, match="reason"):
            item.release_hold("L1", "")
        item.release_hold("L1", "investigated")
        with pytest.raises(LotRuleError) as twice:
            item.release_hold("L1", "again")
        assert twice.value.rule == "release-held-only"
        item.ship_allocated(order_id, uuid4(), "WH1")
    assert {s.status for s in item.lot_stock()} == {"available"}


def test_history_recorded_before_quarantine_existed_replays_as_available_stock():
    with acting_as("user:alice"):
        item = new_item()
        item._lot_received(gtin=GTIN, lot="OLD", expiry=date(2030, 1, 1), quantity=5, warehouse="WH1")
    replayed = None
    for e in item.collect_events():
        replayed = e.mutate(replayed)
    (stock,) = replayed.lot_stock()
    assert (stock.status, stock.available) == ("available", 5)


def test_a_supplier_is_qualified_only_with_a_valid_business_licence_and_a_production_or_distribution_licence():
    with acting_as("user:qa"):
        supplier = Supplier(supplier_id=uuid4(), name="苏州医疗器械制造有限公司", credit_code=None)
        with pytest.raises(QualificationError) as missing:
            supplier.check_qualified_on(TODAY)
        assert missing.value.rule == "supplier-qualified"
        supplier.record_qualification("business_licence", "BL-1", date(2020, 1, 1), date(2036, 1, 1))
        supplier.record_qualification("production_licence", "PL-1", date(2021, 1, 1), date(2026, 6, 30))
        assert supplier.missing_on(TODAY) == ["production_licence or distribution_licence"]  # expired
        assert supplier.missing_on(date(2026, 6, 30)) == []
        with pytest.raises(QualificationError) as period:
            supplier.record_qualification("distribution_licence", "DL-1", date(2027, 1, 1), date(2026, 1, 1))
        assert period.value.rule == "valid-period"
        supplier.record_qualification("distribution_licence", "DL-1", date(2026, 1, 1), date(2031, 1, 1))
        supplier.check_qualified_on(TODAY)
