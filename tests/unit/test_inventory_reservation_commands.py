"""Reservation on the in-memory event store: an order placed is reserved FEFO every line or none (the fulfilment
planner's reaction, the same handler), an order short of stock is backordered, and released stock is offered to
backordered orders oldest first (BackorderRetries, asking the backorders port)."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.inventory.application import reservation
from services.inventory.domain import Fulfilment, fulfilment_id_for
from services.inventory.reactions import BackorderRetries, FulfilmentPlanner
from services.inventory.settings import InventorySettings
from shared.events.inventory import LotHoldReleased, LotInspected
from shared.events.order import OrderPlaced
from tests.unit.inventory_world import TODAY, World, envelope_of, world  # noqa: F401 - the fixture

STENT, BALLOON = "09506000134352", "09506000134369"


def reserve(world: World, *lines: tuple[str, int], order_id=None, **options) -> Fulfilment:  # noqa: ANN001, ANN003
    fulfilment, _ = reservation.reserve_order(reservation.ReserveOrder(
        order_id=order_id or uuid4(), ship_to_hospital_id=uuid4(), today=TODAY, lines=tuple(
            {"line_no": n, "gtin": gtin, "quantity": quantity, **options.pop("line", {})}
            for n, (gtin, quantity) in enumerate(lines, start=1)), **options), world.uow())
    return fulfilment


def allocated(world: World, gtin: str) -> dict[str, int]:
    return {s.lot: s.allocated for s in world.app.item_by_gtin(gtin).lot_stock()}


def test_the_earliest_expiring_usable_lot_is_reserved_first_and_picking_follows_the_setting(world: World):
    world.released(STENT, "LATE", days=800)
    world.released(STENT, "EARLY", days=300, quantity=4)
    fulfilment = reserve(world, (STENT, 6))
    assert (fulfilment.status, fulfilment.picking_required) == ("reserved", True)
    assert [(r["lot"], r["quantity"]) for r in fulfilment.reserved] == [("EARLY", 4), ("LATE", 2)]
    world.app.inventory_settings = InventorySettings(picking_required=False)
    assert reserve(world, (STENT, 1)).picking_required is False
    assert allocated(world, STENT) == {"LATE": 3, "EARLY": 4}


def test_an_order_that_ships_complete_is_rejected_when_a_line_is_short_and_allocates_nothing(world: World):
    world.released(STENT, "S1")
    world.item(BALLOON)
    rejected = reserve(world, (STENT, 4), (BALLOON, 1), ship_complete=True)
    assert rejected.status == "rejected"
    assert allocated(world, STENT) == {"S1": 0}
    assert world.stored()[-2:] == ["Requested", "Rejected"]
    assert [line["gtin"] for line in rejected.waiting] == [STENT, BALLOON]  # all of it waits


def test_a_short_line_is_reserved_as_far_as_stock_goes_and_the_rest_backordered(world: World):
    world.released(STENT, "S1", quantity=3)
    world.item(BALLOON)
    partial = reserve(world, (STENT, 5), (BALLOON, 2), line={"min_remaining_shelf_life_days": 30})
    assert partial.status == "partially_reserved"
    assert [(r["line_no"], r["lot"], r["quantity"]) for r in partial.reserved] == [(1, "S1", 3)]
    assert [(w["line_no"], w["gtin"], w["quantity"], w.get("min_remaining_shelf_life_days")) for w in partial.waiting] \
        == [(1, STENT, 2, 30), (2, BALLOON, 2, None)]  # what is left of each line, with its shelf-life minimum
    assert allocated(world, STENT) == {"S1": 3}
    nothing = reserve(world, (BALLOON, 1))
    assert (nothing.status, nothing.reserved) == ("rejected", [])  # no stock at all: backordered, nothing reserved


def test_the_minimum_shelf_life_on_the_delivery_date_skips_short_dated_lots(world: World):
    world.released(STENT, "SHORT", days=100)
    world.released(STENT, "LONG", days=500)
    fulfilment = reserve(world, (STENT, 5), line={"min_remaining_shelf_life_days": 180},
                         requested_delivery_date=TODAY + timedelta(days=30))
    assert [r["lot"] for r in fulfilment.reserved] == ["LONG"]


def test_an_order_placed_twice_is_reserved_once(world: World):
    world.released(STENT, "S1")
    order_id = uuid4()
    placed = OrderPlaced(order_id=order_id, hospital_id=uuid4(), currency="CNY", lines=[
        {"line_no": 1, "gtin": STENT, "quantity": 3, "unit_price": "10.00"}])
    planner = FulfilmentPlanner(world.app, None, lambda deferred: world.uow(deferred))
    uow = world.uow(deferred=True)
    for _ in range(2):  # one batch, the event in it twice (a relay resend)
        planner.react(envelope_of(placed), placed, uow)
    uow.flush()
    assert world.app.get_fulfilment(order_id).status == "reserved"
    assert allocated(world, STENT) == {"S1": 3}


def test_released_stock_is_offered_to_backordered_orders_oldest_first(world: World):
    world.released(STENT, "S1", quantity=5)
    older, newer, bigger = (reserve(world, (STENT, n), ship_complete=True) for n in (4, 1, 9))
    assert [f.status for f in (older, newer, bigger)] == ["reserved", "reserved", "rejected"]
    first, second = reserve(world, (STENT, 3), ship_complete=True), reserve(world, (STENT, 2))
    world.backorders.waiting += [(STENT, f.order_id) for f in (bigger, first, second)]
    world.released(STENT, "S2", quantity=6, warehouse="WH2")
    retries = BackorderRetries(world.app, None, lambda deferred: world.uow(deferred))
    released = LotInspected(item_id=world.app.item_by_gtin(STENT).id, gtin=STENT, lot="S2", warehouse="WH2",
                            result="released")
    uow = world.uow(deferred=True)
    retries.react(envelope_of(released), released, uow)
    uow.flush()
    statuses = [world.app.get_aggregate(fulfilment_id_for(f.order_id), Fulfilment).status for f in (bigger, first, second)]
    assert statuses == ["rejected", "reserved", "reserved"]  # the 9 still do not fit whole; the next two do, in order
    assert sum(allocated(world, STENT).values()) == 5 + 3 + 2


def test_released_stock_fills_the_oldest_backorder_first_as_far_as_it_goes(world: World):
    world.released(STENT, "S1", quantity=2)
    older = reserve(world, (STENT, 5))  # 2 reserved, 3 backordered
    newer = reserve(world, (STENT, 1))  # nothing left: backordered
    world.backorders.waiting += [(STENT, older.order_id), (STENT, newer.order_id)]
    world.released(STENT, "S2", quantity=4, warehouse="WH2")
    retries = BackorderRetries(world.app, None, lambda deferred: world.uow(deferred))
    released = LotInspected(item_id=world.app.item_by_gtin(STENT).id, gtin=STENT, lot="S2", warehouse="WH2",
                            result="released")
    uow = world.uow(deferred=True)
    retries.react(envelope_of(released), released, uow)
    uow.flush()
    older, newer = (world.app.get_aggregate(fulfilment_id_for(f.order_id), Fulfilment) for f in (older, newer))
    assert (older.status, older.waiting, sum(r["quantity"] for r in older.reserved)) == ("reserved", [], 5)
    assert (newer.status, sum(r["quantity"] for r in newer.reserved)) == ("reserved", 1)
    assert allocated(world, STENT) == {"S1": 2, "S2": 4}


def test_a_rejection_or_a_release_elsewhere_retries_nothing(world: World):
    world.released(STENT, "S1", quantity=1)
    short = reserve(world, (STENT, 2), ship_complete=True)
    world.backorders.waiting.append((STENT, short.order_id))
    retries, uow = BackorderRetries(world.app, None, lambda deferred: world.uow(deferred)), world.uow(deferred=True)
    item_id = world.app.item_by_gtin(STENT).id
    for event in (LotInspected(item_id=item_id, gtin=STENT, lot="S1", warehouse="WH1", result="rejected",
                               reason="damaged"),
                  LotHoldReleased(item_id=item_id, gtin=STENT, lot="S1", reason="fine")):
        retries.react(envelope_of(event, datetime.now(UTC)), event, uow)
    assert uow.flush() is False  # still short: nothing recorded
    assert world.app.get_fulfilment(short.order_id).status == "rejected"


class ProvincesInMemory:
    def __init__(self, **provinces: str) -> None:
        self.provinces = provinces

    def province_of(self, hospital_id) -> str | None:  # noqa: ANN001
        return self.provinces.get(str(hospital_id))


def test_a_hospital_s_order_is_reserved_from_the_warehouses_serving_its_province_first(world: World):
    world.released(STENT, "CD-EARLY", quantity=5, days=200, warehouse="WH-CD")
    world.released(STENT, "SH-LATE", quantity=3, days=600, warehouse="WH-SH")
    world.app.inventory_settings = InventorySettings(picking_required=False, INVENTORY_WAREHOUSE_REGIONS={
        "WH-SH": ["上海市", "浙江省"], "WH-CD": ["四川省"]})
    shanghai, chengdu = uuid4(), uuid4()
    uow = reservation.InventoryUnitOfWork(world.app, open_recalls=world.open_recalls, backorders=world.backorders,
                                          hospital_provinces=ProvincesInMemory(**{str(shanghai): "上海市",
                                                                                  str(chengdu): "四川省"}))

    def reserved_for(hospital, quantity: int) -> list:  # noqa: ANN001
        fulfilment, _ = reservation.reserve_order(reservation.ReserveOrder(
            order_id=uuid4(), ship_to_hospital_id=hospital, today=TODAY,
            lines=({"line_no": 1, "gtin": STENT, "quantity": quantity},)), uow)
        return [(r["warehouse"], r["quantity"]) for r in fulfilment.reserved]

    assert reserved_for(shanghai, 4) == [("WH-SH", 3), ("WH-CD", 1)]  # its own warehouse first, then the others
    assert reserved_for(chengdu, 2) == [("WH-CD", 2)]
