"""A process manager saves a whole batch of reactions in one transaction (ProcessManager._handle_together, the
lever the pipeline benchmark showed): later reactions must see what earlier ones changed, a reaction that
changes an aggregate and then rejects must leave no trace in it, and a concurrent change of one of the
aggregates (a version conflict at the batch's save) must cost a retry of smaller batches, never an event.

On real PostgreSQL: the inventory's fulfilment planner, fed OrderPlaced envelopes as the order service makes them.
"""

import logging
from datetime import timedelta

import pytest

from services.inventory.application import InventoryApplication
from services.inventory.reactions import FulfilmentPlanner
from services.order.application import OrderApplication
from shared.platform.consumer import Delivery
from shared.platform.context import acting_as
from tests.inventory import receive, released_stock
from tests.items import registered_item
from tests.orders import accepted_order
from shared.domain.business_day import business_today

STENT, BALLOON, UNKNOWN = "09506000134352", "09506000134369", "09506000134376"
TODAY = business_today()


@pytest.fixture
def inventory(settings):
    app = InventoryApplication(settings)
    with acting_as("user:warehouse"):
        app.supplier = released_stock(app, STENT, "S1", 10, TODAY + timedelta(days=900))
        registered_item(app, BALLOON, "Balloon", 2)
    yield app
    app.close()


def placed(settings, *orders: list[tuple[str, int]], **options) -> list[Delivery]:  # noqa: ANN001, ANN003
    """The OrderPlaced deliveries of orders with these (gtin, quantity) lines, as the relay would publish them."""
    app = OrderApplication(settings)
    try:
        with acting_as("user:order-desk"):
            for lines in orders:
                accepted_order(app, [{"gtin": g, "quantity": q, "unit_price": "10.00"} for g, q in lines], **options)
        notifications = app.recorder.select_notifications(start=1, limit=100)
        return [Delivery(settings.topic_for("order"), 0, n, app.envelope(notification))
                for n, notification in enumerate(notifications)]
    finally:
        app.close()


def allocated(app: InventoryApplication, gtin: str) -> int:
    return sum(lot.allocated for lot in app.item_by_gtin(gtin).lot_stock())


def status(app: InventoryApplication, delivery: Delivery) -> str:
    return app.get_fulfilment(delivery.envelope.data["order_id"]).status


def test_one_batch_reserves_in_order_and_a_rejected_order_leaves_nothing_allocated(settings, pool, inventory):
    # Delivered complete: an order short of one line reserves nothing (partial deliveries would keep the 4 stents).
    deliveries = placed(settings, [(STENT, 3)], [(STENT, 4), (UNKNOWN, 1)], [(STENT, 2)], ship_complete=True)
    planner = FulfilmentPlanner(inventory, pool)
    planner.setup()
    events_before = inventory.recorder.max_notification_id()

    planner.handle_batch(deliveries)

    # The rejected order allocated 4 stents before finding no UNKNOWN: that allocation must not be saved.
    assert allocated(inventory, STENT) == 3 + 2
    assert [status(inventory, d) for d in deliveries] == ["reserved", "rejected", "reserved"]
    assert planner.stored_positions() == {(settings.topic_for("order"), 0): (2, deliveries[-1].envelope.position)}
    planner.handle_batch(deliveries)  # redelivered (a relay resend): nothing happens twice
    assert allocated(inventory, STENT) == 5
    # Requested + reserved/rejected per order, the two allocations on the stent: written once each.
    assert inventory.recorder.max_notification_id() - events_before == 3 * 2 + 2


def test_a_concurrent_change_during_a_batch_splits_it_and_loses_nothing(settings, pool, inventory, caplog):
    deliveries = placed(settings, *[[(STENT, 1)] for _ in range(6)])
    planner = FulfilmentPlanner(inventory, pool)
    planner.setup()
    elsewhere = InventoryApplication(settings)  # another process receiving goods into the same item meanwhile
    react, interfered = planner.react, []

    def react_while_someone_else_receives(envelope, payload, uow):  # noqa: ANN001, ANN202
        react(envelope, payload, uow)  # the stent read, and allocated in memory; then someone else saves it
        if not interfered:
            interfered.append(True)
            with acting_as("user:warehouse"):
                receive(elsewhere, inventory.supplier, [{"gtin": STENT, "lot": "S2", "quantity": 5,
                                                         "expiry": TODAY + timedelta(days=950), "warehouse": "WH1"}])

    planner.react = react_while_someone_else_receives
    caplog.set_level(logging.INFO, logger="shared.platform.consumer")
    try:
        planner.handle_batch(deliveries)
    finally:
        elsewhere.close()
    assert "splitting it" in caplog.text
    assert all(status(inventory, d) == "reserved" for d in deliveries)
    assert allocated(inventory, STENT) == 6
    assert {lot.lot for lot in inventory.item_by_gtin(STENT).lot_stock()} == {"S1", "S2"}  # the other change stayed
