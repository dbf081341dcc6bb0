"""The auditor's API on real PostgreSQL: full history with who/when/why, and state as of a past time."""

import time
from datetime import UTC, datetime
from urllib.parse import quote

from shared.platform.auth import issue_token
from services.demo import in_days
from tests.suppliers import qualified_supplier_via_api
from tests.items import registered_item_via_api


GTIN = "09506000134352"


def as_(name: str, *roles: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, list(roles))}", **headers}



def test_an_auditor_reads_who_did_what_when_and_why_and_the_state_as_of_a_past_time(inventory_api):
    item = registered_item_via_api(inventory_api, as_("wang", "master_data"), GTIN)
    supplier_id = qualified_supplier_via_api(inventory_api, as_("wang", "master_data"))
    time.sleep(0.05)
    before_receipt = datetime.now(UTC)
    time.sleep(0.05)
    receipt = inventory_api.post("/goods-receipts", headers=as_("li", "warehouse", **{"X-Reason": quote("补货：季度备货")}),
                                 json={"supplier_id": supplier_id, "lines": [
                                     {"gtin": GTIN, "lot": "L1", "expiry": in_days(1000), "quantity": 7, "warehouse": "WH1"}]})
    assert receipt.status_code == 201

    history = inventory_api.get(f"/audit/aggregates/{item['item_id']}/history", headers=as_("zhao", "auditor"))
    assert history.status_code == 200
    events = history.json()["events"]
    assert [(e["type"], e["actor"], e["reason"]) for e in events] == [
        ("erp.inventory.ItemRegistered", "user:wang", None),
        ("erp.inventory.RegistrationCertificateSet", "user:wang", None),
        ("erp.inventory.LotReceived", "user:li", "补货：季度备货"),
    ]
    assert events[2]["data"]["quantity"] == 7 and events[0]["time"] < events[2]["time"]

    then = inventory_api.get(f"/audit/aggregates/{item['item_id']}/state", headers=as_("zhao", "auditor"),
                             params={"as_of": before_receipt.isoformat()}).json()
    now = inventory_api.get(f"/audit/aggregates/{item['item_id']}/state", headers=as_("zhao", "auditor")).json()
    assert (then["version"], then["state"]["lots"]) == (2, {})
    assert now["version"] == 3 and now["state"]["lots"]["L1|WH1"]["on_hand"] == 7


def test_only_auditors_may_read_the_audit_api(inventory_api):
    item = registered_item_via_api(inventory_api, as_("wang", "master_data"), GTIN)
    forbidden = inventory_api.get(f"/audit/aggregates/{item['item_id']}/history", headers=as_("wang", "warehouse"))
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    missing = inventory_api.get("/audit/aggregates/5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11/history", headers=as_("z", "auditor"))
    assert missing.status_code == 404
