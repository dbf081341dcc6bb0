"""The WMS outbound API on real PostgreSQL and Kafka: picks (POST /wms/picks) and shipments (POST /wms/shipments)
under the rules of the ordinary endpoints, applied once per external reference, and published with the message
that caused them."""

from datetime import date
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.inventory.domain.external import ExternalMessage, external_message_id
from shared.platform.auth import issue_token
from shared.platform.context import acting_as
from tests.integration.helpers import relayed
from tests.suppliers import qualified_supplier_via_api
from tests.apitools import days, stored
from tests.inventory import reserve
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.apps import web_app
from shared.domain.business_day import business_today

GTIN = "09506000134352"
GS = "\x1d"


def auth(name: str = "wh-li", role: str | None = None, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, [role] if role else SETUP_ROLES)}", **headers}


def element_string(lot: str, expiry: str, serial: str | None = None, quantity: int | None = None) -> str:
    """What a GS1 DataMatrix scanner sends: ]d2, then (01) GTIN (17) expiry (10) lot, GS-terminated."""
    code = "]d2" + "01" + GTIN + "17" + date.fromisoformat(expiry).strftime("%y%m%d") + "10" + lot
    if serial:
        code += GS + "21" + serial
    if quantity:
        code += GS + "30" + str(quantity)
    return code


def message(app, reference: str) -> ExternalMessage | None:  # noqa: ANN001 - an InventoryApplication
    return app.get_aggregate(external_message_id(reference), ExternalMessage)


@pytest.fixture
def api(settings, monkeypatch):
    monkeypatch.delenv("INVENTORY_PICKING_REQUIRED", raising=False)  # the default: picking by scan is required
    app = web_app("inventory")

    with TestClient(app) as client:
        yield client


async def test_wms_picks_and_shipments_are_checked_applied_once_per_reference_and_published(settings, api):
    app = api.app.state.service.application
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier_id = qualified_supplier_via_api(api, auth())
    early, late = days(300), days(700)
    receipt = api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": "EARLY", "expiry": early, "quantity": 3, "serials": ["E1", "E2", "E3"],
         "warehouse": "WH-SH"},
        {"gtin": GTIN, "lot": "LATE", "expiry": late, "quantity": 10, "warehouse": "WH-SH"}]})
    assert receipt.status_code == 201, receipt.text
    for lot in ("EARLY", "LATE"):
        api.post("/quality/inspections", headers=auth(), json={
            "gtin": GTIN, "lot": lot, "warehouse": "WH-SH", "result": "released"}).raise_for_status()
    order_id = uuid4()
    with acting_as("user:planner"):
        reserve(app, order_id, [{"line_no": 1, "gtin": GTIN, "quantity": 5}], business_today())
    fulfilment = app.get_fulfilment(order_id)
    assert fulfilment.picking_required  # INVENTORY_PICKING_REQUIRED defaults to true
    assert [(r["lot"], r["quantity"]) for r in fulfilment.reserved] == [("EARLY", 3), ("LATE", 2)]  # FEFO
    wms = auth("wms-sync")
    before = stored(app)

    # Refused messages store nothing and leave their references free.
    ship = {"order_id": str(order_id), "carrier": "SF Express", "tracking_number": "SF2000000001"}
    not_picked = api.post("/wms/shipments", headers={**wms, "External-Reference": "SHP-1"}, json=ship)
    assert (not_picked.status_code, not_picked.json()["rule"]) == (409, "dispatch-picked-only")
    wrong_lot = api.post("/wms/picks", headers=wms, json={
        "order_id": str(order_id), "external_reference": "PK-1",
        "scans": [element_string("EARLY", early, "E1"), element_string("OTHER", late)]})
    assert wrong_lot.status_code == 409, wrong_lot.text
    body = wrong_lot.json()
    assert (body["rule"], body["scan"], body["expected"]["lot"], body["scanned"]["lot"]) == (
        "pick-matches-reservation", 1, ["EARLY", "LATE"], "OTHER")
    unreadable = api.post("/wms/picks", headers={**wms, "External-Reference": "PK-1"},
                          json={"order_id": str(order_id), "scans": ["(01)09506000134353(10)EARLY"]})
    assert (unreadable.status_code, unreadable.json()["errors"][0]["field"]) == (422, "scans[0]")
    unknown = api.post("/wms/picks", headers={**wms, "External-Reference": "PK-1"},
                       json={"order_id": str(uuid4()), "scans": [element_string("EARLY", early, "E1")]})
    assert unknown.status_code == 404
    no_reference = api.post("/wms/picks", headers=wms, json={"order_id": str(order_id), "scans": ["(01)" + GTIN]})
    assert (no_reference.status_code, no_reference.json()["errors"][0]["field"]) == (422, "external_reference")
    no_order = api.post("/wms/shipments", headers={**wms, "External-Reference": "SHP-X"},
                        json={**ship, "order_id": str(uuid4())})
    assert no_order.status_code == 404
    assert stored(app) == before
    assert message(app, "PK-1") is None and message(app, "SHP-1") is None

    # Picks: applied once; a repeat gets the first answer and stores nothing; another payload is refused.
    picks = {"order_id": str(order_id), "scans": [element_string("EARLY", early, "E1"),
                                                  element_string("EARLY", early, "E2")]}
    first = api.post("/wms/picks", headers={**wms, "External-Reference": "PK-1"}, json=picks)
    assert first.status_code == 201, first.text
    assert first.json() == {"external_reference": "PK-1", "order_id": str(order_id), "units_to_pick": 3,
                            "picks_complete": False, "replayed": False, "picked": [
                                {"line_no": 1, "gtin": GTIN, "lot": "EARLY", "warehouse": "WH-SH", "quantity": 2,
                                 "serials": ["E1", "E2"]}]}
    after_first = stored(app)
    again = api.post("/wms/picks", headers=wms, json={**picks, "external_reference": "PK-1"})
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    other = api.post("/wms/picks", headers={**wms, "External-Reference": "PK-1"},
                     json={**picks, "scans": [element_string("EARLY", early, "E3")]})
    assert (other.status_code, other.json()["rule"]) == (409, "external-reference-unique")
    twice = api.post("/wms/picks", headers={**wms, "External-Reference": "PK-2"},
                     json={**picks, "scans": [element_string("EARLY", early, "E2")]})
    assert (twice.status_code, twice.json()["rule"]) == (409, "pick-once")
    assert stored(app) == after_first
    rest = api.post("/wms/picks", headers={**wms, "External-Reference": "PK-2"}, json={**picks, "scans": [
        element_string("EARLY", early, "E3"), element_string("LATE", late, quantity=2)]})
    assert rest.status_code == 201, rest.text
    assert (rest.json()["units_to_pick"], rest.json()["picks_complete"]) == (0, True)

    # The shipment refused before picking goes through under the same reference once every unit is picked.
    shipped = api.post("/wms/shipments", headers={**wms, "External-Reference": "SHP-1"}, json=ship)
    assert shipped.status_code == 201, shipped.text
    (shipment,) = shipped.json()["shipments"]
    assert (shipped.json()["status"], shipment["warehouse"], shipment["carrier"], shipment["tracking_number"]) == (
        "shipped", "WH-SH", "SF Express", "SF2000000001")
    assert [(line["lot"], line["quantity"], line.get("serials")) for line in shipment["lines"]] == [
        ("EARLY", 3, ["E1", "E2", "E3"]), ("LATE", 2, None)]
    count = stored(app)
    repeated = api.post("/wms/shipments", headers=wms, json={**ship, "external_reference": "SHP-1"})
    assert (repeated.status_code, repeated.json()) == (200, {**shipped.json(), "replayed": True})
    changed = api.post("/wms/shipments", headers={**wms, "External-Reference": "SHP-1"},
                       json={**ship, "tracking_number": "SF2000000002"})
    assert (changed.status_code, changed.json()["rule"]) == (409, "external-reference-unique")
    as_picks = api.post("/wms/shipments", headers={**wms, "External-Reference": "PK-1"}, json=ship)
    assert (as_picks.status_code, as_picks.json()["rule"]) == (409, "external-reference-unique")
    shipped_again = api.post("/wms/shipments", headers={**wms, "External-Reference": "SHP-2"}, json=ship)
    assert (shipped_again.status_code, shipped_again.json()["rule"]) == (409, "dispatch-reserved-only")
    assert stored(app) == count
    assert message(app, "SHP-2") is None
    assert [str(s["shipment_id"]) for s in app.get_fulfilment(order_id).shipments] == [shipment["shipment_id"]]
    on_hand = {s.lot: (s.on_hand, s.allocated) for s in app.item_by_gtin(GTIN).lot_stock()}
    assert on_hand == {"EARLY": (0, 0), "LATE": (8, 0)}

    # Published on inventory.events, each message in the same transaction as the events it caused.
    published = await relayed(app, expected=count)
    by_wms = [e for e in published if e.actor == "user:wms-sync"]
    kinds = [e.type.removeprefix("erp.inventory.") for e in by_wms]
    assert kinds == ["PicksConfirmed", "ExternalMessageAccepted", "PicksConfirmed", "ExternalMessageAccepted",
                     "ShipmentDispatched", "AllocatedStockShipped", "ExternalMessageAccepted"]
    messages = [(e.data["external_reference"], e.data["kind"]) for e in by_wms if e.type.endswith("MessageAccepted")]
    assert messages == [("PK-1", "pick"), ("PK-2", "pick"), ("SHP-1", "shipment")]
    dispatched = next(e for e in by_wms if e.type == "erp.inventory.ShipmentDispatched")
    assert str(dispatched.data["shipment_id"]) == shipment["shipment_id"]
