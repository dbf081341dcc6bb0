"""Picking by scan, delivery and acceptance, returns and kits: the rules, on the aggregates (pure, no I/O)."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.inventory.domain import FulfilmentStateError, LotRuleError, StockItem
from services.inventory.domain.fulfilment import Fulfilment, PickRefusedError, ReturnRuleError, Scan
from services.inventory.domain.kits import KitRuleError
from shared.platform.context import acting_as

GTIN = "09506000134352"
TODAY = date(2026, 11, 24)


def reserved(picking_required: bool = True) -> Fulfilment:
    f = Fulfilment(order_id=uuid4(), ship_to_hospital_id=uuid4(), lines=[{"line_no": 1, "gtin": GTIN, "quantity": 3}])
    f.reserve(order_id=f.order_id, picking_required=picking_required, lines=[
        {"line_no": 1, "gtin": GTIN, "lot": "A", "expiry": date(2027, 1, 1), "warehouse": "WH1", "quantity": 2},
        {"line_no": 1, "gtin": GTIN, "lot": "B", "expiry": date(2028, 1, 1), "warehouse": "WH1", "quantity": 1}])
    return f


def test_a_scan_of_another_lot_or_serial_is_refused_and_records_nothing():
    with acting_as("user:picker"):
        f = reserved()
        with pytest.raises(PickRefusedError) as other_lot:
            f.confirm_picks([Scan(GTIN, "A"), Scan(GTIN, "C")], {})
        assert (other_lot.value.scan, other_lot.value.expected["lot"], other_lot.value.scanned["lot"]) == (1, ["A", "B"], "C")
        with pytest.raises(PickRefusedError) as stranger:
            f.confirm_picks([Scan(GTIN, "A", "X")], {(GTIN, "A"): {"S1", "S2"}})
        assert stranger.value.expected["serial"] == ["S1", "S2"]
        with pytest.raises(PickRefusedError) as unserialised_scan:
            f.confirm_picks([Scan(GTIN, "A")], {(GTIN, "A"): {"S1", "S2"}})
        assert unserialised_scan.value.rule == "pick-serial-required"
        assert f.collect_events()[-1].__class__.__name__ == "Reserved"


def test_dispatch_waits_for_every_reserved_unit_to_be_picked_and_ships_the_scanned_serials():
    with acting_as("user:picker"):
        f = reserved()
        with pytest.raises(FulfilmentStateError) as early:
            f.dispatch(uuid4(), "WH1", "SF", "T1", datetime.now(UTC))
        assert early.value.rule == "dispatch-picked-only"
        f.confirm_picks([Scan(GTIN, "A", "S1")], {(GTIN, "A"): {"S1", "S2"}})
        with pytest.raises(PickRefusedError) as too_many:
            f.confirm_picks([Scan(GTIN, "B", quantity=2)], {})
        assert too_many.value.rule == "pick-exceeds-reservation"
        f.confirm_picks([Scan(GTIN, "A", "S2"), Scan(GTIN, "B")], {(GTIN, "A"): {"S1", "S2"}})
        assert f.picks_complete
        f.dispatch(uuid4(), "WH1", "SF", "T1", datetime.now(UTC))
        assert [(line["lot"], line.get("serials")) for line in f.shipments[0]["lines"]] == [("A", ["S1", "S2"]), ("B", None)]


def test_a_reservation_from_before_picking_dispatches_without_scans():
    with acting_as("user:planner"):
        f = reserved(picking_required=False)
        f.dispatch(uuid4(), "WH1", "SF", "T1", datetime.now(UTC))
        assert f.status == "shipped"


def shipped() -> tuple[Fulfilment, object]:
    f, shipment_id = reserved(picking_required=False), uuid4()
    f.dispatch(shipment_id, "WH1", "SF", "T1", datetime.now(UTC))
    return f, shipment_id


def test_acceptance_follows_delivery_once():
    with acting_as("user:hospital"):
        f, shipment_id = shipped()
        with pytest.raises(FulfilmentStateError):
            f.accept(shipment_id, "李明", datetime.now(UTC), [], None)
        f.confirm_delivery(shipment_id, datetime.now(UTC), None)
        with pytest.raises(FulfilmentStateError) as other_goods:
            f.accept(shipment_id, "李明", datetime.now(UTC), [{"gtin": GTIN, "lot": "Z", "kind": "short", "quantity": 1}], None)
        assert other_goods.value.rule == "discrepancy-of-shipped-goods"
        f.accept(shipment_id, "李明", datetime.now(UTC), [{"gtin": GTIN, "lot": "A", "kind": "short", "quantity": 1}], None)
        with pytest.raises(FulfilmentStateError) as twice:
            f.accept(shipment_id, "李明", datetime.now(UTC), [], None)
        assert twice.value.rule == "accept-once"


def test_returns_never_exceed_what_was_shipped_minus_what_came_back():
    with acting_as("user:returns"):
        f, shipment_id = shipped()
        f.record_return(uuid4(), shipment_id, "damaged", "scrap", "WH1", [{"gtin": GTIN, "lot": "A", "quantity": 1}], None)
        with pytest.raises(ReturnRuleError) as more:
            f.record_return(uuid4(), shipment_id, "expired", "restock", "WH1", [{"gtin": GTIN, "lot": "A", "quantity": 2}], None)
        assert more.value.rule == "return-at-most-shipped"
        with pytest.raises(ReturnRuleError) as other:
            f.record_return(uuid4(), shipment_id, "wrong_item", "restock", "WH1", [{"gtin": GTIN, "lot": "Z", "quantity": 1}], None)
        assert other.value.rule == "return-what-was-shipped"
        (line,) = f.record_return(uuid4(), shipment_id, "recall", "quarantine", "WH1",
                                  [{"gtin": GTIN, "lot": "A", "quantity": 1}], None)
        assert line["expiry"] == date(2027, 1, 1)


def test_returned_stock_comes_back_into_quarantine_never_into_released_stock_and_scrap_stays_out():
    with acting_as("user:returns"):
        item = StockItem(gtin=GTIN, name="Stent", device_class=3)
        item.receive_lot("A", date(2027, 1, 1), 5, "WH1", TODAY)
        item.inspect_lot("A", "WH1", "available", None)
        common = {"return_id": uuid4(), "order_id": uuid4(), "shipment_id": uuid4(), "reason": "damaged"}
        with pytest.raises(LotRuleError) as released:
            item.returns.receive("A", date(2027, 1, 1), "WH1", 1, disposition="restock", **common)
        assert released.value.rule == "return-into-quarantine"
        item.returns.receive("A", date(2027, 1, 1), "RET", 1, disposition="restock", **common)
        item.returns.receive("A", date(2027, 1, 1), "RET", 1, disposition="scrap", **common)
        assert (item.lots[("A", "RET")].on_hand, item.lots[("A", "RET")].status) == (1, "quarantine")


def test_a_kit_takes_available_component_stock_and_expires_with_its_earliest_component():
    with acting_as("user:kitting"):
        stent, kit = StockItem(gtin=GTIN, name="Stent", device_class=3), StockItem(gtin="09506000134383", name="Kit", device_class=3)
        stent.receive_lot("A", date(2027, 1, 1), 5, "WH1", TODAY)
        with pytest.raises(KitRuleError):
            stent.kits.consume_components(uuid4(), kit.gtin, "K1", [{"lot": "A", "warehouse": "WH1", "quantity": 1}], TODAY)
        stent.inspect_lot("A", "WH1", "available", None)
        with pytest.raises(KitRuleError):
            stent.kits.consume_components(uuid4(), kit.gtin, "K1", [{"lot": "A", "warehouse": "WH1", "quantity": 6}], TODAY)
        consumed = stent.kits.consume_components(uuid4(), kit.gtin, "K1", [{"lot": "A", "warehouse": "WH1", "quantity": 2}], TODAY)
        components = [{"gtin": GTIN, **c} for c in consumed]
        with pytest.raises(KitRuleError):
            kit.kits.assemble(uuid4(), "K1", 2, "WH1", components, date(2027, 6, 1))
        assert kit.kits.assemble(uuid4(), "K1", 2, "WH1", components, None) == date(2027, 1, 1)
        assert kit.kits.assemble(uuid4(), "K2", 2, "WH1", components, date(2026, 12, 31)) == date(2026, 12, 31)
        assert stent.lots[("A", "WH1")].on_hand == 3 and kit.lots[("K1", "WH1")].status == "quarantine"
