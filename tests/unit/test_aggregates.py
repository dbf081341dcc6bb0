from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.inventory.domain import Fulfilment, FulfilmentStateError, InsufficientStockError, LotExpiredError, StockItem
from services.order.domain import OrderStateError, SalesOrder
from shared.platform.context import MissingActorError, acting_as

GTIN = "09506000134352"


def test_an_event_cannot_be_recorded_without_an_actor():
    with pytest.raises(MissingActorError):
        StockItem(gtin=GTIN, name="Stent", device_class=3)


def test_every_event_carries_actor_correlation_and_causation():
    with acting_as("user:alice", correlation_id="corr-1", causation_id="cause-1"):
        item = StockItem(gtin=GTIN, name="Stent", device_class=3)
        item.receive_lot("L1", date(2030, 1, 1), 5, "WH1", today=date(2026, 11, 24))
    events = item.collect_events()
    assert [e.meta for e in events] == [{"actor": "user:alice", "correlation_id": "corr-1", "causation_id": "cause-1"}] * 2


def test_allocation_and_shipment_move_stock_and_never_below_zero():
    order_id, shipment_id = uuid4(), uuid4()
    with acting_as("user:alice"):
        item = StockItem(gtin=GTIN, name="Stent", device_class=3)
        item.receive_lot("L1", date(2030, 1, 1), 5, "WH1", today=date(2026, 11, 24))
        item.inspect_lot("L1", "WH1", "available", None)
        item.allocate(order_id, 5, date(2026, 11, 24))
        with pytest.raises(InsufficientStockError):
            item.allocate(uuid4(), 1, date(2026, 11, 24))
        item.ship_allocated(order_id, shipment_id, "WH1")
    (stock,) = item.lot_stock()
    assert (stock.on_hand, stock.allocated) == (0, 0)


def test_order_status_follows_fulfilment_and_refuses_going_back():
    with acting_as("user:alice"):
        order = SalesOrder(order_id=uuid4(), hospital_id=uuid4(), customer_reference=None, currency="CNY",
                           lines=[{"line_no": 1, "gtin": GTIN, "quantity": 1, "unit_price": 1}])
        order.mark_reserved([{"gtin": GTIN, "lot": "L1", "expiry": date(2030, 1, 1), "quantity": 1}])
        shipment = uuid4()
        assert order.record_shipment(shipment) is True
        assert order.record_shipment(shipment) is False  # the same shipment again changes nothing
        with pytest.raises(OrderStateError):
            order.backorder("too late")
    assert order.status == "shipped"
    assert len(order.collect_events()) == 3


def test_a_rejected_fulfilment_cannot_be_dispatched():
    with acting_as("user:alice"):
        fulfilment = Fulfilment(order_id=uuid4(), ship_to_hospital_id=uuid4(),
                                lines=[{"line_no": 1, "gtin": GTIN, "quantity": 1}])
        fulfilment.reject(order_id=fulfilment.order_id, reason="no stock",
                          shortages=[{"gtin": GTIN, "requested": 1, "available": 0}])
        with pytest.raises(FulfilmentStateError, match="rejected"):
            fulfilment.warehouses_to_ship()


def test_dispatch_makes_one_shipment_per_warehouse():
    with acting_as("user:alice"):
        fulfilment = Fulfilment(order_id=uuid4(), ship_to_hospital_id=uuid4(),
                                lines=[{"line_no": 1, "gtin": GTIN, "quantity": 3}])
        fulfilment.reserve(order_id=fulfilment.order_id, lines=[
            {"line_no": 1, "gtin": GTIN, "lot": "A", "expiry": date(2030, 1, 1), "warehouse": "WH1", "quantity": 1},
            {"line_no": 1, "gtin": GTIN, "lot": "B", "expiry": date(2031, 1, 1), "warehouse": "WH2", "quantity": 2},
        ])
        assert fulfilment.warehouses_to_ship() == ["WH1", "WH2"]
        fulfilment.dispatch(uuid4(), "WH1", "SF", "T1", datetime.now(UTC))
        assert fulfilment.status == "partially_shipped"
        assert fulfilment.warehouses_to_ship() == ["WH2"]


def test_an_expired_lot_is_not_received_but_history_replays_after_expiry():
    with acting_as("user:alice"):
        item = StockItem(gtin=GTIN, name="Stent", device_class=3)
        with pytest.raises(LotExpiredError, match="expired on 2026-11-24"):
            item.receive_lot("OLD", date(2026, 11, 24), 5, "WH1", today=date(2026, 11, 24))
        item.receive_lot("NEW", date(2027, 1, 1), 5, "WH1", today=date(2026, 11, 24))
    events = item.collect_events()
    assert [type(e).__name__ for e in events] == ["Registered", "LotReceived"]
    replayed = None
    for e in events:  # years later, after the lot expired, the history still rebuilds the same stock
        replayed = e.mutate(replayed)
    assert [(s.lot, s.on_hand) for s in replayed.lot_stock()] == [("NEW", 5)]
