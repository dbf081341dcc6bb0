"""The HTTP APIs in-process on real PostgreSQL: problem+json errors, no event for a rejected command,
the authenticated actor on every event, idempotent retries."""

import pytest
from fastapi.testclient import TestClient

from shared.platform.auth import issue_token
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.suppliers import qualified_supplier_via_api
from tests.apps import web_app


GTIN = "09506000134352"


def stored_events(app) -> list:  # noqa: ANN001
    return list(app.recorder.select_notifications(start=1, limit=1000))


def auth(name: str = "alice", **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, SETUP_ROLES)}", **headers}





def test_calls_without_a_valid_token_get_401_problem(channel_api):
    for headers in ({}, {"Authorization": "Bearer nonsense"}):
        response = channel_api.get("/hospitals", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Not authenticated"


def test_invalid_input_is_a_422_problem_naming_field_and_rule_and_stores_nothing(channel_api):
    response = channel_api.post("/hospitals", headers=auth(), json={"name": "", "province": "上海市", "grade": "9Z"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {(e["field"], e["rule"]) for e in problem["errors"]} == {("name", "string_too_short"), ("grade", "literal_error")}
    assert "grade" in problem["detail"]
    assert stored_events(channel_api.app.state.service.application) == []


def test_the_authenticated_person_and_correlation_id_are_on_the_stored_event(channel_api):
    response = channel_api.post("/hospitals", headers=auth("bob", **{"X-Correlation-ID": "corr-42"}),
                                json={"name": "北京协和医院", "province": "北京市", "grade": "3A"})
    assert response.status_code == 201
    (notification,) = stored_events(channel_api.app.state.service.application)
    envelope = channel_api.app.state.service.application.envelope(notification)
    assert (envelope.actor, envelope.correlationid, envelope.subject) == ("user:bob", "corr-42", response.json()["hospital_id"])


def test_a_hospital_is_registered_with_its_province_and_city_and_region_is_no_longer_accepted(channel_api):
    created = channel_api.post("/hospitals", headers=auth(),
                               json={"name": "四川大学华西医院", "province": "四川省", "city": "成都市", "grade": "3A"})
    assert created.status_code == 201
    fetched = channel_api.get(f"/hospitals/{created.json()['hospital_id']}", headers=auth()).json()
    assert (fetched["province"], fetched["city"]) == ("四川省", "成都市")
    old_client = channel_api.post("/hospitals", headers=auth(), json={"name": "华山医院", "region": "上海市", "grade": "3A"})
    assert old_client.status_code == 422
    assert {(e["field"], e["rule"]) for e in old_client.json()["errors"]} == {("province", "missing"), ("region", "extra_forbidden")}
    assert len(stored_events(channel_api.app.state.service.application)) == 1


def test_a_retry_with_the_same_idempotency_key_creates_nothing_new(channel_api):
    body = {"name": "华山医院", "province": "上海市", "city": "上海市", "grade": "3A"}
    first = channel_api.post("/hospitals", headers=auth(**{"Idempotency-Key": "k-1"}), json=body)
    again = channel_api.post("/hospitals", headers=auth(**{"Idempotency-Key": "k-1"}), json=body)
    # Another key is another request (another hospital: names are unique).
    other = channel_api.post("/hospitals", headers=auth(**{"Idempotency-Key": "k-2"}), json={**body, "name": "瑞金医院"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert first.json()["hospital_id"] == again.json()["hospital_id"] != other.json()["hospital_id"]
    assert len(stored_events(channel_api.app.state.service.application)) == 2


def test_unknown_ids_are_404_problems(channel_api):
    response = channel_api.get("/hospitals/5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11", headers=auth())
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_gtin_check_digit_and_expired_lots_are_refused_without_events(inventory_api):
    bad = inventory_api.post("/items", headers=auth(), json={"gtin": "09506000134353", "name": "Stent", "device_class": 3})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "gtin"
    assert "check digit" in bad.json()["detail"]
    registered_item_via_api(inventory_api, auth(), GTIN)
    supplier_id = qualified_supplier_via_api(inventory_api, auth())
    events_before = len(stored_events(inventory_api.app.state.service.application))

    def receive(lot: str, expiry: str):
        return inventory_api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier_id, "lines": [
            {"gtin": GTIN, "lot": lot, "expiry": expiry, "quantity": 5, "warehouse": "WH1"}]})

    expired = receive("OLD", "2020-01-31")
    assert expired.status_code == 409
    assert expired.json()["rule"] == "expired-at-receipt"
    too_long = receive("L" * 21, "2030-01-31")
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "lines[0].lot"
    assert len(stored_events(inventory_api.app.state.service.application)) == events_before  # nothing of either stored


def test_an_order_for_an_unknown_hospital_is_refused_and_stores_nothing(order_api):
    response = order_api.post("/orders", headers=auth(), json={
        "hospital_id": "5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11",
        "lines": [{"gtin": GTIN, "quantity": 1, "unit_price": "10.00"}]})
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "field": "hospital_id", "rule": "registered-hospital", "message": "register the hospital in the channel service first"}
    bad_price = order_api.post("/orders", headers=auth(), json={
        "hospital_id": "5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11",
        "lines": [{"gtin": GTIN, "quantity": 1, "unit_price": "10.001"}]})
    assert bad_price.status_code == 422
    assert bad_price.json()["errors"][0]["field"] == "lines[0].unit_price"
    assert stored_events(order_api.app.state.service.application) == []


@pytest.mark.parametrize("service", ["order", "channel", "inventory", "billing", "traceability"])
def test_every_business_operation_is_documented_and_needs_a_bearer_token(settings, service):

    app = web_app(service)
    with TestClient(app) as client:
        document = client.get("/openapi.json").json()
        operations = [(path, op) for path, item in document["paths"].items() for op in item.values()]
        business = [(path, op) for path, op in operations if path not in ("/health", "/ready")]
        assert business, f"{service} documents no operations"
        assert all(op.get("security") == [{"HTTPBearer": []}] for _, op in business)
        assert len({op["operationId"] for _, op in operations}) == len(operations)
        first_path = business[0][0].replace("{", "").replace("}", "")
        assert client.get(first_path).status_code in (401, 405)


def test_a_nul_character_anywhere_is_a_422_and_stores_nothing(channel_api):
    """Regression (found by schemathesis): PostgreSQL text cannot hold NUL, and a NUL in a filter answered 500."""
    in_query = channel_api.get("/hospitals", headers=auth(), params={"name": "a\x00b"})
    in_body = channel_api.post("/hospitals", headers=auth(), json={"name": "a\x00b", "province": "上海市", "grade": "3A"})
    for response in (in_query, in_body):
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "no-nul-character"
    assert stored_events(channel_api.app.state.service.application) == []


def test_a_contact_needs_a_phone_or_an_email_and_changing_it_to_the_same_records_nothing(channel_api):
    body = {"name": "H", "province": "四川省", "grade": "3A"}
    bad = channel_api.post("/hospitals", headers=auth(), json={**body, "contact": {"name": "王主任"}})
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "contact")
    bad_phone = channel_api.post("/hospitals", headers=auth(), json={**body, "contact": {"name": "王", "phone": "call me"}})
    assert (bad_phone.status_code, bad_phone.json()["errors"][0]["field"]) == (422, "contact.phone")
    assert len(stored_events(channel_api.app.state.service.application)) == 0
    hospital = channel_api.post("/hospitals", headers=auth(), json=body).json()
    assert hospital["contact"] is None
    contact = {"name": "设备科 王主任", "phone": "+86 28 8542 2114"}
    for _ in range(2):
        changed = channel_api.put(f"/hospitals/{hospital['hospital_id']}/contact", headers=auth(), json=contact)
        assert changed.status_code == 200, changed.text
    assert (changed.json()["contact"], changed.json()["version"]) == ({**contact, "email": None}, 2)
    assert len(stored_events(channel_api.app.state.service.application)) == 2
    unknown = channel_api.put("/distributors/5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11/contact", headers=auth(), json=contact)
    assert unknown.status_code == 404
