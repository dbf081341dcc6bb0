"""Item master data, stock moves and counts, near-expiry reports and the WMS inbound API — through the HTTP API on
real PostgreSQL, with the stock projection fed from Kafka as in production."""

from contextlib import AbstractAsyncContextManager
from datetime import date
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from services.inventory.application import InventoryApplication
from services.inventory.domain.external import ExternalMessage, external_message_id
from services.inventory.projections.stock import StockOnHand
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.relay import Relay
from shared.platform.settings import Settings
from tests.integration.helpers import Running, eventually, read_topic, relayed, running
from tests.suppliers import qualified_supplier_via_api
from tests.apitools import days, stored
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.apps import web_app

GTIN, BOX, CASE = "09506000134352", "19506000134359", "29506000134356"


def auth(name: str = "wh-li", role: str | None = None, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, [role] if role else SETUP_ROLES)}", **headers}


@pytest.fixture
def api(settings):
    with TestClient(web_app("inventory")) as client:
        yield client


def receive(api: TestClient, lots: dict[str, str], quantity: int = 10, warehouse: str = "WH-SH") -> None:
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier_id = qualified_supplier_via_api(api, auth())
    receipt = api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": lot, "expiry": expiry, "quantity": quantity, "warehouse": warehouse}
        for lot, expiry in lots.items()]})
    assert receipt.status_code == 201, receipt.text
    for lot in lots:
        released = api.post("/quality/inspections", headers=auth(), json={
            "gtin": GTIN, "lot": lot, "warehouse": warehouse, "result": "released"})
        assert released.status_code == 200, released.text


def stock_list_fed(settings: Settings, pool: ConnectionPool,
                   app: InventoryApplication) -> AbstractAsyncContextManager[Running]:
    """The inventory's relay and the stock projection it feeds running while inside: the stock lists follow."""
    projection = StockOnHand(pool, app.schema)
    projection.setup()
    return running(Relay(app).run, ConsumerRunner(projection, settings).run)


def test_item_master_data_is_recorded_as_events_and_refused_changes_store_nothing(api):
    app = api.app.state.service.application
    item = registered_item_via_api(api, auth(), GTIN)
    assert api.get(f"/items/{GTIN}/master-data", headers=auth()).json()["udi_dis"] == [
        {"level": "each", "gtin": GTIN, "quantity": 1}]

    box = api.post(f"/items/{GTIN}/packaging-levels", headers=auth(), json={"level": "box", "gtin": BOX, "quantity": 10})
    assert box.status_code == 200, box.text
    case = api.post(f"/items/{GTIN}/packaging-levels", headers=auth(), json={"level": "case", "gtin": CASE, "quantity": 100})
    assert [(u["level"], u["gtin"], u["quantity"]) for u in case.json()["udi_dis"]] == [
        ("each", GTIN, 1), ("box", BOX, 10), ("case", CASE, 100)]
    certificate = {"number": "国械注准20193130001", "holder": "苏州医疗器械制造有限公司", "valid_from": "2019-06-01",
                   "valid_to": "2029-05-31", "scope": "冠状动脉狭窄的介入治疗"}
    assert api.put(f"/items/{GTIN}/registration-certificate", headers=auth(), json=certificate).status_code == 200
    assert api.put(f"/items/{GTIN}/storage-conditions", headers=auth(),
                   json={"min_temperature_c": 2, "max_temperature_c": 25, "description": "干燥、避光"}).status_code == 200
    tracking = api.put(f"/items/{GTIN}/tracking", headers=auth(),
                       json={"lot_tracked": True, "serial_tracked": True, "implant": True})
    assert tracking.json()["tracking"] == {"lot_tracked": True, "serial_tracked": True, "implant": True}
    assert tracking.json()["registration_certificate"]["number"] == "国械注准20193130001"
    # The same again records nothing.
    before = stored(app)
    assert api.put(f"/items/{GTIN}/registration-certificate", headers=auth(), json=certificate).status_code == 200
    assert stored(app) == before

    # Bad input: 422 naming the field. Rule violations: 409. Neither stores anything.
    bad = [
        (f"/items/{GTIN}/packaging-levels", "post", {"level": "pallet", "gtin": BOX, "quantity": 10}, "level"),
        (f"/items/{GTIN}/packaging-levels", "post", {"level": "box", "gtin": "19506000134350", "quantity": 10}, "gtin"),
        (f"/items/{GTIN}/registration-certificate", "put", {**certificate, "valid_to": "2018-01-01"}, "valid_to"),
        (f"/items/{GTIN}/storage-conditions", "put", {"min_temperature_c": 30, "max_temperature_c": 2}, "max_temperature_c"),
        (f"/items/{GTIN}/tracking", "put", {"lot_tracked": False, "serial_tracked": False, "implant": True}, "body"),
    ]
    for path, method, body, field in bad:
        response = getattr(api, method)(path, headers=auth(), json=body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][0]["field"] == field
    redefined = api.post(f"/items/{GTIN}/packaging-levels", headers=auth(), json={"level": "box", "gtin": BOX, "quantity": 12})
    assert (redefined.status_code, redefined.json()["rule"]) == (409, "packaging-level-defined")
    assert api.put("/items/09506000134369/tracking", headers=auth(),
                   json={"lot_tracked": True, "serial_tracked": False, "implant": False}).status_code == 404
    assert stored(app) == before

    # The auditor sees every change, who made it and when.
    history = api.get(f"/audit/aggregates/{item['item_id']}/history", headers=auth("audit-wu", "auditor")).json()
    assert [e["type"].removeprefix("erp.inventory.") for e in history["events"]] == [
        "ItemRegistered", "RegistrationCertificateSet", "PackagingLevelAdded", "PackagingLevelAdded",
        "RegistrationCertificateSet", "StorageConditionsSet", "TrackingSet"]
    assert {e["actor"] for e in history["events"]} == {"user:wh-li"}


async def test_moves_counts_and_adjustments_are_checked_and_the_stock_list_follows_them(settings, api, pool):
    receive(api, {"L1": days(400)})
    app = api.app.state.service.application
    before = stored(app)
    too_many = api.post("/stock/moves", headers=auth(), json={
        "gtin": GTIN, "lot": "L1", "from_warehouse": "WH-SH", "to_warehouse": "WH-BJ", "quantity": 11})
    assert (too_many.status_code, too_many.json()["rule"]) == (409, "move-within-available")
    nowhere = api.post("/stock/moves", headers=auth(), json={
        "gtin": GTIN, "lot": "L1", "from_warehouse": "WH-GZ", "to_warehouse": "WH-BJ", "quantity": 1})
    assert (nowhere.status_code, nowhere.json()["rule"]) == (409, "stock-exists")
    bad = api.post("/stock/moves", headers=auth(), json={
        "gtin": GTIN, "lot": "L1", "from_warehouse": "WH-SH", "to_warehouse": "WH BJ", "quantity": 0})
    assert {e["field"] for e in bad.json()["errors"]} == {"to_warehouse", "quantity"}
    no_reason = api.post("/stock/counts", headers=auth(), json={"gtin": GTIN, "lot": "L1", "warehouse": "WH-SH", "counted": 5})
    assert (no_reason.status_code, no_reason.json()["errors"][0]["field"]) == (422, "reason")
    assert stored(app) == before

    moved = api.post("/stock/moves", headers=auth(), json={
        "gtin": GTIN, "lot": "L1", "from_warehouse": "WH-SH", "to_warehouse": "WH-BJ", "quantity": 4,
        "to_location": "BJ-A-01"})
    assert moved.status_code == 200, moved.text
    assert {(r["warehouse"], r["on_hand"]) for r in moved.json()["lots"]} == {("WH-SH", 6), ("WH-BJ", 4)}
    counted = api.post("/stock/counts", headers=auth(**{"X-Reason": quote("盘点：破损1件")}), json={
        "gtin": GTIN, "lot": "L1", "warehouse": "WH-SH", "counted": 5, "count_id": "CC-1"})
    assert (counted.status_code, counted.json()["quantity_change"]) == (200, -1)
    adjusted = api.post("/stock/adjustments", headers=auth(), json={
        "gtin": GTIN, "lot": "L1", "warehouse": "WH-BJ", "quantity_change": -1, "reason": "运输破损报损"})
    assert adjusted.json()["lots"][0]["on_hand"] == 3
    envelopes = [app.envelope(n) for n in list(app.recorder.select_notifications(start=1, limit=10_000))[-4:]]
    assert [(e.type.removeprefix("erp.inventory."), e.reason) for e in envelopes] == [
        ("StockMoved", None), ("StockCounted", "盘点：破损1件"), ("StockAdjusted", "盘点：破损1件"),
        ("StockAdjusted", "运输破损报损")]

    async with stock_list_fed(settings, pool, app):
        def stock() -> dict:
            rows = api.get("/stock", headers=auth(), params={"gtin": GTIN}).json()["items"]
            return {r["warehouse"]: (r["on_hand"], r["status"], r["location"]) for r in rows}

        expected = {"WH-SH": (5, "available", None), "WH-BJ": (3, "available", "BJ-A-01")}
        await eventually(lambda: stock() == expected, what=f"the stock list to be {expected}")


async def test_near_expiry_stock_is_listed_and_each_threshold_is_reported_once(settings, api, pool):
    receive(api, {"L100": days(100), "L60": days(60), "L20": days(20), "L400": days(400)})
    app = api.app.state.service.application
    async with stock_list_fed(settings, pool, app):
        def near(within: int | None = None) -> list:
            params = {"gtin": GTIN, **({"within_days": within} if within is not None else {})}
            return api.get("/stock/near-expiry", headers=auth(), params=params).json()["items"]

        await eventually(lambda: len(near(3650)) == 4, what="the received lots in the stock list")
        assert [(r["lot"], r["days_left"]) for r in near(90)] == [("L20", 20), ("L60", 60)]
        assert [r["lot"] for r in near()] == ["L20", "L60", "L100"]  # default: the widest threshold, 180 days
        assert api.get("/stock/near-expiry", headers=auth(), params={"within_days": -1}).json()["errors"][0]["field"] == "within_days"

        scan = api.post("/stock/near-expiry/scan", headers=auth("ops-cron"))
        assert scan.status_code == 200, scan.text
        assert scan.json()["thresholds"] == [180, 90, 30]
        assert sorted((r["lot"], r["threshold_days"]) for r in scan.json()["reported"]) == [
            ("L100", 180), ("L20", 30), ("L60", 90)]
        before = stored(app)
        assert api.post("/stock/near-expiry/scan", headers=auth("ops-cron")).json()["reported"] == []
        assert stored(app) == before  # once per threshold: a second scan records nothing

        await eventually(lambda: {r["lot"]: r["near_expiry_threshold"] for r in near(3650)} == {
            "L20": 30, "L60": 90, "L100": 180, "L400": None}, what="the reported thresholds in the list")
        published = await read_topic(settings, settings.topic_for("inventory"), expected=before)
        reports = [e for e in published if e.type == "erp.inventory.StockNearingExpiry"]
        assert sorted((e.data["lot"], e.data["threshold_days"], e.actor) for e in reports) == [
            ("L100", 180, "user:ops-cron"), ("L20", 30, "user:ops-cron"), ("L60", 90, "user:ops-cron")]


async def test_a_wms_receipt_and_move_are_applied_once_per_external_reference_and_published(settings, api):
    app = api.app.state.service.application
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier_id = qualified_supplier_via_api(api, auth())
    wms = auth("wms-sync")
    receipt = {"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": "W1", "expiry": days(60), "quantity": 20, "warehouse": "WH-SH", "location": "A-01"}]}

    first = api.post("/wms/receipts", headers={**wms, "External-Reference": "ASN-0001"}, json=receipt)
    assert first.status_code == 201, first.text
    assert first.json()["warnings"][0]["rule"] == "near-expiry"
    after_first = stored(app)
    again = api.post("/wms/receipts", headers=wms, json={**receipt, "external_reference": "ASN-0001"})
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert stored(app) == after_first  # a repeat stores nothing

    other = api.post("/wms/receipts", headers={**wms, "External-Reference": "ASN-0001"},
                     json={**receipt, "lines": [{**receipt["lines"][0], "quantity": 21}]})
    assert (other.status_code, other.json()["rule"]) == (409, "external-reference-unique")
    missing = api.post("/wms/receipts", headers=wms, json=receipt)
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "external_reference")
    differing = api.post("/wms/receipts", headers={**wms, "External-Reference": "ASN-0002"},
                         json={**receipt, "external_reference": "ASN-0003"})
    assert (differing.status_code, differing.json()["errors"][0]["field"]) == (422, "external_reference")
    unknown_item = api.post("/wms/receipts", headers={**wms, "External-Reference": "ASN-0004"},
                            json={**receipt, "lines": [{**receipt["lines"][0], "gtin": "09506000134369"}]})
    assert (unknown_item.status_code, unknown_item.json()["errors"][0]["field"]) == (422, "lines[0].gtin")
    expired = api.post("/wms/receipts", headers={**wms, "External-Reference": "ASN-0005"},
                       json={**receipt, "lines": [{**receipt["lines"][0], "expiry": days(-1)}]})
    assert (expired.status_code, expired.json()["rule"]) == (409, "expired-at-receipt")
    assert stored(app) == after_first
    # Refused messages were not recorded: their references are still free.
    assert app.get_aggregate(external_message_id("ASN-0004"), ExternalMessage) is None

    api.post("/quality/inspections", headers=auth(), json={
        "gtin": GTIN, "lot": "W1", "warehouse": "WH-SH", "result": "released"}).raise_for_status()
    move = {"gtin": GTIN, "lot": "W1", "from_warehouse": "WH-SH", "to_warehouse": "WH-BJ", "quantity": 5}
    moved = api.post("/wms/stock-moves", headers=wms, json={**move, "external_reference": "MV-0001"})
    assert moved.status_code == 201, moved.text
    count = stored(app)
    repeated = api.post("/wms/stock-moves", headers={**wms, "External-Reference": "MV-0001"}, json=move)
    assert (repeated.status_code, repeated.json()["item_version"]) == (200, moved.json()["item_version"])
    too_many = api.post("/wms/stock-moves", headers=wms, json={**move, "quantity": 16, "external_reference": "MV-0002"})
    assert (too_many.status_code, too_many.json()["rule"]) == (409, "move-within-available")
    reused = api.post("/wms/stock-moves", headers=wms, json={**move, "external_reference": "ASN-0001"})
    assert (reused.status_code, reused.json()["rule"]) == (409, "external-reference-unique")
    assert stored(app) == count
    lots = {s.warehouse: s.on_hand for s in app.item_by_gtin(GTIN).lots_numbered("W1")}
    assert lots == {"WH-SH": 15, "WH-BJ": 5}

    # Outbound: every stock event, and the message that caused it, is on the topic inventory.events.
    published = await relayed(app, expected=count)
    kinds = [(e.type.removeprefix("erp.inventory."), e.actor) for e in published if e.actor == "user:wms-sync"]
    assert kinds == [("LotReceived", "user:wms-sync"), ("ExternalMessageAccepted", "user:wms-sync"),
                     ("StockMoved", "user:wms-sync"), ("ExternalMessageAccepted", "user:wms-sync")]
    moved_event = next(e for e in published if e.type == "erp.inventory.StockMoved")
    assert (moved_event.data["move_id"], moved_event.data["to_warehouse"]) == ("MV-0001", "WH-BJ")
    receipt_event = next(e for e in published if e.type == "erp.inventory.LotReceived")
    assert str(receipt_event.data["receipt_id"]) == first.json()["receipt_id"]
    assert date.fromisoformat(receipt_event.data["expiry"]) == date.fromisoformat(days(60))
