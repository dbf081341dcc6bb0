"""Weak master data and missing permissions, as a new user found them: each is now refused with a clear problem
and stores nothing. In-process APIs on the real PostgreSQL (and Kafka where the order service must learn facts)."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.channel.application import ChannelApplication
from services.inventory.application import InventoryApplication
from services.order.projections.catalogue import DistributorLicences, KnownItems
from services.order.projections.hospitals import KnownDistributors, KnownHospitals
from shared.platform.permissions import ROLES
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.relay import Relay
from shared.platform.settings import get_settings
from tests.apitools import days, stored
from tests.integration.helpers import Running, eventually
from tests.items import SETUP_ROLES, certificate, registered_item_via_api
from tests.suppliers import qualified_supplier_via_api
from tests.apps import web_app
from shared.domain.business_day import business_today

GTIN, CLASS_II = "09506000134352", "09506000134376"


def token(*roles: str, name: str = "li") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, list(roles))}"}


def staff() -> dict[str, str]:
    return token(*SETUP_ROLES, "channel_manager")


def test_quality_stock_and_master_data_commands_need_their_role(channel_api, inventory_api):
    item = {"gtin": GTIN, "lot": "L1"}
    attempts = [
        (inventory_api, "/quality/holds/release", {**item, "reason": "r"}, "quality"),
        (inventory_api, "/quality/holds", {**item, "reason": "r"}, "quality"),
        (inventory_api, "/quality/inspections", {**item, "warehouse": "WH1", "result": "released"}, "quality"),
        (inventory_api, "/stock/adjustments", {**item, "warehouse": "WH1", "quantity_change": -1, "reason": "r"}, "warehouse"),
        (inventory_api, "/stock/moves", {**item, "from_warehouse": "WH1", "to_warehouse": "WH2", "quantity": 1}, "warehouse"),
        (inventory_api, "/goods-receipts", {"supplier_id": "5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11", "lines": [
            {**item, "expiry": days(400), "quantity": 1, "warehouse": "WH1"}]}, "warehouse"),
        (inventory_api, "/items", {"gtin": GTIN, "name": "Stent", "device_class": 3}, "master_data"),
        (inventory_api, "/suppliers", {"name": "S"}, "master_data"),
        (channel_api, "/hospitals", {"name": "H", "province": "上海市", "grade": "3A"}, "master_data"),
        (channel_api, "/distributors", {"name": "D", "region": "江苏省", "tier": "gold"}, "channel_manager"),
    ]
    for api, path, body, role in attempts:
        for headers in (token(), token("order_desk")):  # no role at all, or another team's
            refused = api.post(path, headers=headers, json=body)
            assert refused.status_code == 403, (path, refused.text)
            assert role in {r for r, granted in ROLES.items() if refused.json()["required_permission"] in granted}
    assert stored(inventory_api.app.state.service.application) == stored(channel_api.app.state.service.application) == 0


def test_names_and_credit_codes_identify_one_party(channel_api, inventory_api):
    body = {"name": "上海市第一人民医院", "province": "上海市", "grade": "3A"}
    assert channel_api.post("/hospitals", headers=staff(), json=body).status_code == 201
    for name in ("上海市第一人民医院", " 上海市第一人民医院 ", "上海市第一人民医院　"):
        again = channel_api.post("/hospitals", headers=staff(), json={**body, "name": name})
        assert (again.status_code, again.json()["rule"]) == (409, "hospital-name-unique")
    wide = channel_api.post("/hospitals", headers=staff(), json={**body, "name": "Ｓｔ．　Ｍａｒｙ"})
    narrow = channel_api.post("/hospitals", headers=staff(), json={**body, "name": "st. mary"})
    assert (wide.status_code, narrow.status_code, narrow.json()["rule"]) == (201, 409, "hospital-name-unique")
    campus = channel_api.post("/hospitals", headers=staff(), json={**body, "name": "上海市第一人民医院（南院）"})
    assert campus.status_code == 201
    assert channel_api.post("/distributors", headers=staff(), json={"name": "华东医疗", "region": "江苏省", "tier": "gold"}).status_code == 201
    twin = channel_api.post("/distributors", headers=staff(), json={"name": "华东医疗", "region": "浙江省", "tier": "silver"})
    assert (twin.status_code, twin.json()["rule"]) == (409, "distributor-name-unique")

    code = "91350100M000100Y43"  # a valid unified social credit code (GB 32100-2015 check character)
    assert inventory_api.post("/suppliers", headers=staff(), json={"name": "甲", "credit_code": code}).status_code == 201
    duplicate = inventory_api.post("/suppliers", headers=staff(), json={"name": "乙", "credit_code": code})
    assert (duplicate.status_code, duplicate.json()["rule"]) == (409, "supplier-credit-code-unique")
    wrong_check = inventory_api.post("/suppliers", headers=staff(), json={"name": "丙", "credit_code": code[:-1] + "4"})
    assert (wrong_check.status_code, wrong_check.json()["errors"][0]["field"]) == (422, "credit_code")


def test_receipts_refuse_what_no_gs1_label_can_carry_and_products_without_a_valid_certificate(inventory_api):
    supplier_id = qualified_supplier_via_api(inventory_api, staff())
    assert inventory_api.post("/items", headers=staff(), json={"gtin": GTIN, "name": "Stent", "device_class": 3}).status_code == 201
    zeros = inventory_api.post("/items", headers=staff(), json={"gtin": "00000000000000", "name": "Zero", "device_class": 1})
    assert (zeros.status_code, zeros.json()["errors"][0]["field"]) == (422, "gtin")

    def receive(**line):  # noqa: ANN003, ANN202
        return inventory_api.post("/goods-receipts", headers=staff(), json={"supplier_id": supplier_id, "lines": [
            {"gtin": GTIN, "lot": "L1", "expiry": days(400), "quantity": 1, "warehouse": "WH1", **line}]})

    for lot in ("批号一", "X'; DROP TABLE x;--"):
        refused = receive(lot=lot)
        assert (refused.status_code, refused.json()["errors"][0]) == (422, {
            "field": "lines[0].lot", "in": "body", "rule": "gs1-character-set",
            "message": refused.json()["errors"][0]["message"]})
    # serials too (GS1 AI (21) is CSET 82 like (10)): the problem names the serial and the character
    serial = receive(quantity=2, serials=["SN-1", "SN 2"])
    assert serial.headers["content-type"] == "application/problem+json"
    assert (serial.status_code, [(e["field"], e["rule"]) for e in serial.json()["errors"]]) == (
        422, [("lines[0].serials[1]", "gs1-character-set")])
    assert "' ' is not in GS1 character set 82" in serial.json()["errors"][0]["message"]
    forever = receive(expiry="9999-12-31")
    assert (forever.status_code, forever.json()["errors"][0]["field"]) == (422, "lines[0].expiry")
    uncertified = receive()
    assert (uncertified.status_code, uncertified.json()["rule"]) == (409, "registration-certificate-valid")
    expired = {**certificate(), "valid_from": days(-2000), "valid_to": days(-1)}
    assert inventory_api.put(f"/items/{GTIN}/registration-certificate", headers=staff(), json=expired).status_code == 200
    lapsed = receive()
    assert (lapsed.status_code, lapsed.json()["rule"]) == (409, "registration-certificate-valid")
    assert "expired on" in lapsed.json()["detail"]
    assert inventory_api.put(f"/items/{GTIN}/registration-certificate", headers=staff(), json=certificate()).status_code == 200
    assert receive().status_code == 201


def test_a_grace_period_lets_items_without_a_certificate_on_record_in_until_its_last_day(settings, monkeypatch):
    app = web_app("inventory")

    monkeypatch.setenv("REGISTRATION_CERTIFICATE_GRACE_UNTIL", days(30))
    get_settings.cache_clear()
    with TestClient(app) as api:
        supplier_id = qualified_supplier_via_api(api, staff())
        api.post("/items", headers=staff(), json={"gtin": GTIN, "name": "Stent", "device_class": 3}).raise_for_status()
        receipt = api.post("/goods-receipts", headers=staff(), json={"supplier_id": supplier_id, "lines": [
            {"gtin": GTIN, "lot": "L1", "expiry": days(400), "quantity": 1, "warehouse": "WH1"}]})
        assert receipt.status_code == 201, receipt.text
        expired = {**certificate(), "valid_from": days(-2000), "valid_to": days(-1)}
        api.put(f"/items/{GTIN}/registration-certificate", headers=staff(), json=expired).raise_for_status()
        lapsed = api.post("/goods-receipts", headers=staff(), json={"supplier_id": supplier_id, "lines": [
            {"gtin": GTIN, "lot": "L1", "expiry": days(400), "quantity": 1, "warehouse": "WH1"}]})
        assert (lapsed.status_code, lapsed.json()["rule"]) == (409, "registration-certificate-valid")  # no grace
    get_settings.cache_clear()


def test_a_kit_assembly_retried_with_its_idempotency_key_assembles_once(inventory_api):
    supplier_id = qualified_supplier_via_api(inventory_api, staff())
    kit_gtin = "09506000134383"
    registered_item_via_api(inventory_api, staff(), GTIN)
    registered_item_via_api(inventory_api, staff(), kit_gtin, "Stent kit")
    inventory_api.post("/goods-receipts", headers=staff(), json={"supplier_id": supplier_id, "lines": [
        {"gtin": GTIN, "lot": "C1", "expiry": days(400), "quantity": 10, "warehouse": "WH1"}]}).raise_for_status()
    inventory_api.post("/quality/inspections", headers=staff(), json={
        "gtin": GTIN, "lot": "C1", "warehouse": "WH1", "result": "released"}).raise_for_status()
    body = {"kit_gtin": kit_gtin, "lot": "K1", "quantity": 2, "warehouse": "WH1",
            "components": [{"gtin": GTIN, "lot": "C1", "warehouse": "WH1", "quantity": 2}]}
    headers = {**staff(), "Idempotency-Key": "kit-1"}
    first = inventory_api.post("/kits/assemblies", headers=headers, json=body)
    again = inventory_api.post("/kits/assemblies", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["assembly_id"] == again.json()["assembly_id"]
    component = inventory_api.app.state.service.application.item_by_gtin(GTIN).lots[("C1", "WH1")]
    assert component.on_hand == 8  # taken once
    other = inventory_api.post("/kits/assemblies", headers=headers, json={**body, "quantity": 3})
    assert (other.status_code, other.json()["errors"][0]["rule"]) == (422, "idempotency-key-reused")


@pytest.fixture
def order_facts(settings, pool):
    """The order service's copies of hospitals, distributors, licences and items, fed from Kafka as in production."""
    channel, inventory = ChannelApplication(settings), InventoryApplication(settings)
    schema = settings.schema_for("order")
    projections = [p(pool, schema) for p in (KnownHospitals, KnownDistributors, KnownItems, DistributorLicences)]
    for projection in projections:
        projection.setup()
    yield channel, inventory, projections
    channel.close()
    inventory.close()


async def test_an_order_is_refused_before_acceptance_without_a_certificate_or_a_distributor_licence(
        settings, order_facts, channel_api, inventory_api, order_api):
    channel, inventory, projections = order_facts
    running = Running()
    for task in (Relay(channel).run, Relay(inventory).run, *(ConsumerRunner(p, settings).run for p in projections)):
        running.start(task)
    try:
        hospital = channel_api.post("/hospitals", headers=staff(), json={"name": "华山医院", "province": "上海市",
                                                                         "grade": "3A"}).json()
        distributor = channel_api.post("/distributors", headers=staff(), json={"name": "华东医疗", "region": "江苏省",
                                                                               "tier": "gold"}).json()
        inventory_api.post("/items", headers=staff(), json={"gtin": GTIN, "name": "Stent", "device_class": 3}).raise_for_status()
        registered_item_via_api(inventory_api, staff(), CLASS_II, "Catheter", 2)

        def place(gtin: str, through: str | None = None):  # noqa: ANN202
            body = {"hospital_id": hospital["hospital_id"], "lines": [{"gtin": gtin, "quantity": 1, "unit_price": "10.00"}]}
            return order_api.post("/orders", headers=staff(), json={**body, "ship_to_distributor_id": through} if through else body)

        uncertified = await eventually(lambda: (r := place(GTIN)).status_code == 409 and r, what="the item to be known")
        assert uncertified.json()["rule"] == "registration-certificate-valid"
        inventory_api.put(f"/items/{GTIN}/registration-certificate", headers=staff(), json=certificate()).raise_for_status()
        await eventually(lambda: place(GTIN).status_code == 201, what="the certificate to be known")

        through = distributor["distributor_id"]
        unlicensed = await eventually(lambda: (r := place(GTIN, through)).status_code == 409 and r, what="the distributor")
        assert (unlicensed.json()["rule"], unlicensed.json()["field"]) == ("distributor-licensed", "ship_to_distributor_id")
        filing = {"document_type": "filing_certificate", "number": "苏械备20200001号", "valid_from": days(-100),
                  "valid_to": days(1000)}
        channel_api.post(f"/distributors/{through}/licences", headers=staff(), json=filing).raise_for_status()
        await eventually(lambda: place(CLASS_II, through).status_code == 201, what="class II under the filing certificate")
        assert place(GTIN, through).json()["rule"] == "distributor-licensed"  # class III needs a distribution licence
        licence = {**filing, "document_type": "distribution_licence", "number": "苏食药监械经营许20200001号"}
        channel_api.post(f"/distributors/{through}/licences", headers=staff(), json=licence).raise_for_status()
        await eventually(lambda: place(GTIN, through).status_code == 201, what="class III under the licence")
        late = order_api.post("/orders", headers=staff(), json={
            "hospital_id": hospital["hospital_id"], "ship_to_distributor_id": through,
            "requested_delivery_date": (business_today() + timedelta(days=1001)).isoformat(),
            "lines": [{"gtin": GTIN, "quantity": 1, "unit_price": "10.00"}]})
        assert late.json()["rule"] == "distributor-licensed"  # the licence has lapsed by the delivery day
    finally:
        await running.stop()


def test_amounts_are_bounded_to_what_every_contract_and_read_model_holds(order_api):
    hospital = "5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11"
    huge = order_api.post("/orders", headers=staff(), json={"hospital_id": hospital, "lines": [
        {"gtin": GTIN, "quantity": 1000, "unit_price": "99999999999999.99"}]})
    assert (huge.status_code, huge.json()["errors"][0]["field"]) == (422, "lines[0].unit_price")
    too_much = order_api.post("/orders", headers=staff(), json={"hospital_id": hospital, "lines": [
        {"gtin": GTIN, "quantity": 100_000, "unit_price": "9999999999.99"}]})
    assert too_much.status_code == 422
    assert "the most one document may carry" in too_much.json()["detail"]
    assert stored(order_api.app.state.service.application) == 0


async def test_distributors_are_listed_paged_and_filtered_like_every_kind_of_master_data(settings, pool, channel_api):
    from services.channel.projections.directory import ChannelDirectory

    channel = ChannelApplication(settings)
    directory = ChannelDirectory(pool, channel.schema)
    directory.setup()
    running = Running()
    for task in (Relay(channel).run, ConsumerRunner(directory, settings).run):
        running.start(task)
    try:
        for name, region, tier in (("华东医疗", "江苏省", "gold"), ("华南医疗", "广东省", "silver"), ("华东配送", "江苏省", "standard")):
            channel_api.post("/distributors", headers=staff(), json={"name": name, "region": region, "tier": tier}
                             ).raise_for_status()
        listed = await eventually(lambda: (r := channel_api.get("/distributors", headers=staff(), params={
            "region": "江苏省", "limit": 1}).json())["total"] == 2 and r, what="the directory to list both")
        assert [d["name"] for d in listed["items"]] == ["华东医疗"]  # by name, one per page
        by_name = channel_api.get("/distributors", headers=staff(), params={"name": "配送"}).json()
        assert [(d["name"], d["tier"]) for d in by_name["items"]] == [("华东配送", "standard")]
    finally:
        await running.stop()
        channel.close()
