"""Events stored before the stock item was composed of parts keep their topics forever (master data and stock control
were its base classes; recall stops, returns and kits its own methods). Stored under those old topics, they still
load — into the item as it is now — and are still published as the same contracts."""

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from services.inventory.application import InventoryApplication
from services.inventory.domain import StockItem
from shared.platform.context import acting_as

GTIN, KIT = "09506000134352", "09506000134383"
# Every topic an event of a part was stored under before the parts existed, as production's stores hold them.
OLD_TOPICS = {
    "PackagingLevelAdded": "services.inventory.domain.item_master:ItemMasterData.PackagingLevelAdded",
    "RegistrationCertificateSet": "services.inventory.domain.item_master:ItemMasterData.RegistrationCertificateSet",
    "StorageConditionsSet": "services.inventory.domain.item_master:ItemMasterData.StorageConditionsSet",
    "TrackingSet": "services.inventory.domain.item_master:ItemMasterData.TrackingSet",
    "StockMoved": "services.inventory.domain.stock_control:StockControl.StockMoved",
    "StockCounted": "services.inventory.domain.stock_control:StockControl.StockCounted",
    "StockAdjusted": "services.inventory.domain.stock_control:StockControl.StockAdjusted",
    "StockNearingExpiry": "services.inventory.domain.stock_control:StockControl.StockNearingExpiry",
    "SerialsRecalled": "services.inventory.domain.stock:StockItem.SerialsRecalled",
    "RecallStopLifted": "services.inventory.domain.stock:StockItem.RecallStopLifted",
    "StockReturned": "services.inventory.domain.stock:StockItem.StockReturned",
    "ComponentsConsumed": "services.inventory.domain.stock:StockItem.ComponentsConsumed",
    "KitAssembled": "services.inventory.domain.stock:StockItem.KitAssembled",
}


@pytest.fixture
def app():
    app = InventoryApplication.in_memory()
    yield app
    app.close()


def history() -> tuple[StockItem, StockItem]:
    """A stent and a kit whose histories hold an event of every part."""
    with acting_as("user:history"):
        stent, kit = StockItem(gtin=GTIN, name="Stent", device_class=3), StockItem(gtin=KIT, name="Kit", device_class=3)
        stent.master.add_packaging_level("box", "19506000134359", 10)
        stent.master.set_registration_certificate("国械注准20193130001", "苏州医疗", date(2019, 1, 1), date(2029, 12, 31))
        stent.master.set_storage_conditions(2.0, 25.0, "干燥")
        stent.master.set_tracking(True, True, True)
        stent.receive_lot("L1", date(2027, 1, 31), 50, "WH1", date(2026, 11, 24), serials=[f"S{n}" for n in range(50)])
        stent.inspect_lot("L1", "WH1", "available", None)
        stent.control.move("L1", "WH1", "WH2", 10, "B-01", "MV-1")
        stent.control.count("L1", "WH1", 39, "盘点差异", "CC-1")
        stent.control.report_near_expiry(date(2026, 11, 24), [180, 90, 30])
        recall = str(uuid4())
        stent.recalls.stop(recall, [], ["S1"], "recall")
        stent.recalls.lift(recall, [], ["S1"], "recall_closed", "closed")
        stent.returns.receive("L1", date(2027, 1, 31), "WH-RET", 1, return_id=uuid4(), order_id=uuid4(),
                              shipment_id=uuid4(), reason="damaged", disposition="restock")
        consumed = stent.kits.consume_components(uuid4(), KIT, "K1", [{"lot": "L1", "warehouse": "WH2", "quantity": 2}],
                                                 date(2026, 11, 24))
        kit.kits.assemble(uuid4(), "K1", 2, "WH1", [{"gtin": GTIN, **c} for c in consumed], None)
    return stent, kit


def test_events_stored_under_their_old_topics_load_and_publish_as_before(app):
    stent, kit = history()
    moved_here = {get_topic(type(e)): OLD_TOPICS[type(e).__name__] for item in (stent, kit)
                  for e in item.pending_events if type(e).__name__ in OLD_TOPICS}
    assert set(moved_here.values()) == set(OLD_TOPICS.values())  # the history holds an event of every moved kind
    stored = [app.mapper.to_stored_event(e) for item in (stent, kit) for e in item.collect_events()]
    app.recorder.insert_events([replace(s, topic=moved_here.get(s.topic, s.topic)) for s in stored])
    assert {n.topic for n in app.recorder.select_notifications(start=1, limit=100)} >= set(OLD_TOPICS.values())

    assert app.repository.get(stent.id) == stent and app.repository.get(kit.id) == kit
    loaded = app.repository.get(stent.id)
    assert (loaded.master.gtins()["19506000134359"], loaded.control.near_expiry_reported[("L1", "WH1")]) == (("box", 10), 90)
    published = [app.envelope(n).type.removeprefix("erp.inventory.")
                 for n in app.recorder.select_notifications(start=1, limit=100)]
    assert set(OLD_TOPICS) <= set(published)


def test_a_move_or_count_stored_before_it_carried_its_reference_still_loads(app):
    stent, _ = history()
    transcoder = app.mapper.transcoder
    stored = []
    for event in stent.collect_events():
        record = app.mapper.to_stored_event(event)
        state = transcoder.decode(record.state)
        for newer in ("move_id", "count_id"):  # recorded only since warehouse systems and count sheets were
            state.pop(newer, None)
        stored.append(replace(record, topic=OLD_TOPICS.get(type(event).__name__, record.topic),
                              state=transcoder.encode(state)))
    app.recorder.insert_events(stored)
    loaded = app.repository.get(stent.id)
    assert loaded.lots_numbered("L1") == stent.lots_numbered("L1")
    moved = next(n for n in app.recorder.select_notifications(start=1, limit=100) if n.topic.endswith("StockMoved"))
    assert app.envelope(moved).data["move_id"] is None
