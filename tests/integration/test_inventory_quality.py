"""Suppliers, receiving into quarantine, quality inspection and holds, and FEFO reservation that respects them —
on real PostgreSQL (and Kafka for the reservation, as in production: order placed -> inventory reserves)."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote
from uuid import uuid4

from fastapi.testclient import TestClient

from services.inventory.application import InventoryApplication
from services.inventory.projections.stock import StockOnHand
from services.inventory.reactions import FulfilmentPlanner
from services.inventory.settings import InventorySettings
from services.order.application import OrderApplication
from shared.domain.business_day import business_today
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.context import acting_as
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually
from tests.apitools import days
from tests.orders import accepted_order
from tests.inventory import reserve
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.apps import web_app


GTIN = "09506000134352"


def today() -> date:
    return business_today()  # inventory judges on China's day


def auth(name: str = "qa-chen", **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, SETUP_ROLES)}", **headers}


def stored_events(app) -> list:  # noqa: ANN001
    return list(app.recorder.select_notifications(start=1, limit=1000))



def qualified_supplier(api: TestClient, *, production_licence_to: str | None = None) -> str:
    supplier = api.post("/suppliers", headers=auth(), json={"name": "苏州医疗器械制造有限公司"}).json()
    api.post(f"/suppliers/{supplier['supplier_id']}/qualifications", headers=auth(), json={
        "document_type": "business_licence", "number": "BL-1", "valid_from": "2020-01-01", "valid_to": days(3650)})
    if production_licence_to:
        api.post(f"/suppliers/{supplier['supplier_id']}/qualifications", headers=auth(), json={
            "document_type": "production_licence", "number": "PL-1", "valid_from": "2020-01-01",
            "valid_to": production_licence_to})
    return supplier["supplier_id"]


def line(lot: str, expiry: str, quantity: int = 10, **extra) -> dict:
    return {"gtin": GTIN, "lot": lot, "expiry": expiry, "quantity": quantity, "warehouse": "WH-SZ", **extra}


def test_receiving_needs_a_qualified_supplier_and_refused_receipts_store_nothing(inventory_api):
    api = inventory_api
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    unqualified = qualified_supplier(api)  # a business licence only
    expired = qualified_supplier(api, production_licence_to=days(-1))
    app = api.app.state.service.application
    before = len(stored_events(app))

    for supplier_id in (unqualified, expired):
        refused = api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [line("L1", days(400))]})
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["rule"] == "supplier-qualified"
        assert "production_licence or distribution_licence" in refused.json()["detail"]

    unknown = api.post("/goods-receipts", headers=auth(), json={"supplier_id": str(uuid4()), "lines": [line("L1", days(400))]})
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "supplier_id")
    bad_serials = api.post("/goods-receipts", headers=auth(), json={
        "supplier_id": expired, "lines": [line("L1", days(400)), line("L2", days(400), 2, serials=["S1"])]})
    assert (bad_serials.status_code, bad_serials.json()["errors"][0]["field"]) == (422, "lines[1].serials")
    bad_dates = api.post(f"/suppliers/{expired}/qualifications", headers=auth(), json={
        "document_type": "production_licence", "number": "PL-2", "valid_from": "2026-01-01", "valid_to": "2025-01-01"})
    assert (bad_dates.status_code, bad_dates.json()["errors"][0]["field"]) == (422, "valid_to")
    assert len(stored_events(app)) == before

    renewed = api.post(f"/suppliers/{expired}/qualifications", headers=auth(), json={
        "document_type": "production_licence", "number": "PL-2", "valid_from": days(-30), "valid_to": days(1800)})
    assert renewed.status_code == 201 and renewed.json()["qualified_today"] is True
    # All lines or none: the second line's expired goods refuse the whole receipt.
    partly_expired = api.post("/goods-receipts", headers=auth(), json={
        "supplier_id": expired, "lines": [line("L1", days(400)), line("OLD", days(-1))]})
    assert (partly_expired.status_code, partly_expired.json()["rule"]) == (409, "expired-at-receipt")
    assert len(stored_events(app)) == before + 1

    receipt = api.post("/goods-receipts", headers=auth(), json={"supplier_id": expired, "lines": [
        line("L1", days(400), 3, serials=["S1", "S2", "S3"], production_date=days(-200), location="A-01-02"),
        line("SOON", days(30))]})
    assert receipt.status_code == 201, receipt.text
    assert [(w["lot"], w["rule"]) for w in receipt.json()["warnings"]] == [("SOON", "near-expiry")]
    item = app.item_by_gtin(GTIN)
    assert {s.lot: s.status for s in item.lot_stock()} == {"L1": "quarantine", "SOON": "quarantine"}

    # Quality: a rejection needs a reason; a hold and its release need one (body or X-Reason header).
    no_reason = api.post("/quality/inspections", headers=auth(),
                         json={"gtin": GTIN, "lot": "SOON", "warehouse": "WH-SZ", "result": "rejected"})
    assert (no_reason.status_code, no_reason.json()["errors"][0]["field"]) == (422, "reason")
    rejected = api.post("/quality/inspections", headers=auth(), json={
        "gtin": GTIN, "lot": "SOON", "warehouse": "WH-SZ", "result": "rejected", "reason": "外包装破损"})
    assert rejected.json()["lots"][0]["status"] == "rejected"
    again = api.post("/quality/inspections", headers=auth(),
                     json={"gtin": GTIN, "lot": "SOON", "warehouse": "WH-SZ", "result": "released"})
    assert (again.status_code, again.json()["rule"]) == (409, "inspect-quarantined-only")
    unknown_lot = api.post("/quality/holds", headers=auth(), json={"gtin": GTIN, "lot": "NOPE", "reason": "x"})
    assert unknown_lot.status_code == 404
    held = api.post("/quality/holds", headers=auth(**{"X-Reason": quote("客户投诉")}), json={"gtin": GTIN, "lot": "L1"})
    assert held.status_code == 200 and held.json()["lots"][0]["status"] == "on_hold"
    release_without_reason = api.post("/quality/holds/release", headers=auth(), json={"gtin": GTIN, "lot": "L1"})
    assert (release_without_reason.status_code, release_without_reason.json()["errors"][0]["field"]) == (422, "reason")
    released = api.post("/quality/holds/release", headers=auth(), json={"gtin": GTIN, "lot": "L1", "reason": "调查无问题"})
    assert released.json()["lots"][0]["status"] == "quarantine"  # the hold is lifted; inspection is still to come
    envelopes = [app.envelope(n) for n in stored_events(app)[-2:]]
    assert [(e.type, e.reason, e.data["reason"]) for e in envelopes] == [
        ("erp.inventory.LotHeld", "客户投诉", "客户投诉"), ("erp.inventory.LotHoldReleased", "调查无问题", "调查无问题")]


async def test_quarantined_stock_is_not_reserved_and_fefo_skips_short_dated_and_held_lots(settings, inventory_api, pool):
    api = inventory_api
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier_id = qualified_supplier(api, production_licence_to=days(1800))
    receipt = api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [
        line("SHORT", days(100)), line("HELD", days(300)), line("EARLY", days(400)), line("LATE", days(800))]})
    assert receipt.status_code == 201, receipt.text

    orders, inventory = OrderApplication(settings), InventoryApplication(settings)
    running = Running()
    stock_projection = StockOnHand(pool, inventory.schema)
    stock_projection.setup()
    for task in (Relay(orders).run, Relay(inventory).run,
                 ConsumerRunner(FulfilmentPlanner(inventory, pool), settings).run,
                 ConsumerRunner(stock_projection, settings).run):
        running.start(task)

    def place(quantity: int, **options) -> object:
        with acting_as("user:order-desk"):
            order = accepted_order(orders, [
                {"gtin": GTIN, "quantity": quantity, "unit_price": Decimal("1280.00"), **options.pop("line", {})}],
                **options)
        return order.id

    def statuses() -> dict:
        rows = api.get("/stock", headers=auth(), params={"gtin": GTIN}).json()["items"]
        return {r["lot"]: (r["status"], r["allocated"], r["available"]) for r in rows}

    try:
        # Everything is in quarantine: nothing can be reserved.
        early_order = place(5)
        rejected = await eventually(lambda: (f := inventory.get_fulfilment(early_order)) and f.status != "requested" and f,
                                    what="the first order's fulfilment")
        assert rejected.status == "rejected"
        await eventually(lambda: statuses() == {lot: ("quarantine", 0, 0) for lot in ("SHORT", "HELD", "EARLY", "LATE")},
                         what="the stock list to show four quarantined lots")

        for lot in ("SHORT", "HELD", "EARLY", "LATE"):
            released = api.post("/quality/inspections", headers=auth(),
                                json={"gtin": GTIN, "lot": lot, "warehouse": "WH-SZ", "result": "released"})
            assert released.status_code == 200, released.text
        assert api.post("/quality/holds", headers=auth(), json={"gtin": GTIN, "lot": "HELD", "reason": "投诉调查"}).status_code == 200

        # Delivered in 30 days with at least 180 days left: SHORT (70 left) and HELD are skipped; FEFO takes EARLY, then LATE.
        order_id = place(15, line={"min_remaining_shelf_life_days": 180}, requested_delivery_date=today() + timedelta(days=30))
        fulfilment = await eventually(lambda: (f := inventory.get_fulfilment(order_id)) and f.status != "requested" and f,
                                      what="the reservation")
        assert fulfilment.status == "reserved"
        assert [(r["lot"], r["quantity"]) for r in fulfilment.reserved] == [("EARLY", 10), ("LATE", 5)]
        expected = {"SHORT": ("available", 0, 10), "HELD": ("on_hold", 0, 0), "EARLY": ("available", 10, 0),
                    "LATE": ("available", 5, 5)}
        await eventually(lambda: statuses() == expected, what=f"the stock list to be {expected}")
        on_hold = api.get("/stock", headers=auth(), params={"gtin": GTIN, "status": "on_hold"}).json()
        assert [r["lot"] for r in on_hold["items"]] == ["HELD"]
    finally:
        await running.stop()
        orders.close()
        inventory.close()


def test_an_order_line_may_ask_for_a_minimum_shelf_life_and_bad_values_are_422(settings):
    app = web_app("order")

    with TestClient(app) as order_api:
        bad = order_api.post("/orders", headers=auth("desk"), json={
            "hospital_id": str(uuid4()), "requested_delivery_date": "2026-13-01",
            "lines": [{"gtin": GTIN, "quantity": 1, "unit_price": "10.00", "min_remaining_shelf_life_days": -1}]})
        assert bad.status_code == 422
        assert {e["field"] for e in bad.json()["errors"]} == {"requested_delivery_date", "lines[0].min_remaining_shelf_life_days"}
        orders = order_api.app.state.service.application
        with acting_as("user:desk"):
            order = accepted_order(orders, [
                {"gtin": GTIN, "quantity": 1, "unit_price": "10.00", "min_remaining_shelf_life_days": 180}],
                requested_delivery_date=date(2027, 1, 15))
        (placed,) = [orders.envelope(n) for n in stored_events(orders)]
        assert placed.data["requested_delivery_date"] == "2027-01-15"
        assert placed.data["lines"][0]["min_remaining_shelf_life_days"] == 180
        shown = order_api.get(f"/orders/{order.id}", headers=auth("desk")).json()
        assert (shown["requested_delivery_date"], shown["lines"][0]["min_remaining_shelf_life_days"]) == ("2027-01-15", 180)


def test_stock_reserved_before_a_hold_is_not_shipped_while_held(inventory_api):
    api = inventory_api
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier_id = qualified_supplier(api, production_licence_to=days(1800))
    api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [line("L1", days(400))]})
    api.post("/quality/inspections", headers=auth(), json={"gtin": GTIN, "lot": "L1", "warehouse": "WH-SZ",
                                                          "result": "released"}).raise_for_status()
    app, order_id = api.app.state.service.application, uuid4()
    app.inventory_settings = InventorySettings(picking_required=False)  # holds are the point here, not picking by scan
    with acting_as("user:planner"):
        reserve(app, order_id, [{"line_no": 1, "gtin": GTIN, "quantity": 4}], today())
    api.post("/quality/holds", headers=auth(), json={"gtin": GTIN, "lot": "L1", "reason": "投诉"}).raise_for_status()
    before = len(stored_events(app))
    refused = api.post(f"/fulfilments/{order_id}/dispatch", headers=auth(), json={"carrier": "SF", "tracking_number": "SF1"})
    assert (refused.status_code, refused.json()["rule"]) == (409, "held-stock-not-shipped")
    assert len(stored_events(app)) == before
    api.post("/quality/holds/release", headers=auth(), json={"gtin": GTIN, "lot": "L1", "reason": "无问题"}).raise_for_status()
    shipped = api.post(f"/fulfilments/{order_id}/dispatch", headers=auth(), json={"carrier": "SF", "tracking_number": "SF1"})
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
