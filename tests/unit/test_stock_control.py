"""Item master data, stock moves, cycle counts and adjustments, near-expiry reports: the rules (pure)."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from services.inventory.application.wms import payload_sha256
from services.inventory.domain import StockItem
from services.inventory.domain.item_master import ItemMasterError
from services.inventory.domain.stock_control import StockControlError
from services.inventory.settings import InventorySettings
from shared.domain.rules import InvalidReference
from shared.platform.context import acting_as

GTIN, BOX, CASE = "09506000134352", "19506000134359", "29506000134356"
TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def actor():
    with acting_as("user:unit"):
        yield


def item_with_stock(quantity: int = 10, expiry: date = date(2028, 1, 1), released: bool = True) -> StockItem:
    item = StockItem(gtin=GTIN, name="Stent", device_class=3)
    item.receive_lot("L1", expiry, quantity, "WH1", TODAY, location="A-01")
    if released:
        item.inspect_lot("L1", "WH1", "available", None)
    return item


def replayed(item: StockItem) -> StockItem:
    """The item rebuilt from its events, as the repository does."""
    events = item.collect_events()
    copy = None
    for e in events:
        copy = e.mutate(copy)
    return copy


def names(item: StockItem) -> list[str]:
    return [type(e).__name__ for e in item.pending_events]


# Item master --------------------------------------------------------------------------------------------------

def test_packaging_levels_are_added_once_with_fixed_quantities():
    item = StockItem(gtin=GTIN, name="Stent", device_class=3)
    assert item.master.add_packaging_level("box", BOX, 10) is True
    assert item.master.add_packaging_level("box", BOX, 10) is False  # the same again: nothing recorded
    with pytest.raises(ItemMasterError) as redefined:
        item.master.add_packaging_level("box", BOX, 12)
    assert redefined.value.rule == "packaging-level-defined"
    with pytest.raises(ItemMasterError) as reused:
        item.master.add_packaging_level("case", BOX, 100)
    assert reused.value.rule == "packaging-gtin-unique"
    with pytest.raises(ItemMasterError) as not_whole_boxes:
        item.master.add_packaging_level("case", CASE, 105)
    assert not_whole_boxes.value.rule == "packaging-quantity"
    item.master.add_packaging_level("case", CASE, 100)
    assert names(item) == ["Registered", "PackagingLevelAdded", "PackagingLevelAdded"]
    assert replayed(item).master.gtins() == {GTIN: ("each", 1), BOX: ("box", 10), CASE: ("case", 100)}


def test_certificate_storage_and_tracking_are_recorded_as_changes_and_replay():
    item = StockItem(gtin=GTIN, name="Stent", device_class=3)
    assert item.master.tracking == {"lot_tracked": True, "serial_tracked": False, "implant": False}  # the default
    item.master.set_registration_certificate("国械注准20193130001", "苏州医疗", date(2019, 1, 1), date(2029, 12, 31), "冠脉")
    assert item.master.set_registration_certificate("国械注准20193130001", "苏州医疗", date(2019, 1, 1), date(2029, 12, 31),
                                             "冠脉") is False
    item.master.set_registration_certificate("国械注准20243130002", "苏州医疗", date(2024, 1, 1), date(2034, 12, 31), None)
    with pytest.raises(ItemMasterError):
        item.master.set_registration_certificate("X", "Y", date(2030, 1, 1), date(2029, 1, 1))
    item.master.set_storage_conditions(2.0, 25.0, "干燥")
    with pytest.raises(ItemMasterError):
        item.master.set_storage_conditions(30, 2, None)
    item.master.set_tracking(lot_tracked=True, serial_tracked=True, implant=True)
    with pytest.raises(ItemMasterError) as untracked:
        item.master.set_tracking(lot_tracked=False, serial_tracked=False, implant=False)
    assert untracked.value.rule == "tracking-required"
    assert names(item) == ["Registered", "RegistrationCertificateSet", "RegistrationCertificateSet",
                           "StorageConditionsSet", "TrackingSet"]
    copy = replayed(item)
    assert copy.master.registration_certificate["number"] == "国械注准20243130002"
    assert copy.master.storage_conditions == {"min_temperature_c": 2.0, "max_temperature_c": 25.0, "description": "干燥"}
    assert copy.master.tracking == {"lot_tracked": True, "serial_tracked": True, "implant": True}


# Moves --------------------------------------------------------------------------------------------------------

def test_only_available_stock_moves_and_never_more_than_there_is():
    quarantined = item_with_stock(released=False)
    with pytest.raises(StockControlError) as not_released:
        quarantined.control.move("L1", "WH1", "WH2", 1)
    assert not_released.value.rule == "move-available-only"

    item = item_with_stock(10)
    item.allocate(uuid4(), 4, TODAY)
    with pytest.raises(StockControlError) as too_many:
        item.control.move("L1", "WH1", "WH2", 7)  # 10 on hand, 4 allocated
    assert too_many.value.rule == "move-within-available"
    with pytest.raises(StockControlError) as nowhere:
        item.control.move("L1", "WH9", "WH2", 1)
    assert nowhere.value.rule == "stock-exists"
    item.control.move("L1", "WH1", "WH2", 6, to_location="B-02")
    copy = replayed(item)
    assert (copy.lots[("L1", "WH1")].on_hand, copy.lots[("L1", "WH1")].allocated) == (4, 4)
    moved = copy.lots[("L1", "WH2")]
    assert (moved.on_hand, moved.status, moved.location, moved.expiry) == (6, "available", "B-02", date(2028, 1, 1))
    item.hold_lot("L1", "complaint")
    with pytest.raises(StockControlError) as held:
        item.control.move("L1", "WH2", "WH1", 1)
    assert held.value.rule == "move-available-only"


def test_a_move_within_a_warehouse_relocates_the_whole_lot():
    item = item_with_stock(10)
    with pytest.raises(StockControlError) as partial:
        item.control.move("L1", "WH1", "WH1", 5, to_location="B-01")
    assert partial.value.rule == "relocate-whole-lot"
    with pytest.raises(StockControlError) as nowhere:
        item.control.move("L1", "WH1", "WH1", 10, to_location="A-01")
    assert nowhere.value.rule == "move-somewhere-else"
    item.control.move("L1", "WH1", "WH1", 10, to_location="B-01")
    relocated = replayed(item).lots[("L1", "WH1")]
    assert (relocated.location, relocated.on_hand) == ("B-01", 10)


def test_available_stock_does_not_join_quarantined_stock_of_the_lot():
    item = item_with_stock(10)
    item.receive_lot("L1", date(2028, 1, 1), 5, "WH2", TODAY)  # quarantine in WH2
    with pytest.raises(StockControlError) as mixed:
        item.control.move("L1", "WH1", "WH2", 1)
    assert mixed.value.rule == "move-into-available-stock"


# Counts and adjustments ---------------------------------------------------------------------------------------

def test_a_count_records_the_count_and_adjusts_a_difference_with_a_reason():
    item = item_with_stock(10)
    item.collect_events()
    assert item.control.count("L1", "WH1", 10, None) == 0
    assert names(item) == ["StockCounted"]
    with pytest.raises(InvalidReference) as no_reason:
        item.control.count("L1", "WH1", 8, " ")
    assert (no_reason.value.rule, no_reason.value.field) == ("reason-required", "reason")
    assert item.control.count("L1", "WH1", 8, "2 damaged", count_id="CC-1") == -2
    events = item.collect_events()
    assert [type(e).__name__ for e in events] == ["StockCounted", "StockCounted", "StockAdjusted"]
    assert (events[-1].quantity_change, events[-1].on_hand, events[-1].reason) == (-2, 8, "2 damaged")
    assert item.lots[("L1", "WH1")].on_hand == 8


def test_counts_and_adjustments_never_go_below_what_is_allocated():
    item = item_with_stock(10)
    item.allocate(uuid4(), 6, TODAY)
    item.collect_events()
    with pytest.raises(StockControlError) as below:
        item.control.count("L1", "WH1", 5, "missing")
    assert below.value.rule == "not-below-allocated"
    with pytest.raises(StockControlError):
        item.control.adjust("L1", "WH1", -5, "write-off")
    assert item.collect_events() == []  # refused: nothing recorded
    assert item.control.adjust("L1", "WH1", -4, "write-off") == 6
    assert item.control.adjust("L1", "WH1", 3, "found") == 9


# Near expiry --------------------------------------------------------------------------------------------------

def test_near_expiry_is_reported_once_per_threshold():
    item = item_with_stock(10, expiry=TODAY + timedelta(days=200))
    item.collect_events()
    thresholds = [180, 90, 30]
    assert item.control.report_near_expiry(TODAY, thresholds) == []
    assert item.control.report_near_expiry(TODAY + timedelta(days=20), thresholds) == [("L1", "WH1", 180)]
    assert item.control.report_near_expiry(TODAY + timedelta(days=21), thresholds) == []  # daily re-scan: nothing
    # Skipping a scan: the tightest threshold crossed is reported, once.
    assert item.control.report_near_expiry(TODAY + timedelta(days=175), thresholds) == [("L1", "WH1", 30)]
    assert item.control.report_near_expiry(TODAY + timedelta(days=190), thresholds) == []
    events = item.collect_events()
    assert [(e.threshold_days, e.days_left) for e in events] == [(180, 180), (30, 25)]
    # Rebuilt from its events, the item remembers what was reported.
    assert replayed(item_with_stock(10, TODAY + timedelta(days=200))).control.report_near_expiry(
        TODAY + timedelta(days=120), thresholds) == [("L1", "WH1", 90)]


def test_moved_stock_is_not_reported_again_for_the_same_threshold():
    item = item_with_stock(10, expiry=TODAY + timedelta(days=60))
    assert item.control.report_near_expiry(TODAY, [180, 90, 30]) == [("L1", "WH1", 90)]
    item.control.move("L1", "WH1", "WH2", 4)
    assert item.control.report_near_expiry(TODAY, [180, 90, 30]) == []
    assert item.control.report_near_expiry(TODAY + timedelta(days=31), [180, 90, 30]) == [("L1", "WH1", 30), ("L1", "WH2", 30)]


def test_empty_stock_is_not_reported():
    item = item_with_stock(10, expiry=TODAY + timedelta(days=60))
    item.control.adjust("L1", "WH1", -10, "destroyed")
    assert item.control.report_near_expiry(TODAY, [90]) == []


def thresholds(value: str) -> list[int]:
    return InventorySettings(INVENTORY_NEAR_EXPIRY_THRESHOLDS=value).near_expiry_thresholds


def test_thresholds_setting():
    assert thresholds("") == [180, 90, 30]
    assert thresholds("30, 365,90") == [365, 90, 30]
    for bad in ("abc", "-1", ","):
        with pytest.raises(ValueError):
            thresholds(bad)


def test_payload_hash_ignores_key_order():
    assert payload_sha256({"a": 1, "b": [1, 2]}) == payload_sha256({"b": [1, 2], "a": 1})
    assert payload_sha256({"a": 1}) != payload_sha256({"a": 2})
