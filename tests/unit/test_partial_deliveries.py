"""Partial deliveries and backorders on eventsourcing's in-memory persistence: inventory reserves what usable stock
covers and backorders the rest, ships what is reserved, fills the backorder when stock is released; the order follows
per line (open, partially_shipped, shipped, closed, cancelled); what has shipped never changes, what has not can be
amended or cancelled (the order closed)."""

from decimal import Decimal
from uuid import uuid4

import pytest

from services.inventory.application import outbound, reservation
from services.inventory.domain import Fulfilment, fulfilment_id_for
from services.inventory.reactions import BackorderRetries
from services.inventory.settings import InventorySettings
from services.order.application import amending, cancelling, fulfilment as following, placing
from shared.domain.rules import RuleViolation
from shared.events.inventory import LotInspected
from shared.platform.context import acting_as
from tests.unit.inventory_world import TODAY, World, envelope_of, world  # noqa: F401 - the fixture
from tests.unit.test_holds_and_credit import amend, exposures, place, uow  # noqa: F401 - fixtures
from tests.unit.test_order_commands import GAUZE, HOSPITAL, STENT


def order_of(world: World, *lines: tuple[str, int], **options) -> Fulfilment:  # noqa: ANN003
    world.app.inventory_settings = InventorySettings(picking_required=False)
    fulfilment, _ = reservation.reserve_order(reservation.ReserveOrder(
        order_id=uuid4(), ship_to_hospital_id=uuid4(), today=TODAY, lines=tuple(
            {"line_no": n, "gtin": gtin, "quantity": quantity} for n, (gtin, quantity) in enumerate(lines, start=1)),
        **options), world.uow())
    return fulfilment


def dispatch(world: World, order_id) -> Fulfilment:  # noqa: ANN001
    return outbound.dispatch(outbound.Dispatch(order_id=order_id, carrier="SF", tracking_number="SF1"), world.uow())


def current(world: World, order_id) -> Fulfilment:  # noqa: ANN001
    return world.app.get_aggregate(fulfilment_id_for(order_id), Fulfilment)


def release_more(world: World, lot: str, quantity: int) -> None:
    world.released(STENT, lot, quantity=quantity, warehouse="WH2")
    event = LotInspected(item_id=world.app.item_by_gtin(STENT).id, gtin=STENT, lot=lot, warehouse="WH2",
                         result="released")
    uow = world.uow(deferred=True)
    BackorderRetries(world.app, None, lambda deferred: world.uow(deferred)).react(envelope_of(event), event, uow)
    uow.flush()


def on_hand(world: World) -> dict[str, tuple[int, int]]:
    return {s.lot: (s.on_hand, s.allocated) for s in world.app.item_by_gtin(STENT).lot_stock()}


def test_what_is_available_ships_and_the_backorder_ships_when_stock_is_released(world: World):
    world.released(STENT, "S1", quantity=3)
    order = order_of(world, (STENT, 5))
    assert (order.status, [w["quantity"] for w in order.waiting]) == ("partially_reserved", [2])
    first = dispatch(world, order.order_id)
    assert first.status == "partially_shipped" and first.reserved == []
    assert [(line["line_no"], line["quantity"]) for line in first.shipments[0]["lines"]] == [(1, 3)]
    with pytest.raises(RuleViolation) as nothing:
        dispatch(world, order.order_id)  # nothing reserved is left to ship
    assert nothing.value.rule == "dispatch-reserved-only"
    world.backorders.waiting.append((STENT, order.order_id))
    release_more(world, "S2", 4)
    topped_up = current(world, order.order_id)
    assert (topped_up.status, topped_up.waiting, [r["lot"] for r in topped_up.reserved]) == (
        "partially_shipped", [], ["S2"])
    done = dispatch(world, order.order_id)
    assert (done.status, [sum(line["quantity"] for line in s["lines"]) for s in done.shipments]) == ("shipped", [3, 2])
    assert on_hand(world) == {"S1": (0, 0), "S2": (2, 0)}  # 5 shipped, none left allocated


def test_cancelling_after_a_partial_delivery_releases_the_rest_and_closes_the_order(world: World):
    world.released(STENT, "S1", quantity=2)
    order = order_of(world, (STENT, 2), (STENT, 4))  # line 1 reserved in full, line 2 short
    dispatch(world, order.order_id)
    world.released(STENT, "S2", quantity=1, warehouse="WH2")
    world.backorders.waiting.append((STENT, order.order_id))
    release_more(world, "S3", 1)  # line 2 gets 2 of its 4 (S2 and S3)
    assert sum(r["quantity"] for r in current(world, order.order_id).reserved) == 2
    reservation.cancel_fulfilment(reservation.CancelFulfilment(order_id=order.order_id), world.uow())
    closed = current(world, order.order_id)
    assert (closed.status, closed.reserved, closed.waiting) == ("closed", [], [])
    assert on_hand(world) == {"S1": (0, 0), "S2": (1, 0), "S3": (1, 0)}  # 2 shipped stay shipped, 2 released
    reservation.cancel_fulfilment(reservation.CancelFulfilment(order_id=order.order_id), world.uow())  # a retry
    assert current(world, order.order_id).version == closed.version


def test_an_amendment_after_a_partial_delivery_changes_only_what_has_not_shipped(world: World):
    world.released(STENT, "S1", quantity=3)
    order = order_of(world, (STENT, 5))
    dispatch(world, order.order_id)  # 3 shipped, 2 backordered

    def amend_to(quantity: int) -> Fulfilment:
        return reservation.amend_fulfilment(reservation.AmendFulfilment(
            order_id=order.order_id, lines=({"line_no": 1, "gtin": STENT, "quantity": quantity},),
            requested_delivery_date=None, today=TODAY), world.uow())

    refused = amend_to(2)  # below the 3 shipped
    assert refused.status == "partially_shipped" and refused.waiting[0]["quantity"] == 2
    last = list(world.app.repository.event_store.get(fulfilment_id_for(order.order_id)))[-1]
    assert (type(last).__name__, "only what has not shipped can change" in last.reason) == ("AmendmentRefused", True)
    world.released(STENT, "S2", quantity=5, warehouse="WH2")
    more = amend_to(7)  # 4 more to ship: reserved from the new lot
    assert (more.status, more.requested[0]["quantity"], sum(r["quantity"] for r in more.reserved)) == (
        "partially_shipped", 4, 4)
    shipped_only = amend_to(3)  # the rest cancelled: what shipped is all there is
    assert (shipped_only.status, shipped_only.reserved) == ("shipped", [])
    assert on_hand(world) == {"S1": (0, 0), "S2": (5, 0)}


def test_the_order_follows_its_lines_through_partial_reservations_and_shipments(uow):
    order = place(uow, 5)
    with acting_as("system:order"):
        following.mark_reserved(following.MarkReserved(order_id=order.id, allocations=(
            {"line_no": 1, "gtin": STENT, "lot": "S1", "expiry": TODAY, "quantity": 3},), backordered=(
            {"line_no": 1, "gtin": STENT, "quantity": 2},)), uow)
        assert uow.get(order.id, type(order)).status == "partially_reserved"
        first = following.record_shipment(following.RecordShipment(order_id=order.id, shipment_id=uuid4(), lines=(
            {"line_no": 1, "gtin": STENT, "quantity": 3},)), uow)
        assert (first.status, first.line_statuses(), first.shipped_of(1)) == ("partially_shipped",
                                                                             {1: "partially_shipped"}, 3)
        following.mark_reserved(following.MarkReserved(order_id=order.id, allocations=(
            {"line_no": 1, "gtin": STENT, "lot": "S2", "expiry": TODAY, "quantity": 2},)), uow)
        done = following.record_shipment(following.RecordShipment(order_id=order.id, shipment_id=uuid4(), lines=(
            {"line_no": 1, "gtin": STENT, "quantity": 2},)), uow)
    assert (done.status, done.line_statuses(), len(done.allocations)) == ("shipped", {1: "shipped"}, 2)
    with acting_as("user:desk", reason="too late"), pytest.raises(RuleViolation) as late:
        cancelling.cancel_order(cancelling.CancelOrder(order_id=order.id), uow)
    assert late.value.rule == "order-status"


def _partly_shipped(uow, *lines: tuple[str, int], shipped: int):  # noqa: ANN001, ANN202
    """An order whose first line shipped `shipped` units."""
    with acting_as("user:desk"):
        order = placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL,
                                                       lines=tuple(placing.OrderLine(gtin=g, quantity=q)
                                                                   for g, q in lines)), uow)[0]
    with acting_as("system:order"):
        following.mark_reserved(following.MarkReserved(order_id=order.id, allocations=(
            {"line_no": 1, "gtin": lines[0][0], "lot": "S1", "expiry": TODAY, "quantity": shipped},)), uow)
        following.record_shipment(following.RecordShipment(order_id=order.id, shipment_id=uuid4(), lines=(
            {"line_no": 1, "gtin": lines[0][0], "quantity": shipped},)), uow)
    return order


def test_cancelling_a_line_closes_what_shipped_of_it_or_cancels_it_and_the_order_closes(uow):
    order = _partly_shipped(uow, (STENT, 5), (GAUZE, 2), shipped=3)
    with acting_as("user:desk", reason="医院只要3个"):
        pending = cancelling.cancel_line(cancelling.CancelLine(order_id=order.id, line_no=1), uow)
    assert [(line["line_no"], line["quantity"]) for line in pending.pending_amendment["lines"]] == [(1, 3), (2, 2)]
    with acting_as("system:inventory"):
        amended = amending.confirm_amendment(amending.ConfirmAmendment(order_id=order.id), uow)
    assert amended.line_statuses() == {1: "closed", 2: "open"}
    with acting_as("user:desk", reason="不要纱布了"):
        cancelling.cancel_line(cancelling.CancelLine(order_id=order.id, line_no=2), uow)
    with acting_as("system:inventory"):
        amended = amending.confirm_amendment(amending.ConfirmAmendment(order_id=order.id), uow)
    assert ([line["line_no"] for line in amended.lines], amended.line_statuses()) == ([1], {1: "closed", 2: "cancelled"})
    assert amended.status == "shipped"  # nothing is left to ship
    with acting_as("user:desk", reason="again"), pytest.raises(RuleViolation) as gone:
        cancelling.cancel_line(cancelling.CancelLine(order_id=order.id, line_no=2), uow)
    assert gone.value.rule in ("order-line-exists", "order-status")


def test_what_has_shipped_cannot_be_amended_away_and_cancelling_the_rest_closes_the_order(uow):
    order = _partly_shipped(uow, (STENT, 5), shipped=3)
    with pytest.raises(RuleViolation) as below:
        amend(uow, order.id, (STENT, 2, None))
    assert (below.value.rule, below.value.field) == ("amend-unshipped-only", "lines[0]")
    with pytest.raises(RuleViolation) as replaced:
        amend(uow, order.id, (GAUZE, 5, None))
    assert replaced.value.rule == "amend-unshipped-only"
    raised = amend(uow, order.id, (STENT, 8, None))  # more of what has not shipped: fine
    assert raised.pending_amendment["lines"][0]["quantity"] == 8
    with acting_as("system:inventory"):
        amending.refuse_amendment(amending.RefuseAmendment(order_id=order.id, reason="test"), uow)
    with acting_as("user:desk", reason="客户不要剩下的"):
        requested = cancelling.cancel_order(cancelling.CancelOrder(order_id=order.id), uow)
    assert requested.cancellation_requested
    with acting_as("system:inventory"):
        closed = cancelling.confirm_cancelled(cancelling.ConfirmCancelled(order_id=order.id), uow)
    assert (closed.status, closed.line_statuses()) == ("closed", {1: "closed"})
    assert closed.shipped_of(1) == 3 and Decimal(closed.lines[0]["unit_price"]) > 0


class SchedulesInMemory:
    def __init__(self, *order_ids) -> None:  # noqa: ANN002
        self.order_ids = list(order_ids)

    def due_by(self, day, limit: int = 500) -> list:  # noqa: ANN001
        return self.order_ids[:limit]


def test_a_delivery_plan_reserves_and_ships_each_delivery_when_it_comes_due(world: World):
    from datetime import timedelta

    from services.inventory.application import InventoryUnitOfWork

    world.released(STENT, "SHORT", quantity=10, days=30)  # expires before the later deliveries' shelf-life minimum
    world.released(STENT, "LONG", quantity=10, days=400)
    world.app.inventory_settings = InventorySettings(picking_required=False, INVENTORY_DELIVERY_HORIZON_DAYS=2)
    plan = [{"date": TODAY + timedelta(days=1), "quantity": 2}, {"date": TODAY + timedelta(days=10), "quantity": 3},
            {"date": TODAY + timedelta(days=40), "quantity": 1}]
    fulfilment, _ = reservation.reserve_order(reservation.ReserveOrder(
        order_id=uuid4(), ship_to_hospital_id=uuid4(), today=TODAY, lines=(
            {"line_no": 1, "gtin": STENT, "quantity": 6, "min_remaining_shelf_life_days": 25, "deliveries": plan},)),
        world.uow())
    assert [(r["lot"], r["quantity"], r["delivery_date"]) for r in fulfilment.reserved] == [
        ("SHORT", 2, TODAY + timedelta(days=1))]  # FEFO on its own day: SHORT still has 29 days then
    assert [(d["quantity"], d["delivery_date"]) for d in fulfilment.scheduled] == [
        (3, TODAY + timedelta(days=10)), (1, TODAY + timedelta(days=40))]
    first = dispatch(world, fulfilment.order_id)
    assert (first.status, sum(line["quantity"] for line in first.shipments[0]["lines"])) == ("partially_shipped", 2)

    def reserve_due(day) -> list:  # noqa: ANN001
        uow = InventoryUnitOfWork(world.app, open_recalls=world.open_recalls, backorders=world.backorders,
                                  schedules=SchedulesInMemory(fulfilment.order_id))
        return reservation.reserve_due_deliveries(reservation.ReserveDueDeliveries(today=day), uow)

    assert reserve_due(TODAY) == []  # nothing due within two days
    reserve_due(TODAY + timedelta(days=8))  # the second delivery is due within the horizon
    second = current(world, fulfilment.order_id)
    assert [(r["lot"], r["quantity"]) for r in second.reserved] == [("LONG", 3)]  # SHORT has 20 days left on day 10, not 25
    assert [d["delivery_date"] for d in second.scheduled] == [TODAY + timedelta(days=40)]
    dispatch(world, fulfilment.order_id)
    reserve_due(TODAY + timedelta(days=38))
    done = dispatch(world, fulfilment.order_id)
    assert (done.status, [sum(line["quantity"] for line in s["lines"]) for s in done.shipments]) == (
        "shipped", [2, 3, 1])


def test_a_delivery_plan_must_add_up_to_its_line_and_fall_on_distinct_days_from_today(uow):
    from datetime import timedelta

    with acting_as("user:desk"), pytest.raises(RuleViolation) as short:
        placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(placing.OrderLine(
            gtin=STENT, quantity=5, deliveries=((TODAY + timedelta(days=3), 2), (TODAY + timedelta(days=30), 2))),)),
            uow)
    assert (short.value.rule, short.value.field) == ("delivery-plan-total", "lines[0].deliveries")
    with acting_as("user:desk"), pytest.raises(RuleViolation) as past:
        placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(placing.OrderLine(
            gtin=STENT, quantity=4, deliveries=((TODAY - timedelta(days=1), 2), (TODAY + timedelta(days=30), 2))),)),
            uow)
    assert past.value.rule == "delivery-plan-dates"
    with acting_as("user:desk"):
        placed, _ = placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=STENT, quantity=4, deliveries=(
                (TODAY + timedelta(days=30), 2), (TODAY + timedelta(days=3), 2))),)), uow)
    assert [d["date"] for d in placed.lines[0]["deliveries"]] == [TODAY + timedelta(days=3), TODAY + timedelta(days=30)]


def test_the_delivery_address_is_the_order_s_and_an_amendment_changes_it_before_shipment(world: World, uow):
    with acting_as("user:desk"):
        placed, _ = placing.place_order(placing.PlaceOrder(
            order_id=uuid4(), hospital_id=HOSPITAL, delivery_address="浙江省杭州市上城区庆春路 门诊楼 设备科",
            lines=(placing.OrderLine(gtin=STENT, quantity=1),)), uow)
    assert placed.address == "浙江省杭州市上城区庆春路 门诊楼 设备科"
    moved = amend(uow, placed.id, (STENT, 1, None), delivery_address="浙江省杭州市滨江区 新院区 二号库房")
    assert moved.pending_amendment["delivery_address"] == "浙江省杭州市滨江区 新院区 二号库房"
    with acting_as("system:inventory"):
        assert amending.confirm_amendment(amending.ConfirmAmendment(order_id=placed.id), uow).address == \
            "浙江省杭州市滨江区 新院区 二号库房"

    world.released(STENT, "S1", quantity=2)
    order = order_of(world, (STENT, 1), delivery_address="上海市 旧址")
    reservation.amend_fulfilment(reservation.AmendFulfilment(
        order_id=order.order_id, lines=({"line_no": 1, "gtin": STENT, "quantity": 1},), requested_delivery_date=None,
        today=TODAY, delivery_address="上海市 新址"), world.uow())
    shipped = dispatch(world, order.order_id)
    last = list(world.app.repository.event_store.get(fulfilment_id_for(order.order_id)))[-1]
    assert (shipped.address, last.delivery_address) == ("上海市 新址", "上海市 新址")  # the shipment goes there


def test_a_retried_amendment_or_line_cancellation_under_the_same_idempotency_key_changes_nothing(uow):
    order = place(uow, 2)
    first = amend(uow, order.id, (STENT, 3, None), request_key="amend-1")
    version = first.version
    again = amend(uow, order.id, (STENT, 3, None), request_key="amend-1")  # the retry while inventory re-plans
    assert (again.version, again.pending_amendment["amendment"]) == (version, 1)
    with acting_as("system:inventory"):
        amending.confirm_amendment(amending.ConfirmAmendment(order_id=order.id), uow)
    after = amend(uow, order.id, (STENT, 3, None), request_key="amend-1")  # the retry after it took effect
    assert (len(after.amendments), after.pending_amendment) == (1, None)
    assert amend(uow, order.id, (STENT, 4, None), request_key="amend-2").pending_amendment["amendment"] == 2
    with pytest.raises(RuleViolation) as waiting:  # another request while the second waits for inventory
        amend(uow, order.id, (STENT, 5, None), request_key="amend-3")
    assert waiting.value.rule == "order-status"
