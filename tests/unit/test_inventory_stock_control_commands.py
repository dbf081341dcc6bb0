"""Stock control handlers on the in-memory event store: moves, counts and adjustments name an unknown item, refuse
what the rules refuse and store nothing then; the near-expiry scan asks the expiring-stock port and records each
threshold once."""

from datetime import timedelta

import pytest

from services.inventory.application import stock_control
from services.inventory.settings import InventorySettings
from shared.domain.rules import InvalidReference, RuleViolation
from tests.unit.inventory_world import TODAY, World, world  # noqa: F401 - the fixture

GTIN, OTHER = "09506000134352", "09506000134369"


def test_moves_counts_and_adjustments_change_the_item_and_refusals_store_nothing(world: World):
    world.released(GTIN, "L1", quantity=10)
    moved = stock_control.move_stock(stock_control.MoveStock(gtin=GTIN, lot="L1", from_warehouse="WH1",
                                                             to_warehouse="WH2", quantity=4, move_id="MV-1"), world.uow())
    assert {s.warehouse: s.on_hand for s in moved.lots_numbered("L1")} == {"WH1": 6, "WH2": 4}
    item, change = stock_control.count_stock(stock_control.CountStock(gtin=GTIN, lot="L1", warehouse="WH1", counted=5,
                                                                      reason="破损1件"), world.uow())
    assert (change, item.lots[("L1", "WH1")].on_hand) == (-1, 5)
    adjusted = stock_control.adjust_stock(stock_control.AdjustStock(gtin=GTIN, lot="L1", warehouse="WH2",
                                                                    quantity_change=-1, reason="报损"), world.uow())
    assert adjusted.lots[("L1", "WH2")].on_hand == 3
    before = world.stored()
    refusals = [
        (stock_control.MoveStock(gtin=GTIN, lot="L1", from_warehouse="WH1", to_warehouse="WH2", quantity=6),
         stock_control.move_stock, "move-within-available"),
        (stock_control.MoveStock(gtin=GTIN, lot="L1", from_warehouse="WH9", to_warehouse="WH2", quantity=1),
         stock_control.move_stock, "stock-exists"),
        (stock_control.AdjustStock(gtin=GTIN, lot="L1", warehouse="WH1", quantity_change=-6, reason="x"),
         stock_control.adjust_stock, "stock-not-negative"),
    ]
    for command, handler, rule in refusals:
        with pytest.raises(RuleViolation) as refused:
            handler(command, world.uow())
        assert refused.value.rule == rule
    with pytest.raises(InvalidReference) as no_reason:
        stock_control.count_stock(stock_control.CountStock(gtin=GTIN, lot="L1", warehouse="WH1", counted=4), world.uow())
    assert no_reason.value.field == "reason"
    with pytest.raises(InvalidReference) as unknown:
        stock_control.adjust_stock(stock_control.AdjustStock(gtin=OTHER, lot="L1", warehouse="WH1", quantity_change=1,
                                                             reason="found"), world.uow())
    assert (unknown.value.field, unknown.value.rule) == ("gtin", "registered-item")
    assert world.stored() == before


def test_the_near_expiry_scan_records_each_threshold_once_for_the_items_the_port_names(world: World):
    world.released(GTIN, "L60", days=60)
    world.released(GTIN, "L20", days=20, warehouse="WH2")
    world.released(OTHER, "L400", days=400)
    world.expiring.gtins = [GTIN, OTHER]
    world.app.inventory_settings = InventorySettings(near_expiry_thresholds=[90, 30])
    scan = stock_control.scan_near_expiry(stock_control.ScanNearExpiry(today=TODAY), world.uow())
    assert (scan.as_of, scan.thresholds) == (TODAY, [90, 30])
    assert sorted((r["lot"], r["warehouse"], r["threshold_days"]) for r in scan.reported) == [
        ("L20", "WH2", 30), ("L60", "WH1", 90)]
    before = world.stored()
    assert stock_control.scan_near_expiry(stock_control.ScanNearExpiry(today=TODAY), world.uow()).reported == []
    assert world.stored() == before
    later = stock_control.scan_near_expiry(stock_control.ScanNearExpiry(today=TODAY + timedelta(days=31)), world.uow())
    assert [(r["lot"], r["threshold_days"]) for r in later.reported] == [("L60", 30)]
