"""The order follows what inventory did with it: fulfilment.py's handlers and the process manager that runs them
(reactions.py), on eventsourcing's in-memory persistence, with inventory's events as the golden examples have them."""

from uuid import UUID, uuid4

import pytest

from services.order.application import OrderApplication, fulfilment
from services.order.domain import OrderStateError, SalesOrder
from services.order.reactions import OrderFulfilmentTracker
from shared.events import payload_of
from shared.platform.context import acting_as
from shared.platform.unit_of_work import UnitOfWork
from tests.contract.golden import golden
from tests.orders import accepted_order

O = UUID("0f4e1c2b-3a59-4d68-b7c6-a5f4e3d2c1b0")  # the golden story's order, shipped as S
S = UUID("c3b2a190-8f7e-4d6c-a5b4-93827160f5e4")
LINES = [{"gtin": "09506000134352", "quantity": 10, "unit_price": "1280.00"}]


@pytest.fixture
def app():
    app = OrderApplication.in_memory()
    with acting_as("user:order-desk"):
        accepted_order(app, LINES, order_id=O)
    with acting_as("service:order"):
        yield app
    app.close()


def stored(app: OrderApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=100))


def status(app: OrderApplication) -> str:
    return app.get_aggregate(O, SalesOrder).status


def react(tracker: OrderFulfilmentTracker, uow: UnitOfWork, event_type: str) -> None:
    envelope = golden(event_type)
    tracker.react(envelope, payload_of(envelope), uow)


def test_reserved_then_shipped_each_once(app):
    uow = UnitOfWork(app)
    allocations = ({"gtin": "09506000134352", "lot": "L2701A", "expiry": "2027-06-30", "quantity": 10},)
    for _ in range(2):  # a redelivery records nothing more
        fulfilment.mark_reserved(fulfilment.MarkReserved(order_id=O, allocations=allocations), uow)
    for _ in range(2):
        fulfilment.record_shipment(fulfilment.RecordShipment(order_id=O, shipment_id=S), uow)
    order = app.get_aggregate(O, SalesOrder)
    assert (order.status, order.allocations, order.shipment_ids, stored(app)) == ("shipped", list(allocations), [S], 3)


def test_only_a_placed_order_is_backordered_and_a_backordered_one_is_reserved_later(app):
    uow = UnitOfWork(app)
    backordered = fulfilment.backorder(fulfilment.Backorder(order_id=O, reason="insufficient usable stock"), uow)
    assert (backordered.status, backordered.backorder_reason) == ("backordered", "insufficient usable stock")
    fulfilment.backorder(fulfilment.Backorder(order_id=O, reason="again"), uow)  # already backordered: stays
    fulfilment.mark_reserved(fulfilment.MarkReserved(order_id=O, allocations=()), uow)
    fulfilment.backorder(fulfilment.Backorder(order_id=O, reason="too late"), uow)  # reserved meanwhile: stays
    assert (status(app), stored(app)) == ("reserved", 3)


def test_an_order_this_service_does_not_hold_changes_nothing_and_a_shipment_before_reservation_is_refused(app):
    uow = UnitOfWork(app)
    assert fulfilment.mark_reserved(fulfilment.MarkReserved(order_id=uuid4(), allocations=()), uow) is None
    assert fulfilment.record_shipment(fulfilment.RecordShipment(order_id=uuid4(), shipment_id=S), uow) is None
    with pytest.raises(OrderStateError) as refused:
        fulfilment.record_shipment(fulfilment.RecordShipment(order_id=O, shipment_id=S), uow)
    assert (refused.value.rule, refused.value.status) == ("order-status", 409)
    uow.rollback()
    assert (status(app), stored(app)) == ("placed", 1)


def test_the_tracker_turns_inventorys_events_into_the_orders_status_in_one_batch(app):
    tracker = OrderFulfilmentTracker(app, None)
    uow = UnitOfWork(app, deferred=True)  # as the runner reacts to a batch
    react(tracker, uow, "erp.inventory.StockReserved")
    react(tracker, uow, "erp.inventory.ShipmentDispatched")  # sees the reservation the batch has not saved yet
    react(tracker, uow, "erp.inventory.LotReceived")  # not about orders: nothing
    assert stored(app) == 1
    assert uow.flush() is True
    order = app.get_aggregate(O, SalesOrder)
    assert (order.status, order.shipment_ids, order.allocations[0]["lot"]) == ("shipped", [S], "L2701A")
    react(tracker, uow, "erp.inventory.StockReserved")  # delivered again
    assert uow.flush() is False


def test_the_tracker_backorders_with_the_shortages_in_the_reason(app):
    uow = UnitOfWork(app)
    react(OrderFulfilmentTracker(app, None), uow, "erp.inventory.StockReservationRejected")
    order = app.get_aggregate(O, SalesOrder)
    assert (order.status, order.backorder_reason) == (
        "backordered", "insufficient usable stock (09506000134352: 4 of 10 available)")
