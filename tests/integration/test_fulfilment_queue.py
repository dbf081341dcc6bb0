"""The warehouse's worklist on real PostgreSQL: every fulfilment with what is reserved, picked and left to pick,
equal to the aggregates' own figures, the earliest delivery first, and only within the caller's data scope."""

from itertools import count
from uuid import uuid4

from fastapi.testclient import TestClient
import pytest

from services.inventory.projections.fulfilment_queue import FulfilmentQueue
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery
from shared.platform.context import acting_as
from tests.apitools import days
from tests.apps import web_app
from tests.inventory import reserve
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.suppliers import qualified_supplier_via_api
from tests.integration.test_wms_outbound import element_string
from shared.domain.business_day import business_today

GTIN = "09506000134352"
topics = count()


def auth(name: str = "wh-li", roles: list[str] | None = None, scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, roles or SETUP_ROLES, scopes=scopes or [])}"}


@pytest.fixture
def api(settings, monkeypatch):
    monkeypatch.delenv("INVENTORY_PICKING_REQUIRED", raising=False)  # picking by scan is required
    with TestClient(web_app("inventory")) as client:
        yield client


def feed(projection: FulfilmentQueue, app) -> None:  # noqa: ANN001 - an InventoryApplication
    topic = f"queue-{next(topics)}-{uuid4().hex[:6]}"
    projection.handle_batch([Delivery(topic, 0, n.id, app.envelope(n))
                             for n in app.recorder.select_notifications(start=1, limit=10_000)])


def test_the_pick_list_shows_what_is_left_to_pick_as_the_aggregates_count_it(settings, api, pool):
    app = api.app.state.service.application
    registered_item_via_api(api, auth(), GTIN, "Stent", 3)
    supplier_id = qualified_supplier_via_api(api, auth())
    expiry = days(500)
    api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": "Q1", "expiry": expiry, "quantity": 20, "warehouse": "WH-SH"}]}).raise_for_status()
    api.post("/quality/inspections", headers=auth(), json={
        "gtin": GTIN, "lot": "Q1", "warehouse": "WH-SH", "result": "released"}).raise_for_status()
    first, second, third = uuid4(), uuid4(), uuid4()
    hospital, other = uuid4(), uuid4()
    with acting_as("user:planner"):
        reserve(app, first, [{"line_no": 1, "gtin": GTIN, "quantity": 5}], business_today(), hospital_id=hospital)
        reserve(app, second, [{"line_no": 1, "gtin": GTIN, "quantity": 2}], business_today(), hospital_id=other)
        reserve(app, third, [{"line_no": 1, "gtin": GTIN, "quantity": 1}], business_today(), hospital_id=other)
    picker = auth()
    api.post(f"/fulfilments/{first}/picks", headers=picker, json={"scans": [
        element_string("Q1", expiry, quantity=3)]}).raise_for_status()
    api.post(f"/fulfilments/{second}/picks", headers=picker, json={"scans": [
        element_string("Q1", expiry, quantity=2)]}).raise_for_status()
    api.post(f"/fulfilments/{second}/dispatch", headers=picker, json={
        "carrier": "SF Express", "tracking_number": "SF-Q-2"}).raise_for_status()

    projection = FulfilmentQueue(pool, app.schema)
    projection.setup()
    feed(projection, app)

    waiting = api.get("/fulfilments", headers=picker, params={"waiting": "true"}).json()
    rows = {row["order_id"]: row for row in waiting["items"]}
    assert set(rows) == {str(first), str(third)} and waiting["total"] == 2
    for order_id in (first, third):
        fulfilment, row = app.get_fulfilment(order_id), rows[str(order_id)]
        assert (row["reserved"], row["to_pick"], row["state"]) == (
            sum(r["quantity"] for r in fulfilment.reserved), fulfilment.units_to_pick, "reserved")
    assert (rows[str(first)]["picked"], rows[str(first)]["to_pick"]) == (3, 2)
    shipped = api.get("/fulfilments", headers=picker, params={"state": "shipped"}).json()["items"]
    assert [(r["order_id"], r["reserved"], r["picked"]) for r in shipped] == [(str(second), 0, 0)]

    # A hospital's portal user sees its own order's progress only; another's are not listed.
    own = auth("h-user", ["hospital_user"], [f"hospital:{hospital}"])
    assert [r["order_id"] for r in api.get("/fulfilments", headers=own).json()["items"]] == [str(first)]
    assert api.get("/fulfilments", headers=auth("x", ["hospital_user"], [f"hospital:{uuid4()}"])).json()[
        "total"] == 0
