"""Messages from a warehouse system on the in-memory event store: applied once per external reference, with the
rules of the handlers they wrap, saved with the stock changes they caused or not at all."""

from datetime import timedelta
from uuid import uuid4

import pytest

from services.inventory.application import outbound, receiving, reservation, stock_control, wms
from services.inventory.domain.picking import Scan
from services.inventory.settings import InventorySettings
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from tests.unit.inventory_world import TODAY, World, world  # noqa: F401 - the fixture

GTIN = "09506000134352"


def receipt(world: World, reference: str, quantity: int = 20, gtin: str = GTIN) -> tuple[dict, bool]:
    if not hasattr(world, "supplier_id"):
        world.supplier_id = world.supplier()
    line = {"gtin": gtin, "lot": "W1", "expiry": TODAY + timedelta(days=400), "quantity": quantity, "warehouse": "WH1"}
    payload = {"supplier_id": str(world.supplier_id), "lines": [{**line, "expiry": line["expiry"].isoformat()}]}
    return wms.receive(wms.WmsReceipt(external_reference=reference, payload=payload, receipt=receiving.ReceiveGoods(
        supplier_id=world.supplier_id, lines=(line,))), world.uow())


def test_a_receipt_is_applied_once_and_another_payload_under_its_reference_is_refused(world: World):
    world.item(GTIN)
    first, new = receipt(world, "ASN-1")
    again, new_again = receipt(world, "ASN-1")
    assert (new, new_again, again) == (True, False, first)
    stored = world.stored()
    assert stored.count("LotReceived") == 1 and stored[-1] == "Accepted"
    with pytest.raises(RuleViolation) as reused:
        receipt(world, "ASN-1", quantity=21)
    assert (reused.value.rule, reused.value.context["external_reference"]) == ("external-reference-unique", "ASN-1")


def test_a_refused_message_stores_nothing_and_leaves_its_reference_free(world: World):
    world.item(GTIN)
    with pytest.raises(InvalidReference) as unknown:
        receipt(world, "ASN-2", gtin="09506000134369")
    assert unknown.value.field == "lines[0].gtin"
    assert "LotReceived" not in world.stored() and "Accepted" not in world.stored()
    assert receipt(world, "ASN-2")[1] is True


def test_a_move_carries_its_reference_and_a_shipment_waits_for_every_pick(world: World):
    world.released(GTIN, "L1")
    move = stock_control.MoveStock(gtin=GTIN, lot="L1", from_warehouse="WH1", to_warehouse="WH2", quantity=4)
    result, _ = wms.move(wms.WmsStockMove(external_reference="MV-1", payload={"q": 4}, move=move), world.uow())
    assert result["item_version"] == world.app.item_by_gtin(GTIN).version
    world.app.inventory_settings = InventorySettings(picking_required=True)
    order_id = uuid4()
    reservation.reserve_order(reservation.ReserveOrder(order_id=order_id, ship_to_hospital_id=uuid4(), today=TODAY,
                                                       lines=({"line_no": 1, "gtin": GTIN, "quantity": 2},)), world.uow())
    ship = wms.WmsShipment(external_reference="SHP-1", payload={"order": str(order_id)},
                           shipment=outbound.Dispatch(order_id=order_id, carrier="SF", tracking_number="SF1"))
    with pytest.raises(RuleViolation) as early:
        wms.ship(ship, world.uow())
    assert early.value.rule == "dispatch-picked-only"
    picks = wms.WmsPicks(external_reference="PK-1", payload={"scans": 1}, picks=outbound.ConfirmPicks(
        order_id=order_id, scans=(Scan(GTIN, "L1", quantity=2),)))
    picked, _ = wms.pick(picks, world.uow())
    assert (picked["units_to_pick"], picked["picks_complete"], picked["picked"][0]["quantity"]) == (0, True, 2)
    shipped, first = wms.ship(ship, world.uow())  # the same reference, now that every unit is picked
    assert (first, shipped["status"], len(shipped["shipments"])) == (True, "shipped", 1)
    with pytest.raises(NotFound):
        wms.ship(wms.WmsShipment(external_reference="SHP-2", payload={}, shipment=outbound.Dispatch(
            order_id=uuid4(), carrier="SF", tracking_number="SF2")), world.uow())

