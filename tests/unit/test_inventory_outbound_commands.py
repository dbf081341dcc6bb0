"""Outbound handlers on the in-memory event store: picks by scan, dispatch — refused for recalled goods by the items'
recall stops and, on its own, by the register of open recalls —, delivery and acceptance, returns and kits, each
recorded once."""

from uuid import uuid4

import pytest

from services.inventory.application import kits, outbound, quality, recall_stops, reservation, returns
from services.inventory.domain.picking import Scan
from services.inventory.settings import InventorySettings
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from tests.unit.inventory_world import TODAY, World, world  # noqa: F401 - the fixture

STENT, KIT = "09506000134352", "09506000134383"


def reserved(world: World, quantity: int = 3, picking: bool = False):  # noqa: ANN201 - the order's id
    world.app.inventory_settings = InventorySettings(picking_required=picking)
    order_id = uuid4()
    reservation.reserve_order(reservation.ReserveOrder(order_id=order_id, ship_to_hospital_id=uuid4(), today=TODAY,
                                                       lines=({"line_no": 1, "gtin": STENT, "quantity": quantity},)),
                              world.uow())
    return order_id


def dispatch(world: World, order_id) -> object:  # noqa: ANN001
    return outbound.dispatch(outbound.Dispatch(order_id=order_id, carrier="SF", tracking_number="SF1"), world.uow())


def test_dispatch_asks_the_open_recalls_on_its_own_even_when_the_item_was_never_stopped(world: World):
    world.released(STENT, "L1")
    order_id = reserved(world)
    world.open_recalls.open("recall-1", STENT, "L1")
    before = world.stored()
    with pytest.raises(RuleViolation) as refused:
        dispatch(world, order_id)
    assert refused.value.rule == "recalled-stock-not-shipped"
    assert world.stored() == before


def test_dispatch_refuses_an_item_stopped_by_a_recall_even_when_the_register_does_not_know_it(world: World):
    world.released(STENT, "L1")
    order_id = reserved(world)
    recall_stops.stop_for_recall(recall_stops.StopForRecall(recall_id=uuid4(), lots=((STENT, "L1"),), serials=(),
                                                            reason="recall"), world.uow())
    with pytest.raises(RuleViolation) as refused:
        dispatch(world, order_id)
    assert refused.value.rule == "recalled-stock-not-shipped"


def test_dispatch_needs_every_unit_picked_and_no_held_stock_and_ships_once(world: World):
    world.released(STENT, "L1")
    order_id = reserved(world, picking=True)
    with pytest.raises(RuleViolation) as unpicked:
        dispatch(world, order_id)
    assert unpicked.value.rule == "dispatch-picked-only"
    outbound.confirm_picks(outbound.ConfirmPicks(order_id=order_id, scans=(Scan(STENT, "L1", quantity=3),)), world.uow())
    quality.hold_lot(quality.HoldLot(gtin=STENT, lot="L1", reason="complaint"), world.uow())
    with pytest.raises(RuleViolation) as held:
        dispatch(world, order_id)
    assert held.value.rule == "held-stock-not-shipped"
    quality.release_hold(quality.ReleaseHold(gtin=STENT, lot="L1", reason="fine"), world.uow())
    shipped = dispatch(world, order_id)
    assert (shipped.status, len(shipped.shipments)) == ("shipped", 1)
    with pytest.raises(RuleViolation) as again:
        dispatch(world, order_id)
    assert again.value.rule == "dispatch-reserved-only"
    with pytest.raises(NotFound):
        dispatch(world, uuid4())


def test_a_pick_of_a_recalled_unit_is_refused(world: World):
    world.released(STENT, "SER", quantity=3, serials=["S1", "S2", "S3"])
    order_id = reserved(world, quantity=2, picking=True)
    recall_stops.stop_for_recall(recall_stops.StopForRecall(recall_id=uuid4(), lots=(), serials=((STENT, "S3"),),
                                                            reason="recall"), world.uow())
    with pytest.raises(RuleViolation) as refused:
        outbound.confirm_picks(outbound.ConfirmPicks(order_id=order_id, scans=(Scan(STENT, "SER", "S3"),)), world.uow())
    assert (refused.value.rule, refused.value.context["scan"]) == ("recalled-stock-not-picked", 0)


def test_delivery_acceptance_and_a_return_retried_with_its_id(world: World):
    world.released(STENT, "L1")
    order_id = reserved(world)
    shipment_id = dispatch(world, order_id).shipments[0]["shipment_id"]
    outbound.confirm_delivery(outbound.ConfirmDelivery(order_id=order_id, shipment_id=shipment_id), world.uow())
    accepted = outbound.accept_shipment(outbound.AcceptShipment(order_id=order_id, shipment_id=shipment_id,
                                                                accepted_by="李明"), world.uow())
    assert accepted.shipments[0]["accepted_by"] == "李明"
    command = returns.RecordReturn(return_id=uuid4(), order_id=order_id, shipment_id=shipment_id, reason="damaged",
                                   disposition="restock", warehouse="WH-RET",
                                   lines=({"gtin": STENT, "lot": "L1", "quantity": 1},))
    assert returns.record_return(command, world.uow())[1] is True
    assert returns.record_return(command, world.uow())[1] is False  # the same return again: nothing twice
    back = world.app.item_by_gtin(STENT).lots[("L1", "WH-RET")]
    assert (back.on_hand, back.status) == (1, "quarantine")
    with pytest.raises(NotFound) as no_shipment:
        outbound.confirm_delivery(outbound.ConfirmDelivery(order_id=order_id, shipment_id=uuid4()), world.uow())
    assert no_shipment.value.what == "Shipment"


def test_a_kit_is_assembled_once_per_assembly_and_names_an_unknown_component(world: World):
    world.released(STENT, "A", quantity=5)
    world.item(KIT, "Stent kit")
    command = kits.AssembleKit(assembly_id=uuid4(), kit_gtin=KIT, lot="K1", quantity=2, warehouse="WH1",
                               components=({"gtin": STENT, "lot": "A", "warehouse": "WH1", "quantity": 2},))
    kit, created = kits.assemble_kit(command, world.uow())
    _, again = kits.assemble_kit(command, world.uow())
    assert (created, again, kit.lots[("K1", "WH1")].status) == (True, False, "quarantine")
    assert world.app.item_by_gtin(STENT).lots[("A", "WH1")].on_hand == 3  # taken once
    unknown = kits.AssembleKit(assembly_id=uuid4(), kit_gtin=KIT, lot="K2", quantity=1, warehouse="WH1",
                               components=({"gtin": "09506000134376", "lot": "A", "warehouse": "WH1", "quantity": 1},))
    with pytest.raises(InvalidReference) as refused:
        kits.assemble_kit(unknown, world.uow())
    assert refused.value.field == "components[0].gtin"
