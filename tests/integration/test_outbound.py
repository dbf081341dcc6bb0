"""Outbound on real PostgreSQL and Kafka: receipt -> release -> order reserved FEFO (via Kafka) -> a wrong scan
refused -> the right picks -> dispatch -> delivered -> accepted (验收) -> a partial return into quarantine, and the
returns list (a projection) for analytics."""

from decimal import Decimal
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.inventory.api import fulfilments, kits, returns
from services.inventory.application import InventoryApplication
from services.inventory.projections.returns import ReturnsByReason
from services.inventory.projections.stock import StockOnHand
from services.inventory.reactions import FulfilmentPlanner
from services.order.application import OrderApplication
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.context import acting_as
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually
from tests.apitools import days, stored
from tests.orders import accepted_order
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.apps import web_app

GTIN = "09506000134352"


def auth(name: str = "picker-zhao") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, SETUP_ROLES)}"}


@pytest.fixture
def api(settings, monkeypatch):
    monkeypatch.setenv("INVENTORY_PICKING_REQUIRED", "true")
    app = web_app("inventory")

    with TestClient(app) as client:
        yield client


def scan(lot: str, serial: str | None = None, count: int | None = None) -> str:
    return f"(01){GTIN}(10){lot}" + (f"(21){serial}" if serial else "") + (f"(30){count}" if count else "")


async def test_pick_by_scan_dispatch_deliver_accept_and_return(settings, api, pool, monkeypatch):
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier = api.post("/suppliers", headers=auth(), json={"name": "苏州医疗器械制造有限公司"}).json()["supplier_id"]
    for document in ("business_licence", "production_licence"):
        api.post(f"/suppliers/{supplier}/qualifications", headers=auth(), json={
            "document_type": document, "number": "D-1", "valid_from": "2020-01-01", "valid_to": days(3650)}).raise_for_status()
    receipt = api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier, "lines": [
        {"gtin": GTIN, "lot": "EARLY", "expiry": days(300), "quantity": 3, "serials": ["E1", "E2", "E3"], "warehouse": "WH-SZ"},
        {"gtin": GTIN, "lot": "LATE", "expiry": days(700), "quantity": 10, "warehouse": "WH-SZ"}]})
    assert receipt.status_code == 201, receipt.text
    for lot in ("EARLY", "LATE"):
        api.post("/quality/inspections", headers=auth(), json={
            "gtin": GTIN, "lot": lot, "warehouse": "WH-SZ", "result": "released"}).raise_for_status()

    orders, inventory = OrderApplication(settings), InventoryApplication(settings)
    stock_projection, returns_projection = StockOnHand(pool, inventory.schema), ReturnsByReason(pool, inventory.schema)
    running = Running()
    for task in (Relay(orders).run, Relay(inventory).run, ConsumerRunner(FulfilmentPlanner(inventory, pool), settings).run,
                 ConsumerRunner(stock_projection, settings).run, ConsumerRunner(returns_projection, settings).run):
        running.start(task)
    app = api.app.state.service.application
    try:
        hospital = uuid4()
        with acting_as("user:order-desk"):
            order = accepted_order(orders, [{"gtin": GTIN, "quantity": 5, "unit_price": Decimal("1280.00")}], hospital)
        fulfilment = await eventually(lambda: (f := inventory.get_fulfilment(order.id)) and f.status != "requested" and f,
                                      what="the reservation")
        assert fulfilment.status == "reserved" and fulfilment.picking_required
        assert [(r["lot"], r["quantity"]) for r in fulfilment.reserved] == [("EARLY", 3), ("LATE", 2)]  # FEFO
        picks = f"/fulfilments/{order.id}/picks"

        before = stored(app)
        not_picked = api.post(f"/fulfilments/{order.id}/dispatch", headers=auth(), json={"carrier": "SF", "tracking_number": "SF9"})
        assert (not_picked.status_code, not_picked.json()["rule"]) == (409, "dispatch-picked-only")
        wrong_lot = api.post(picks, headers=auth(), json={"scans": [scan("EARLY", "E1"), scan("OTHER")]})
        assert wrong_lot.status_code == 409 and wrong_lot.headers["content-type"] == "application/problem+json"
        body = wrong_lot.json()
        assert (body["rule"], body["scan"], body["expected"]["lot"], body["scanned"]["lot"]) == (
            "pick-matches-reservation", 1, ["EARLY", "LATE"], "OTHER")
        wrong_serial = api.post(picks, headers=auth(), json={"scans": [scan("EARLY", "X9")]})
        assert (wrong_serial.status_code, wrong_serial.json()["scanned"]["serial"]) == (409, "X9")
        wrong_gtin = api.post(picks, headers=auth(), json={"scans": ["(01)09506000134376(10)EARLY"]})
        assert (wrong_gtin.status_code, wrong_gtin.json()["expected"]["gtin"]) == (409, [GTIN])
        too_many = api.post(picks, headers=auth(), json={"scans": [scan("LATE", count=3)]})
        assert (too_many.status_code, too_many.json()["rule"]) == (409, "pick-exceeds-reservation")
        unreadable = api.post(picks, headers=auth(), json={"scans": ["(01)09506000134353(10)EARLY"]})
        assert (unreadable.status_code, unreadable.json()["errors"][0]["field"]) == (422, "scans[0]")
        assert stored(app) == before  # refused commands store nothing

        first = api.post(picks, headers=auth(), json={"scans": [scan("EARLY", "E1"), scan("EARLY", "E2")]})
        assert first.status_code == 200 and first.json()["units_to_pick"] == 3
        twice = api.post(picks, headers=auth(), json={"scans": [scan("EARLY", "E2")]})
        assert (twice.status_code, twice.json()["rule"]) == (409, "pick-once")
        done = api.post(picks, headers=auth(), json={"scans": [scan("EARLY", "E3"), "]d2" + f"01{GTIN}10LATE\x1d302"]})
        assert done.status_code == 200 and done.json()["picks_complete"], done.text

        dispatched = api.post(f"/fulfilments/{order.id}/dispatch", headers=auth(),
                              json={"carrier": "SF Express", "tracking_number": "SF1000000009"})
        assert dispatched.status_code == 200, dispatched.text
        (shipment,) = dispatched.json()["shipments"]
        assert [(line["lot"], line["quantity"], line.get("serials")) for line in shipment["lines"]] == [
            ("EARLY", 3, ["E1", "E2", "E3"]), ("LATE", 2, None)]
        shipment_id = shipment["shipment_id"]
        base = f"/fulfilments/{order.id}/shipments/{shipment_id}"

        early_acceptance = api.post(f"{base}/acceptance", headers=auth("li"), json={"accepted_by": "李明"})
        assert (early_acceptance.status_code, early_acceptance.json()["rule"]) == (409, "accept-delivered-only")
        assert api.post(f"{base}/delivery", headers=auth("carrier"), json={"received_by": "王护士长"}).status_code == 200
        no_person = api.post(f"{base}/acceptance", headers=auth("li"), json={})
        assert (no_person.status_code, no_person.json()["errors"][0]["field"]) == (422, "accepted_by")
        accepted = api.post(f"{base}/acceptance", headers=auth("li"), json={"accepted_by": "李明（设备科）", "discrepancies": [
            {"gtin": GTIN, "lot": "EARLY", "kind": "damaged", "quantity": 1, "note": "外包装破损"}]})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["shipments"][0]["discrepancies"][0]["kind"] == "damaged"

        # Returns: at most what was shipped; bad input is 422 naming the field; nothing stored when refused.
        before = stored(app)
        rma = {"order_id": str(order.id), "shipment_id": shipment_id, "reason": "damaged", "disposition": "restock",
               "warehouse": "WH-RET"}
        too_much = api.post("/returns", headers=auth(), json={**rma, "lines": [{"gtin": GTIN, "lot": "LATE", "quantity": 3}]})
        assert (too_much.status_code, too_much.json()["rule"]) == (409, "return-at-most-shipped")
        bad_reason = api.post("/returns", headers=auth(), json={**rma, "reason": "bored",
                                                                "lines": [{"gtin": GTIN, "lot": "LATE", "quantity": 1}]})
        assert (bad_reason.status_code, bad_reason.json()["errors"][0]["field"]) == (422, "reason")
        assert stored(app) == before
        returned = api.post("/returns", headers=auth(), json={
            **rma, "lines": [{"gtin": GTIN, "lot": "EARLY", "quantity": 1, "serials": ["E2"]}]})
        assert returned.status_code == 201, returned.text
        again = api.post("/returns", headers=auth(), json={
            **rma, "lines": [{"gtin": GTIN, "lot": "EARLY", "quantity": 1, "serials": ["E2"]}]})
        assert (again.status_code, again.json()["rule"]) == (409, "return-at-most-shipped")
        item = app.item_by_gtin(GTIN)
        back = item.lots[("EARLY", "WH-RET")]
        assert (back.on_hand, back.status) == (1, "quarantine")  # restock: inspected before it is available again

        def returns_listed():
            page = api.get("/returns", headers=auth(), params={"reason": "damaged", "gtin": GTIN}).json()
            return page["total"] == 1 and page
        page = await eventually(returns_listed, what="the returns list")
        assert [(r["lot"], r["quantity"], r["disposition"], r["hospital_id"]) for r in page["items"]] == [
            ("EARLY", 1, "restock", str(hospital))]
        assert api.get("/returns", headers=auth(), params={"reason": "expired"}).json()["total"] == 0

        def quarantined_return():
            rows = api.get("/stock", headers=auth(), params={"gtin": GTIN, "warehouse": "WH-RET"}).json()["items"]
            return [(r["lot"], r["on_hand"], r["status"]) for r in rows] == [("EARLY", 1, "quarantine")]
        await eventually(quarantined_return, what="the returned unit in quarantine on the stock list")
    finally:
        await running.stop()
        orders.close()
        inventory.close()


def test_a_kit_consumes_available_component_lots_into_one_new_lot(api):
    kit_gtin = "09506000134383"
    for gtin, name in ((GTIN, "Stent"), (kit_gtin, "Stent kit")):
        registered_item_via_api(api, auth(), gtin, name, 3)
    supplier = api.post("/suppliers", headers=auth(), json={"name": "S"}).json()["supplier_id"]
    for document in ("business_licence", "production_licence"):
        api.post(f"/suppliers/{supplier}/qualifications", headers=auth(), json={
            "document_type": document, "number": "D-1", "valid_from": "2020-01-01", "valid_to": days(3650)}).raise_for_status()
    api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier, "lines": [
        {"gtin": GTIN, "lot": "A", "expiry": days(300), "quantity": 5, "warehouse": "WH1"},
        {"gtin": GTIN, "lot": "Q", "expiry": days(300), "quantity": 5, "warehouse": "WH1"}]}).raise_for_status()
    api.post("/quality/inspections", headers=auth(), json={"gtin": GTIN, "lot": "A", "warehouse": "WH1",
                                                          "result": "released"}).raise_for_status()
    app = api.app.state.service.application
    before = stored(app)
    kit = {"kit_gtin": kit_gtin, "lot": "K1", "quantity": 2, "warehouse": "WH1"}
    quarantined = api.post("/kits/assemblies", headers=auth(), json={
        **kit, "components": [{"gtin": GTIN, "lot": "Q", "warehouse": "WH1", "quantity": 2}]})
    assert (quarantined.status_code, quarantined.json()["rule"]) == (409, "kit-from-available-stock")
    later = api.post("/kits/assemblies", headers=auth(), json={
        **kit, "expiry": days(400), "components": [{"gtin": GTIN, "lot": "A", "warehouse": "WH1", "quantity": 2}]})
    assert (later.status_code, later.json()["rule"]) == (409, "kit-expiry-not-after-components")
    unknown = api.post("/kits/assemblies", headers=auth(), json={
        **kit, "components": [{"gtin": "09506000134376", "lot": "A", "warehouse": "WH1", "quantity": 2}]})
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "components[0].gtin")
    assert stored(app) == before
    made = api.post("/kits/assemblies", headers=auth(), json={
        **kit, "components": [{"gtin": GTIN, "lot": "A", "warehouse": "WH1", "quantity": 2}]})
    assert made.status_code == 201, made.text
    assert (made.json()["expiry"], made.json()["status"]) == (days(300), "quarantine")
    assert app.item_by_gtin(GTIN).lots[("A", "WH1")].on_hand == 3
    assert app.item_by_gtin(kit_gtin).lots[("K1", "WH1")].on_hand == 2
    last_two = [app.envelope(n) for n in list(app.recorder.select_notifications(start=1, limit=10_000))[-2:]]
    assert sorted(e.type for e in last_two) == ["erp.inventory.ComponentsConsumed", "erp.inventory.KitAssembled"]
    kit_event = next(e for e in last_two if e.type == "erp.inventory.KitAssembled")
    assert [(c["gtin"], c["lot"], c["quantity"]) for c in kit_event.data["components"]] == [(GTIN, "A", 2)]


def test_no_generated_request_breaks_the_outbound_api(api):
    """schemathesis over the outbound routes only, as tests/integration/test_schemathesis.py does per service."""
    import schemathesis

    from tests.integration.test_schemathesis import OPS_PATHS, fuzz_operation

    token = issue_token("fuzzer", SETUP_ROLES)
    outbound_paths = {route.path for module in (fulfilments, returns, kits) for route in module.router.routes
                      if "outbound" in route.tags}
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    failures, fuzzed = [], []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in OPS_PATHS or operation.path not in outbound_paths:
            continue
        fuzzed.append(operation.label)
        try:
            fuzz_operation(operation, token)
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - collected, all reported below
            failures.append(f"{operation.label}: {failure}")
    assert not failures, "\n\n".join(failures)
    assert len(fuzzed) == 6, fuzzed
