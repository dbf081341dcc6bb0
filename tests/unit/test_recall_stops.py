"""A recall stops its lots and units in inventory, apart from their hold: the rules, without servers."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest

from services.inventory.domain import InsufficientStockError, LotRuleError, StockItem
from services.inventory.domain.fefo import LotStock, plan_fefo
from services.inventory.domain.fulfilment import Fulfilment, PickRefusedError, RecalledStock, Scan
from shared.domain.rules import RuleViolation
from shared.platform.context import acting_as

GTIN = "09506000134352"
TODAY = date(2026, 11, 24)
EXPIRY = date(2028, 6, 30)
RECALL = str(uuid4())


@pytest.fixture(autouse=True)
def actor():
    with acting_as("user:unit-test"):
        yield


def released_item(*lots: str, serials: dict[str, list[str]] | None = None) -> StockItem:
    item = StockItem(gtin=GTIN, name="Stent", device_class=3)
    for lot in lots:
        units = (serials or {}).get(lot)
        item.receive_lot(lot, EXPIRY, len(units) if units else 10, "WH1", TODAY, serials=units)
        item.inspect_lot(lot, "WH1", "available", None)
    return item


def test_a_recall_holds_its_lot_and_nobody_releases_that_hold_while_it_is_open():
    item = released_item("L1", "L2")
    assert item.recalls.stop(RECALL, ["L1"], [], "recall RC-2026-0001")
    (stock,) = item.lots_numbered("L1")
    assert (stock.held, stock.recalled, stock.status) == (True, True, "on_hold")
    with pytest.raises(LotRuleError) as refused:
        item.release_hold("L1", "looked fine to us")
    assert refused.value.rule == "recall-hold-kept-while-recall-open"
    assert [a.lot for a in item.allocate(uuid4(), 5, TODAY)] == ["L2"]  # FEFO takes the other lot


def test_closing_the_recall_lifts_its_stop_but_the_lot_stays_held_until_quality_releases_it():
    item = released_item("L1")
    item.recalls.stop(RECALL, ["L1"], [], "recall")
    assert item.recalls.lift(RECALL, ["L1"], [], "recall_closed", "recall closed")
    (stock,) = item.lots_numbered("L1")
    assert (stock.held, stock.recalled) == (True, False)
    with pytest.raises(InsufficientStockError):
        item.allocate(uuid4(), 1, TODAY)
    item.release_hold("L1", "recall closed, re-inspected")
    assert [a.lot for a in item.allocate(uuid4(), 1, TODAY)] == ["L1"]


def test_the_recall_stop_is_checked_on_its_own_even_if_the_hold_were_gone():
    item = released_item("L1")
    order_id = uuid4()
    item.allocate(order_id, 4, TODAY)  # reserved before the recall
    item.recalls.stop(RECALL, ["L1"], [], "recall")
    item.lots[("L1", "WH1")] = replace(item.lots[("L1", "WH1")], held=False)  # the hold somehow gone
    with pytest.raises(InsufficientStockError):
        item.allocate(uuid4(), 1, TODAY)
    with pytest.raises(RuleViolation) as refused:
        item.ship_allocated(order_id, uuid4(), "WH1")
    assert refused.value.rule == "recalled-stock-not-shipped"
    for command, rule in ((lambda: item.control.move("L1", "WH1", "WH2", 1), "recalled-stock-not-moved"),
                          (lambda: item.control.adjust("L1", "WH1", -1, "damaged"), "recalled-stock-not-adjusted")):
        with pytest.raises(RuleViolation) as refused:
            command()
        assert refused.value.rule == rule
    assert item.control.count("L1", "WH1", 10, None) == 0  # a count that finds the books right moves nothing


def test_stock_of_a_recalled_lot_that_arrives_later_is_held_too():
    item = released_item("L1")
    item.recalls.stop(RECALL, ["L1", "NOT-YET"], [], "recall")
    item.receive_lot("NOT-YET", EXPIRY, 5, "WH2", TODAY)
    item.receive_lot("L1", EXPIRY, 5, "WH3", TODAY)
    assert all(s.held and s.recalled for lot in ("L1", "NOT-YET") for s in item.lots_numbered(lot))


def test_a_redelivered_recall_changes_nothing():
    item = released_item("L1")
    assert item.recalls.stop(RECALL, ["L1"], ["S9"], "recall")
    item.collect_events()
    assert not item.recalls.stop(RECALL, ["L1"], ["S9"], "recall")
    assert not item.recalls.lift(str(uuid4()), ["L1"], [], "recall_closed", "another recall never stopped it")
    assert item.collect_events() == []


def test_two_open_recalls_of_one_lot_both_have_to_end():
    item = released_item("L1")
    other = str(uuid4())
    item.recalls.stop(RECALL, ["L1"], [], "first recall")
    item.recalls.stop(other, ["L1"], [], "second recall")
    item.recalls.lift(RECALL, ["L1"], [], "recall_closed", "first closed")
    with pytest.raises(LotRuleError):
        item.release_hold("L1", "the first recall closed")
    item.recalls.lift(other, ["L1"], [], "removed_from_scope", "taken out of the second recall's scope")
    item.release_hold("L1", "both recalls ended")


def test_recalled_units_of_a_serialised_lot_are_never_allocated_picked_or_shipped():
    item = released_item("SER", serials={"SER": ["S1", "S2", "S3"]})
    item.recalls.stop(RECALL, [], ["S2"], "unit recall")
    order_id = uuid4()
    assert sum(a.quantity for a in item.allocate(order_id, 2, TODAY)) == 2
    with pytest.raises(InsufficientStockError):
        item.allocate(uuid4(), 1, TODAY)  # the third unit is the recalled one
    with pytest.raises(RuleViolation) as refused:
        item.ship_allocated(order_id, uuid4(), "WH1", ["S1", "S2"])
    assert refused.value.rule == "recalled-stock-not-shipped"
    fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=uuid4(), lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2}])
    fulfilment.reserve(order_id=order_id, lines=[{"line_no": 1, "gtin": GTIN, "lot": "SER", "expiry": EXPIRY,
                                                  "warehouse": "WH1", "quantity": 2}], picking_required=True)
    stops = RecalledStock(serials=frozenset({(GTIN, "S2")}))
    with pytest.raises(PickRefusedError) as refused:
        fulfilment.confirm_picks([Scan(GTIN, "SER", "S2")], {(GTIN, "SER"): {"S1", "S2", "S3"}}, stops)
    assert refused.value.rule == "recalled-stock-not-picked"
    fulfilment.confirm_picks([Scan(GTIN, "SER", "S1"), Scan(GTIN, "SER", "S3")], {(GTIN, "SER"): {"S1", "S2", "S3"}}, stops)


def test_a_pick_scan_of_the_right_lot_with_another_expiry_is_refused():
    order_id = uuid4()
    fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=uuid4(), lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2}])
    fulfilment.reserve(order_id=order_id, lines=[{"line_no": 1, "gtin": GTIN, "lot": "L1", "expiry": EXPIRY,
                                                  "warehouse": "WH1", "quantity": 2}], picking_required=True)
    with pytest.raises(PickRefusedError) as refused:
        fulfilment.confirm_picks([Scan(GTIN, "L1", quantity=2, expiry=date(2029, 6, 30))], {})
    assert (refused.value.rule, refused.value.expected["expiry"]) == ("pick-matches-reservation", "2028-06-30")
    fulfilment.confirm_picks([Scan(GTIN, "L1", quantity=2, expiry=EXPIRY)], {})
    assert fulfilment.picks_complete


def test_fefo_treats_a_recalled_lot_as_unusable():
    lots = [LotStock("RECALLED", "WH1", date(2027, 1, 1), 10, 0, recalled=True), LotStock("OK", "WH1", date(2028, 1, 1), 10, 0)]
    assert [(a.lot, a.quantity) for a in plan_fefo(lots, 5, TODAY)] == [("OK", 5)]
    assert [(a.lot, a.quantity) for a in plan_fefo(lots, 4, TODAY, withheld={"OK": 6})] == [("OK", 4)]
    with pytest.raises(InsufficientStockError):
        plan_fefo(lots, 5, TODAY, withheld={"OK": 6})
