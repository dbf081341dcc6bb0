"""Recalled goods must never ship again (the critical finding: a recall's hold released by a token with no role,
then the lot reserved, picked and dispatched three times while the recall was open).

On real PostgreSQL and Kafka, with inventory's reactions and read models running as in production: a recall opened
in traceability stops its lot in inventory; every path that could move the lot is refused, by anyone; closing the
recall lifts the stop but the lot stays on hold until quality releases it, and only then is it usable again.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from services.inventory.application import InventoryApplication
from services.inventory.projections.backorders import Backorders
from services.inventory.projections.open_recalls import OpenRecalls
from services.inventory.projections.stock import StockOnHand
from services.inventory.reactions import BackorderRetries, FulfilmentPlanner, RecallHolds
from services.order.application import OrderApplication
from services.traceability.application import TraceabilityApplication
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.context import acting_as
from shared.platform.relay import Relay
from tests.apitools import days
from tests.integration.helpers import Running, eventually
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.orders import accepted_order
from tests.suppliers import qualified_supplier_via_api
from tests.apps import web_app

GTIN, LOT, WH = "09506000134352", "RC-LOT-1", "WH-SZ"
GS = "\x1d"
EVERY_ROLE = [*SETUP_ROLES, "channel_manager", "auditor"]


def everyone(name: str = "mallory") -> dict[str, str]:
    """A token with every role: the refusals below are rules, not permissions."""
    return {"Authorization": f"Bearer {issue_token(name, EVERY_ROLE)}"}


def scan(lot: str, expiry: str, quantity: int) -> str:
    code = "]d2" + "01" + GTIN + "17" + datetime.fromisoformat(expiry).strftime("%y%m%d") + "10" + lot
    return code + GS + "30" + str(quantity)


@pytest.fixture
def apis(settings):
    inventory_web = web_app("inventory")
    trace_web = web_app("traceability")

    with TestClient(inventory_web) as inventory, TestClient(trace_web) as trace:
        yield inventory, trace


async def test_a_recalled_lot_cannot_move_by_any_path_until_the_recall_closes_and_quality_releases_it(
        settings, pool, apis, monkeypatch):
    monkeypatch.setenv("INVENTORY_PICKING_REQUIRED", "false")  # so dispatch itself is reached, and refused
    inventory_api, trace_api = apis
    expiry = days(700)
    registered_item_via_api(inventory_api, everyone(), GTIN)
    supplier_id = qualified_supplier_via_api(inventory_api, everyone())
    received = inventory_api.post("/goods-receipts", headers=everyone(), json={"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": LOT, "expiry": expiry, "quantity": 100, "warehouse": WH}]})
    assert received.status_code == 201, received.text
    assert inventory_api.post("/quality/inspections", headers=everyone(), json={
        "gtin": GTIN, "lot": LOT, "warehouse": WH, "result": "released"}).status_code == 200

    orders, inventory, trace = OrderApplication(settings), InventoryApplication(settings), TraceabilityApplication(settings)
    schema = inventory.schema
    for projection in (StockOnHand, OpenRecalls, Backorders):
        projection(pool, schema).setup()
    running = Running()
    for task in (Relay(orders).run, Relay(inventory).run, Relay(trace).run,
                 ConsumerRunner(FulfilmentPlanner(inventory, pool), settings).run,
                 ConsumerRunner(RecallHolds(inventory, pool), settings).run,
                 ConsumerRunner(BackorderRetries(inventory, pool), settings).run,
                 *(ConsumerRunner(p(pool, schema), settings).run for p in (StockOnHand, OpenRecalls, Backorders))):
        running.start(task)

    def order(quantity: int):  # noqa: ANN202
        with acting_as("user:order-desk"):
            placed = accepted_order(orders, [{"gtin": GTIN, "quantity": quantity, "unit_price": Decimal("1280.00")}])
        return placed.id

    async def fulfilled(order_id):  # noqa: ANN001, ANN202
        return await eventually(lambda: (f := inventory.get_fulfilment(order_id)) and f.status != "requested" and f,
                                what=f"the reservation of {order_id}")

    try:
        reserved_before = order(10)  # reserved before the recall: it must not ship either
        assert (await fulfilled(reserved_before)).status == "reserved"

        opened = trace_api.post("/recalls", headers=everyone("qa-li"), json={
            "title": "冠脉支架召回", "level": 1, "reason": "输送系统断裂风险", "allow_unknown_lots": True,
            "decided_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(), "lots": [{"gtin": GTIN, "lot": LOT}]})
        assert opened.status_code == 201, opened.text
        recall_id = opened.json()["recall_id"]
        await eventually(lambda: LOT in inventory.item_by_gtin(GTIN).recalls.lots, what="inventory to stop the lot")
        shown = await eventually(lambda: (row := inventory_api.get("/stock", headers=everyone(), params={"lot": LOT}).json()[
            "items"][0])["status"] == "on_hold" and row, what="the stock list to show the lot on hold")
        assert shown["item_name"] == "Stent"  # names beside ids
        events_before = inventory.recorder.max_notification_id()

        # Every path that could move the lot is refused, whatever roles the caller carries.
        release = inventory_api.post("/quality/holds/release", headers=everyone(), json={
            "gtin": GTIN, "lot": LOT, "reason": "我们觉得没问题"})
        assert (release.status_code, release.json()["rule"]) == (409, "recall-hold-kept-while-recall-open")
        adjust = inventory_api.post("/stock/adjustments", headers=everyone(), json={
            "gtin": GTIN, "lot": LOT, "warehouse": WH, "quantity_change": -5, "reason": "报损"})
        assert (adjust.status_code, adjust.json()["rule"]) == (409, "recalled-stock-not-adjusted")
        move = inventory_api.post("/stock/moves", headers=everyone(), json={
            "gtin": GTIN, "lot": LOT, "from_warehouse": WH, "to_warehouse": "WH-BJ", "quantity": 5})
        assert (move.status_code, move.json()["rule"]) == (409, "recalled-stock-not-moved")
        pick = inventory_api.post("/wms/picks", headers=everyone(), json={
            "external_reference": "PK-1", "order_id": str(reserved_before), "scans": [scan(LOT, expiry, 10)]})
        assert (pick.status_code, pick.json()["rule"]) == (409, "recalled-stock-not-picked")
        ship = inventory_api.post("/wms/shipments", headers=everyone(), json={
            "external_reference": "SHP-1", "order_id": str(reserved_before), "carrier": "SF", "tracking_number": "SF1"})
        assert (ship.status_code, ship.json()["rule"]) == (409, "recalled-stock-not-shipped")
        dispatch = inventory_api.post(f"/fulfilments/{reserved_before}/dispatch", headers=everyone(),
                                      json={"carrier": "SF", "tracking_number": "SF2"})
        assert (dispatch.status_code, dispatch.json()["rule"]) == (409, "recalled-stock-not-shipped")
        assert inventory.recorder.max_notification_id() == events_before  # nothing of any of them was stored

        new_order = order(5)  # a new order finds nothing it may take
        assert (await fulfilled(new_order)).status == "rejected"

        # Closing the recall lifts its stop; the lot stays on hold until quality decides.
        requested = trace_api.post(f"/recalls/{recall_id}/close", headers=everyone("qa-li"),
                                   json={"summary": "全部召回完成"})
        assert requested.status_code == 200 and requested.json()["status"] == "open", requested.text
        # Four eyes: the request alone lifts nothing; a second officer's approval closes the recall.
        assert inventory.item_by_gtin(GTIN).recalls.lots
        closed = trace_api.post(f"/recalls/{recall_id}/close/approval", headers=everyone("qa-wang"))
        assert closed.status_code == 200, closed.text
        await eventually(lambda: not inventory.item_by_gtin(GTIN).recalls.lots, what="inventory to lift the stop")
        after_closure = order(5)
        assert (await fulfilled(after_closure)).status == "rejected"  # still held
        assert inventory.get_fulfilment(new_order).status == "rejected"

        released = inventory_api.post("/quality/holds/release", headers=everyone("qa-chen"), json={
            "gtin": GTIN, "lot": LOT, "reason": "召回关闭，复检合格"})
        assert released.status_code == 200, released.text
        # The release is offered to the backordered orders, oldest first: both are now reserved.
        for waiting in (new_order, after_closure):
            await eventually(lambda w=waiting: inventory.get_fulfilment(w).status == "reserved",
                             what=f"backordered {waiting} to be reserved after the release")
    finally:
        await running.stop()
        for app in (orders, inventory, trace):
            app.close()


async def test_dispatch_asks_the_open_recalls_on_its_own_even_when_the_item_was_never_stopped(
        settings, pool, apis, monkeypatch):
    """The second, independent check: the recall reached the register of open recalls, but the item's stop and hold
    are absent (as if its reaction had never run): dispatch is still refused."""
    monkeypatch.setenv("INVENTORY_PICKING_REQUIRED", "false")
    inventory_api, trace_api = apis
    registered_item_via_api(inventory_api, everyone(), GTIN)
    supplier_id = qualified_supplier_via_api(inventory_api, everyone())
    inventory_api.post("/goods-receipts", headers=everyone(), json={"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": LOT, "expiry": days(700), "quantity": 20, "warehouse": WH}]}).raise_for_status()
    inventory_api.post("/quality/inspections", headers=everyone(), json={
        "gtin": GTIN, "lot": LOT, "warehouse": WH, "result": "released"}).raise_for_status()
    orders, inventory, trace = OrderApplication(settings), InventoryApplication(settings), TraceabilityApplication(settings)
    OpenRecalls(pool, inventory.schema).setup()
    running = Running()
    for task in (Relay(orders).run, Relay(trace).run, ConsumerRunner(FulfilmentPlanner(inventory, pool), settings).run,
                 ConsumerRunner(OpenRecalls(pool, inventory.schema), settings).run):  # no RecallHolds
        running.start(task)
    try:
        with acting_as("user:order-desk"):
            order_id = accepted_order(orders, [{"gtin": GTIN, "quantity": 3, "unit_price": "10.00"}]).id
        await eventually(lambda: (f := inventory.get_fulfilment(order_id)) and f.status == "reserved", what="reservation")
        trace_api.post("/recalls", headers=everyone("qa-li"), json={
            "title": "召回", "level": 2, "reason": "风险", "allow_unknown_lots": True,
            "decided_at": datetime.now(UTC).isoformat(), "lots": [{"gtin": GTIN, "lot": LOT}]}).raise_for_status()
        def register_knows_it() -> bool:
            with pool.connection() as conn:
                return conn.execute(f"SELECT 1 FROM {inventory.schema}.open_recall_scope").fetchone() is not None

        await eventually(register_knows_it, what="the register of open recalls to know the recall")
        assert LOT not in inventory.item_by_gtin(GTIN).recalls.lots  # the item itself was never stopped
        refused = inventory_api.post(f"/fulfilments/{order_id}/dispatch", headers=everyone(),
                                     json={"carrier": "SF", "tracking_number": "SF9"})
        assert (refused.status_code, refused.json()["rule"]) == (409, "recalled-stock-not-shipped")
        assert inventory.get_fulfilment(order_id).shipments == []
    finally:
        await running.stop()
        for app in (orders, inventory, trace):
            app.close()
