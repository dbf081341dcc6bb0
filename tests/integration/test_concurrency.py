"""Optimistic concurrency on real PostgreSQL: racing commands on one aggregate never both win."""

import threading
from datetime import timedelta
from uuid import uuid4

import pytest

from services.inventory.application import InventoryApplication, InventoryUnitOfWork, reservation
from services.inventory.domain import FulfilmentStateError
from services.inventory.settings import InventorySettings
from shared.platform.context import acting_as
from shared.platform.eventstore import IntegrityError
from tests.inventory import dispatch, released_stock, reserve
from shared.domain.business_day import business_today

GTIN = "09506000134352"
TODAY = business_today()


@pytest.fixture
def inventory(settings):
    app = InventoryApplication(settings)
    with acting_as("user:warehouse"):
        released_stock(app, GTIN, "LAST", 5, TODAY + timedelta(days=1000))
    yield app
    app.close()


def race(*commands) -> list:
    """Run the commands at the same moment; each result is 'ok' or the exception it raised."""
    barrier = threading.Barrier(len(commands))
    results: list = [None] * len(commands)

    def run(i: int) -> None:
        with acting_as(f"user:racer-{i}"):
            barrier.wait()
            try:
                commands[i]()
                results[i] = "ok"
            except Exception as e:  # noqa: BLE001 - the race's loser is the point of the test
                results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_orders_racing_for_the_last_units_never_both_get_them(inventory):
    lines = ({"line_no": 1, "gtin": GTIN, "quantity": 5},)
    plans = [InventoryUnitOfWork(inventory, deferred=True) for _ in range(2)]  # saved when flushed, as in a batch
    with acting_as("user:planner"):  # both see the same 5 units available
        for uow in plans:
            reservation.reserve_order(reservation.ReserveOrder(order_id=uuid4(), ship_to_hospital_id=uuid4(),
                                                               lines=lines, today=TODAY), uow)
    results = race(*(uow.flush for uow in plans))
    assert results.count("ok") == 1
    assert isinstance(next(r for r in results if r != "ok"), IntegrityError)
    (stock,) = inventory.item_by_gtin(GTIN).lot_stock()
    assert (stock.on_hand, stock.allocated) == (5, 5)


def test_a_dispatch_retried_at_the_same_moment_ships_once(inventory, pool):
    from tests.integration.helpers import open_recall_register

    open_recall_register(inventory, pool)  # dispatch asks it
    inventory.inventory_settings = InventorySettings(picking_required=False)  # the race is the point, not picking
    order_id = uuid4()
    with acting_as("user:planner"):
        reserve(inventory, order_id, [{"line_no": 1, "gtin": GTIN, "quantity": 3}], TODAY)
    results = race(*(lambda: dispatch(inventory, pool, order_id, "SF", "SF1") for _ in range(2)))
    assert results.count("ok") == 1
    # The loser either lost the version race or, if it read after the winner saved, found nothing left to ship.
    assert isinstance(next(r for r in results if r != "ok"), IntegrityError | FulfilmentStateError)
    assert len(inventory.get_fulfilment(order_id).shipments) == 1
    (stock,) = inventory.item_by_gtin(GTIN).lot_stock()
    assert (stock.on_hand, stock.allocated) == (2, 0)
