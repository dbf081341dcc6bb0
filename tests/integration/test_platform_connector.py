"""The hospital procurement platform connector end to end: the simulated platform (services/order/platforms/simulator.py)
served by uvicorn on a free port in a thread, the reference adapter over HTTP, the order service's event store, cursor
and outbox on real PostgreSQL. Orders are pulled and placed, a duplicate ignored, one refused by pre-validation
recorded with its rule; then an outage (503s, then the socket refused) during which the sync loop and the outbox fail
and retry; then recovery: every order placed exactly once and every queued push delivered exactly once."""

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn

from services.order.application import OrderApplication, OrderUnitOfWork
from services.order.platforms import sync
from services.order.domain import SalesOrder
from services.order.platforms import DeliveredLine, DeliveryConfirmation, PlatformInvoice, PlatformUnavailable
from services.order.platforms.ledger import PostgresPlatformLedger
from services.order.platforms.simulated import SimulatedPlatformConnector
from services.order.platforms.simulator import SimulatedPlatform, create_app
from tests.price_facts import InMemoryCreditFacts
from tests.unit.test_order_commands import CATHETER, DISTRIBUTOR, HOSPITAL, STENT, KnownFacts, priced_facts
from tests.unit.test_platform_orders import platform_order


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServedPlatform:
    """The simulator under uvicorn in a thread; stopped and served again on the same port with the same state."""

    def __init__(self, state: SimulatedPlatform) -> None:
        self.state, self.port = state, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(create_app(self.state), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, "the simulator to start")

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(10)


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def platform() -> Iterator[ServedPlatform]:
    served = ServedPlatform(SimulatedPlatform())
    served.start()
    yield served
    if served.server is not None and not served.server.should_exit:
        served.stop()


def placed_orders(app: OrderApplication) -> Counter:
    """How many times each order was placed, from the event store."""
    notifications = app.recorder.select_notifications(start=1, limit=10_000)
    return Counter(n.originator_id for n in notifications if n.topic.endswith("SalesOrder.Placed"))


def test_orders_pulled_placed_once_refusals_recorded_and_pushes_delivered_once_across_an_outage(settings, pool,
                                                                                                   platform):
    app = OrderApplication(settings)
    ledger = PostgresPlatformLedger(pool, app.schema)
    ledger.create_tables()
    ledger.create_tables()  # idempotent: every worker start runs it
    ledger.map_party("sim", "hospital", "H330100001", HOSPITAL)
    ledger.map_party("sim", "distributor", "PS3301", DISTRIBUTOR)
    facts = KnownFacts()
    facts.licence("distribution_licence")
    facts.licence("filing_certificate")
    prices, credit = priced_facts(), InMemoryCreditFacts()

    def unit_of_work() -> OrderUnitOfWork:
        return OrderUnitOfWork(app, pool, sale_facts=facts, price_facts=prices, credit_facts=credit)

    connector = SimulatedPlatformConnector(platform.url, name="sim",
                                           timeout=httpx.Timeout(2.0, connect=0.5))
    hospital = httpx.Client(base_url=platform.url)  # the test plays the hospitals, through the simulator's own API
    stop = threading.Event()
    loop: threading.Thread | None = None
    try:
        for record in (platform_order("YG-1", (STENT, 2)), platform_order("YG-2", (CATHETER, 1)),
                       platform_order("YG-1", (STENT, 2)),  # the platform sends YG-1 again
                       platform_order("YG-3", ("09506000134383", 1))):  # an item the order service does not know
            hospital.post("/_sim/orders", json=record).raise_for_status()

        # 1. Pulled and placed through the normal rules; the duplicate ignored; the refusal recorded with its rule.
        report = sync.sync_orders(connector, ledger, unit_of_work)
        assert (report.placed, report.duplicates, report.refused) == (
            ["YG-1", "YG-2"], ["YG-1"], [("YG-3", "registered-item")])
        assert ledger.cursor("sim", sync.ORDERS) == "4"
        assert [(r.platform_order_id, r.status, r.rule, r.field) for r in ledger.orders("sim")] == [
            ("YG-1", "placed", None, None), ("YG-2", "placed", None, None),
            ("YG-3", "refused", "registered-item", "lines[0].gtin")]
        assert ledger.orders("sim", "refused")[0].received["订单编号"] == "YG-3"
        order = app.get_aggregate(sync.order_id_for("sim", "YG-1"), SalesOrder)
        assert (order.customer_reference, order.hospital_id, order.ship_to_distributor_id) == (
            "YG-1", HOSPITAL, DISTRIBUTOR)

        # A shipment and its invoice queue their pushes (in production: in the transactions that record them).
        ledger.enqueue([
            sync.delivery_message("sim", DeliveryConfirmation(
                request_id="", platform_order_id="YG-1", delivery_no="PS-0001",
                shipped_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC), lines=(DeliveredLine(
                    line_no=1, product_code="ZJ-HC-0001", udi_di=STENT, lot="L2401", expiry=date(2028, 6, 30),
                    quantity=2),))),
            sync.invoice_message("sim", PlatformInvoice(
                request_id="", platform_order_id="YG-1", invoice_no="25332000000012345678",
                invoiced_on=date(2026, 12, 2), amount=Decimal("2892.80"), tax_amount=Decimal("332.80"),
                delivery_no="PS-0001"))])
        queued = {m.message_id for m in ledger.outbox("sim")}
        assert queued == {"sim:distribution:YG-1", "sim:distribution:YG-2", "sim:delivery:YG-1:PS-0001",
                          "sim:invoice:YG-1:25332000000012345678"}

        # 2. The outage: every call answers 503. Hospitals still order (the feed grows); the loop runs.
        hospital.post("/_sim/outage", json={"down": True}).raise_for_status()
        platform.state.put_order(platform_order("YG-4", (STENT, 1)))
        platform.state.put_order(platform_order("YG-2", (CATHETER, 1)))  # resent during the outage
        platform.state.put_acceptance({"验收单号": "YS-0001", "订单编号": "YG-1", "配送单号": "PS-0001",
                                       "验收时间": "2026-12-03 10:30:00", "验收数量": 2, "拒收数量": 0})
        with pytest.raises(PlatformUnavailable):
            sync.sync_orders(connector, ledger, unit_of_work)
        calls_before = platform.state.calls
        loop = threading.Thread(target=sync.run, args=(connector, ledger, unit_of_work, stop), kwargs={
            "interval": 0.05, "backoff": sync.Backoff(base=0.05, cap=0.3, jitter=0)}, daemon=True)
        loop.start()
        wait_for(lambda: platform.state.calls >= calls_before + 6, "the loop to retry during the outage")
        wait_for(lambda: all(m.attempts >= 1 for m in ledger.outbox("sim") if m.message_id.endswith("YG-1")),
                 "the outbox to try during the outage")
        assert ledger.cursor("sim", sync.ORDERS) == "4"  # nothing pulled, nothing lost
        assert "YG-4" not in {r.platform_order_id for r in ledger.orders("sim")}
        assert (platform.state.confirmations, platform.state.deliveries, platform.state.invoices) == ([], [], [])
        assert all(m.status == "pending" for m in ledger.outbox("sim"))
        assert any("503" in (m.last_error or "") for m in ledger.outbox("sim"))

        # 3. Worse: the platform's server is gone (connection refused).
        platform.stop()
        wait_for(lambda: any("ConnectError" in (m.last_error or "") for m in ledger.outbox("sim")),
                 "a refused connection to be retried")
        assert all(m.status == "pending" for m in ledger.outbox("sim"))

        # 4. Recovery: served again, outage over. Everything arrives, once.
        platform.state.down = False
        platform.start()
        wait_for(lambda: len(platform.state.confirmations) == 3 and platform.state.deliveries
                 and platform.state.invoices and ledger.acceptances("sim"), "everything to arrive", timeout=30)
        wait_for(lambda: all(m.status == "sent" for m in ledger.outbox("sim")), "the outbox to be sent")
        stop.set()
        loop.join(10)

        placed = placed_orders(app)
        assert placed == {sync.order_id_for("sim", pid): 1 for pid in ("YG-1", "YG-2", "YG-4")}
        assert [(r.platform_order_id, r.status) for r in ledger.orders("sim")] == [
            ("YG-1", "placed"), ("YG-2", "placed"), ("YG-3", "refused"), ("YG-4", "placed")]
        assert ledger.cursor("sim", sync.ORDERS) == "6"
        assert sorted(c["订单编号"] for c in platform.state.confirmations) == ["YG-1", "YG-2", "YG-4"]
        assert [(d["订单编号"], d["配送单号"], d["配送明细"][0]["批号"]) for d in platform.state.deliveries] == [
            ("YG-1", "PS-0001", "L2401")]
        assert [(i["发票号码"], i["价税合计"]) for i in platform.state.invoices] == [("25332000000012345678", "2892.80")]
        received = [*platform.state.confirmations, *platform.state.deliveries, *platform.state.invoices]
        assert Counter(r["请求流水号"] for r in received) == {m.message_id: 1 for m in ledger.outbox("sim")}
        assert [(a["acceptance_id"], a["order_id"]) for a in ledger.acceptances("sim")] == [
            ("YS-0001", sync.order_id_for("sim", "YG-1"))]

        # 5. The item YG-3 named is registered, authorized and priced; the desk places YG-3 again: placed once,
        # confirmed once.
        new_item = "09506000134383"
        facts.items[new_item] = replace(KnownFacts().items[STENT], gtin=new_item)
        distributor = facts.distributors[DISTRIBUTOR]
        facts.distributors[DISTRIBUTOR] = replace(distributor, authorizations=[
            {**grant, "gtins": [*grant["gtins"], new_item]} for grant in distributor.authorizations])
        list_id, _, validity, price = prices.list_prices[0]
        prices.list_prices.append((list_id, new_item, validity, price))  # and prices it
        retried = sync.retry_refused("sim", "YG-3", ledger, unit_of_work)
        assert (retried.status, retried.rule, retried.detail) == ("placed", None, None), retried.detail
        assert sync.send_due(connector, ledger).sent == ["sim:distribution:YG-3"]
        assert placed_orders(app)[sync.order_id_for("sim", "YG-3")] == 1
        assert sorted(c["订单编号"] for c in platform.state.confirmations) == ["YG-1", "YG-2", "YG-3", "YG-4"]
    finally:
        stop.set()
        if loop is not None:
            loop.join(10)
        hospital.close()
        connector.close()
        app.close()


def test_the_sync_process_runs_only_with_a_platform_url_and_checks_orders_against_the_services_own_read_models(
        settings, pool, platform, monkeypatch):
    from services.order.platforms import loop
    from services.order.projections.hospitals import KnownHospitals

    monkeypatch.delenv("ORDER_PLATFORM_URL", raising=False)
    assert loop.main(threading.Event()) == 0  # no platform configured: nothing to do

    app = OrderApplication(settings)
    KnownHospitals(pool, app.schema).setup()  # the worker's read model, empty: channel registered no hospital yet
    ledger = PostgresPlatformLedger(pool, app.schema)
    ledger.create_tables()
    ledger.map_party("zj", "hospital", "H330100001", HOSPITAL)
    ledger.map_party("zj", "distributor", "PS3301", DISTRIBUTOR)
    platform.state.put_order(platform_order("ZJ-1"))
    platform.state.put_order(platform_order("ZJ-2", hospital="H999"))
    monkeypatch.setenv("ORDER_PLATFORM_URL", platform.url)
    monkeypatch.setenv("ORDER_PLATFORM_NAME", "zj")
    monkeypatch.setenv("ORDER_PLATFORM_INTERVAL_SECONDS", "0.05")
    stop = threading.Event()
    process = threading.Thread(target=loop.main, args=(stop,), daemon=True)
    process.start()
    try:
        wait_for(lambda: len(ledger.orders("zj")) == 2, "both orders to be recorded")
    finally:
        stop.set()
        process.join(10)
        app.close()
    assert [(r.platform_order_id, r.status, r.rule) for r in ledger.orders("zj", "refused")] == [
        ("ZJ-1", "refused", "registered-hospital"), ("ZJ-2", "refused", "platform-hospital-mapped")]
    assert ledger.outbox("zj") == [] and ledger.cursor("zj", sync.ORDERS) == "2"


def test_a_platform_orders_shipment_and_invoice_are_queued_with_the_consumers_positions_and_pushed_once(
        settings, pool, platform):
    from uuid import UUID

    from services.order.platforms.callbacks import PlatformCallbacks
    from shared.platform.consumer import Delivery
    from tests.contract.golden import golden

    schema = settings.schema_for("order")
    callbacks = PlatformCallbacks(pool, schema)
    callbacks.setup()  # creates the ledger's tables too
    ledger = PostgresPlatformLedger(pool, schema)
    shipped, invoiced = golden("erp.inventory.ShipmentDispatched"), golden("erp.billing.InvoiceRaised")
    order_id = UUID(shipped.data["order_id"])  # the golden story's order, placed here from the platform
    ledger.record_batch("sim", sync.ORDERS, "1", [sync.PlatformOrderRecord(
        platform="sim", platform_order_id="YG-9", status="placed", order_id=order_id, lines=(
            {"line_no": 3, "product_code": "ZJ-HC-0003", "udi_di": STENT, "quantity": 10, "unit_price": "1446.40"},))],
        [])
    shipped = shipped.model_copy(update={"data": {**shipped.data, "lines": [{**shipped.data["lines"][0],
                                                                              "line_no": 1}]}})
    other = golden("erp.inventory.ShipmentDispatched")
    other = other.model_copy(update={"data": {**other.data, "order_id": "00000000-0000-4000-8000-000000000001"},
                                     "position": 99})  # an order typed at the desk: nothing to tell a platform
    deliveries = [Delivery(settings.topic_for("inventory"), 0, 0, shipped),
                  Delivery(settings.topic_for("billing"), 0, 0, invoiced),
                  Delivery(settings.topic_for("inventory"), 0, 1, other)]
    callbacks.handle_batch(deliveries)
    callbacks.handle_batch(deliveries)  # redelivered: skipped by position
    PlatformCallbacks(pool, schema, name="order-platform-callbacks-replay").handle_batch(deliveries)  # replayed
    shipment_id, invoice_no = shipped.data["shipment_id"], invoiced.data.get("number") or invoiced.data["invoice_id"]
    assert [(m.message_id, m.kind) for m in ledger.outbox("sim")] == [
        (f"sim:delivery:YG-9:{shipment_id}", "delivery"), (f"sim:invoice:YG-9:{invoice_no}", "invoice")]

    platform.state.put_order(platform_order("YG-9"))
    connector = SimulatedPlatformConnector(platform.url, name="sim")
    try:
        assert len(sync.send_due(connector, ledger).sent) == 2
    finally:
        connector.close()
    assert [(d["订单编号"], d["配送单号"], d["配送明细"]) for d in platform.state.deliveries] == [
        ("YG-9", shipment_id, [{"明细序号": 3, "产品编码": "ZJ-HC-0003", "UDI-DI": STENT, "批号": "L2701A",
                                "有效期至": "2027-01-31", "配送数量": 10}])]  # named as the platform's line
    assert [(i["订单编号"], i["价税合计"], i["税额"]) for i in platform.state.invoices] == [("YG-9", "14464.00", "1664.00")]


def test_the_platform_process_hears_of_a_shipment_on_kafka_and_confirms_the_delivery(settings, pool, platform,
                                                                                      monkeypatch):
    import asyncio
    from uuid import UUID

    from services.order.platforms import loop
    from shared.platform.kafka import ensure_topics, new_producer
    from tests.contract.golden import golden

    shipped = golden("erp.inventory.ShipmentDispatched")
    app = OrderApplication(settings)
    ledger = PostgresPlatformLedger(pool, app.schema)
    ledger.create_tables()
    ledger.record_batch("sim", sync.ORDERS, None, [sync.PlatformOrderRecord(
        platform="sim", platform_order_id="YG-9", status="placed", order_id=UUID(shipped.data["order_id"]))], [])
    platform.state.put_order(platform_order("YG-9"))  # pulled again by the loop: already recorded, nothing placed

    async def publish() -> None:  # inventory's relay, as far as this consumer can tell
        topic = settings.topic_for("inventory")
        await ensure_topics(settings, [topic])
        producer = new_producer(settings)
        await producer.start()
        try:
            await producer.send_and_wait(topic, value=shipped.to_bytes(), key=str(shipped.aggregateid).encode(),
                                         headers=[("content-type", b"application/cloudevents+json; charset=UTF-8")])
        finally:
            await producer.stop()

    asyncio.run(publish())
    monkeypatch.setenv("ORDER_PLATFORM_URL", platform.url)
    monkeypatch.setenv("ORDER_PLATFORM_INTERVAL_SECONDS", "0.05")
    stop = threading.Event()
    process = threading.Thread(target=loop.main, args=(stop,), daemon=True)
    process.start()
    try:
        wait_for(lambda: platform.state.deliveries, "the delivery confirmation", timeout=60)
    finally:
        stop.set()
        process.join(30)
        app.close()
    assert [(d["订单编号"], d["配送单号"]) for d in platform.state.deliveries] == [("YG-9", shipped.data["shipment_id"])]
    assert [c["订单编号"] for c in platform.state.confirmations] == []  # the loop placed nothing: YG-9 was recorded
    assert not process.is_alive()
