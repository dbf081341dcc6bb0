"""Consignment (寄售) and loaner sets (跟台) on eventsourcing's in-memory persistence: a consignment or loaner order's
shipment places its units at the consignee's location (uninvoiced); a usage report by UDI scans takes the units used
out, all or none, and the order service turns them into a sales order at the consigned prices; the rest of a set
comes back as a return, never more than is still there."""

from decimal import Decimal
from uuid import uuid4

import pytest

from services.inventory.application import consignment, outbound, reservation, returns
from services.inventory.domain.consignment import ConsignmentLocation, consignment_location_id
from services.inventory.domain.picking import Scan
from services.inventory.settings import InventorySettings
from services.order.application import OrderApplication, consuming
from services.order.domain import SalesOrder
from shared.domain.consignment import consumption_order_id
from shared.domain.rules import RuleViolation
from shared.platform.context import acting_as
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.inventory_world import TODAY, World, world  # noqa: F401 - the fixture

STENT = "09506000134352"
HOSPITAL = uuid4()


def shipped(world: World, order_type: str, quantity: int, serials: list[str]) -> tuple:
    """A consignment or loaner order for `quantity` serialised stents, reserved and dispatched; its id and location."""
    world.app.inventory_settings = InventorySettings(picking_required=True)  # implants: each picked by its UDI
    world.released(STENT, "L1", quantity=quantity, serials=serials)
    order_id = uuid4()
    reservation.reserve_order(reservation.ReserveOrder(
        order_id=order_id, ship_to_hospital_id=HOSPITAL, today=TODAY, order_type=order_type,
        lines=({"line_no": 1, "gtin": STENT, "quantity": quantity},)), world.uow())
    outbound.confirm_picks(outbound.ConfirmPicks(order_id=order_id, scans=tuple(
        Scan(gtin=STENT, lot="L1", serial=s) for s in serials)), world.uow())
    outbound.dispatch(outbound.Dispatch(order_id=order_id, carrier="SF", tracking_number="SF1"), world.uow())
    location_id = consignment_location_id(order_type, HOSPITAL, order_id)
    return order_id, location_id


def used(world: World, *serials: str, usage_id=None, **where) -> tuple:  # noqa: ANN001, ANN003
    return consignment.report_usage(consignment.ReportUsage(
        usage_id=usage_id or uuid4(), scans=tuple(Scan(gtin=STENT, lot="L1", serial=s) for s in serials),
        used_on=TODAY, reference="手术 2026-1130-07", **where), world.uow())


def test_a_loaner_set_is_placed_at_the_hospital_its_used_implants_leave_it_and_the_rest_comes_back(world: World):
    serials = [f"S{n}" for n in range(1, 9)]
    order_id, location_id = shipped(world, "loaner", 8, serials)
    location = world.app.get_aggregate(location_id, ConsignmentLocation)
    assert (location.kind, location.units, location.lots[f"{STENT}|L1"]["serials"]) == ("loaner", 8, sorted(serials))
    usage_id = uuid4()
    _, lines = used(world, "S1", "S2", "S3", usage_id=usage_id, loaner_order_id=order_id)
    assert [(line["quantity"], line["serials"], line["order_id"]) for line in lines] == [(3, ["S1", "S2", "S3"], order_id)]
    again, nothing = used(world, "S1", "S2", "S3", usage_id=usage_id, loaner_order_id=order_id)
    assert (nothing, again.units) == ([], 5)  # the same report again records nothing
    with pytest.raises(RuleViolation) as gone:
        used(world, "S3", loaner_order_id=order_id)  # used already
    assert gone.value.rule == "consigned-units-present"
    fulfilment = outbound.fulfilment(world.uow(), order_id)
    with pytest.raises(RuleViolation):  # an implant that was used cannot come back
        returns.record_return(returns.RecordReturn(
            return_id=uuid4(), order_id=order_id, shipment_id=fulfilment.shipments[0]["shipment_id"], reason="other",
            disposition="restock", warehouse="WH-RET", lines=({"gtin": STENT, "lot": "L1", "quantity": 1,
                                                                "serials": ["S1"]},)), world.uow())
    returns.record_return(returns.RecordReturn(
        return_id=uuid4(), order_id=order_id, shipment_id=fulfilment.shipments[0]["shipment_id"], reason="other",
        disposition="restock", warehouse="WH-RET", lines=({"gtin": STENT, "lot": "L1", "quantity": 5,
                                                            "serials": serials[3:]},)), world.uow())
    assert world.app.get_aggregate(location_id, ConsignmentLocation).units == 0
    quarantined = {(s.warehouse, s.quality): s.on_hand for s in world.app.item_by_gtin(STENT).lot_stock()}
    assert quarantined[("WH-RET", "quarantine")] == 5  # back for inspection


def test_standing_consignment_stock_is_used_by_the_consignee_and_a_usage_must_name_one_location(world: World):
    order_id, location_id = shipped(world, "consignment", 4, ["C1", "C2", "C3", "C4"])
    location, lines = used(world, "C2", consignee_id=HOSPITAL)
    assert (location.id, location.units, lines[0]["order_id"]) == (location_id, 3, order_id)
    with pytest.raises(RuleViolation) as both:
        used(world, "C3", consignee_id=HOSPITAL, loaner_order_id=order_id)
    assert both.value.rule == "usage-location"
    with pytest.raises(RuleViolation) as not_there:
        consignment.report_usage(consignment.ReportUsage(
            usage_id=uuid4(), consignee_id=HOSPITAL, scans=(Scan(gtin=STENT, lot="L1", quantity=4),),
            used_on=TODAY, reference="x"), world.uow())
    assert not_there.value.rule == "consigned-units-present"  # 4 asked, 3 there: nothing is taken
    assert world.app.get_aggregate(location_id, ConsignmentLocation).units == 3


def test_used_units_become_a_sales_order_at_the_prices_they_were_consigned_at():
    app = OrderApplication.in_memory()
    uow = UnitOfWork(app)
    with acting_as("user:desk"):
        loaner = SalesOrder.place(uuid4(), HOSPITAL, None, "CNY", [
            {"gtin": STENT, "quantity": 8, "unit_price": Decimal("1000.00"), "gross_unit_price": Decimal("1130.0000"),
             "vat_rate": Decimal("0.13"), "price_source": "contract", "contract_id": uuid4()}], order_type="loaner")
        app.save(loaner)
    usage_id = uuid4()
    with acting_as("system:inventory"):
        order = consuming.record_consumption(consuming.RecordConsumption(
            usage_id=usage_id, hospital_id=HOSPITAL, consignee_id=HOSPITAL, reference="手术 2026-1130-07", lines=(
                {"gtin": STENT, "lot": "L1", "quantity": 2, "order_id": loaner.id},
                {"gtin": STENT, "lot": "L2", "quantity": 1, "order_id": loaner.id})), uow)
        again = consuming.record_consumption(consuming.RecordConsumption(
            usage_id=usage_id, hospital_id=HOSPITAL, consignee_id=HOSPITAL, reference="x", lines=(
                {"gtin": STENT, "lot": "L1", "quantity": 2, "order_id": loaner.id},)), uow)
    assert order.id == again.id == consumption_order_id(usage_id)
    assert (order.kind, order.status, order.usage_id, order.line_statuses()) == ("consumption", "shipped", usage_id,
                                                                                  {1: "shipped"})
    assert [(line["quantity"], line["unit_price"], line["price_source"]) for line in order.lines] == [
        (3, Decimal("1000.00"), "contract")]
    assert loaner.kind == "loaner"
