"""The recall-holds process manager on the in-memory event store: traceability's recall events stop lots, kit lots
and units in inventory and lift the stop again, each change once, through recall_stops.py's handlers."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.inventory.reactions import RecallHolds
from shared.events.traceability import RecallClosed, RecallOpened, RecallScopeReduced
from tests.unit.inventory_world import World, envelope_of, world  # noqa: F401 - the fixture

STENT, KIT, NEVER_HELD = "09506000134352", "09506000134383", "09506000134369"
NOW = datetime.now(UTC)
EFFECTIVENESS = {"consignees_to_notify": 0, "consignees_notified": 0, "consignees_acknowledged": 0,
                 "units_to_recover": 0, "units_recovered": 0}


def react(world: World, payload) -> list[str]:  # noqa: ANN001
    """Run the reaction in a batch of its own; the types of the events it recorded."""
    before = len(world.stored())
    uow = world.uow(deferred=True)
    RecallHolds(world.app, None, lambda deferred: world.uow(deferred)).react(envelope_of(payload), payload, uow)
    uow.flush()
    return world.stored()[before:]


@pytest.fixture
def recall(world: World) -> RecallOpened:
    world.released(STENT, "L1", serials=[f"S{n}" for n in range(10)])
    world.released(KIT, "K1")
    return RecallOpened(recall_id=uuid4(), title="支架召回", scheme="NMPA", level=2, reason="断裂风险", decided_at=NOW,
                        notify_by=NOW + timedelta(days=3), number="RC-2026-0001",
                        lots=[{"gtin": STENT, "lot": "L1"}, {"gtin": NEVER_HELD, "lot": "X"}],
                        serials=[{"gtin": STENT, "serial": "S9"}], kit_lots=[{"gtin": KIT, "lot": "K1"}])


def test_an_opened_recall_stops_its_lots_kit_lots_and_units_once(world: World, recall: RecallOpened):
    assert react(world, recall) == ["LotHeld", "SerialsRecalled", "LotHeld"]
    stent, kit = world.app.item_by_gtin(STENT), world.app.item_by_gtin(KIT)
    assert (stent.recalls.lots, stent.recalls.serials, kit.recalls.lots) == (
        {"L1": [str(recall.recall_id)]}, {"S9": [str(recall.recall_id)]}, {"K1": [str(recall.recall_id)]})
    held = [world.app.mapper.to_domain_event(n) for n in world.app.recorder.select_notifications(start=1, limit=100)
            if n.topic.endswith("LotHeld")]
    assert held[0].reason.startswith(f"recall RC-2026-0001 ({recall.recall_id}): 断裂风险")
    assert react(world, recall) == []  # delivered again: nothing twice


def test_a_scope_reduction_or_the_closure_lifts_the_stop_and_the_lot_stays_held(world: World, recall: RecallOpened):
    react(world, recall)
    reduced = RecallScopeReduced(recall_id=recall.recall_id, proposal_id=uuid4(), lots=[{"gtin": KIT, "lot": "K1"}],
                                 serials=[], reason="K1 made from another lot", proposed_by="user:a", approved_by="user:b")
    assert react(world, reduced) == ["RecallStopLifted"]
    closed = RecallClosed(recall_id=recall.recall_id, closed_at=NOW, summary="done", effectiveness=EFFECTIVENESS,
                          lots=[{"gtin": STENT, "lot": "L1"}, {"gtin": KIT, "lot": "K1"}],
                          serials=[{"gtin": STENT, "serial": "S9"}])
    assert react(world, closed) == ["RecallStopLifted"]  # K1 was lifted already
    stent = world.app.item_by_gtin(STENT)
    assert (stent.recalls.lots, stent.recalls.serials, stent.lots[("L1", "WH1")].status) == ({}, {}, "on_hold")
    stent.recalls.check_not_recalled(["L1"], ["S9"])  # no recall stops them now: quality decides
    assert world.app.item_by_gtin(KIT).lots[("K1", "WH1")].status == "on_hold"


def test_a_recall_closed_before_stops_existed_lifts_nothing(world: World, recall: RecallOpened):
    react(world, recall)
    closed = RecallClosed(recall_id=recall.recall_id, closed_at=NOW, summary="done", effectiveness=EFFECTIVENESS)
    assert react(world, closed) == []
