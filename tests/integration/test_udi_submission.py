"""The item master's medical-insurance code over HTTP (a malformed code is a problem naming the field and the rule),
and the UDI database submission file (CSV and xlsx) read from the inventory-udi-master projection on real PostgreSQL,
fed through Kafka by the relay."""

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.inventory.projections.udi_master import UdiMaster
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually
from tests.items import SETUP_ROLES, registered_item_via_api

GTIN, BOX, CASE, PLAIN = "09506000134352", "19506000134359", "29506000134356", "09506000134369"
CODE = "C0203011230010001234"


def auth(name: str = "md-zhao", roles: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, roles or SETUP_ROLES)}"}


def test_a_malformed_insurance_code_is_a_problem_naming_the_field_and_the_rule(inventory_api: TestClient):
    api = inventory_api
    registered_item_via_api(api, auth(), GTIN, "冠脉支架系统", 3)
    refused = api.put(f"/items/{GTIN}/insurance-code", headers=auth(), json={"code": "C02030112300100012X4"})
    assert (refused.status_code, refused.headers["content-type"]) == (422, "application/problem+json")
    (error,) = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("code", "nhsa-consumable-code")
    assert "characters 16-20 (生产企业码) must be 5 digits" in error["message"]

    stored = api.put(f"/items/{GTIN}/insurance-code", headers=auth(), json={"code": CODE})
    assert (stored.status_code, stored.json()["insurance_code"]) == (200, CODE)
    assert api.get(f"/items/{GTIN}/master-data", headers=auth()).json()["insurance_code"] == CODE
    taken_off = api.put(f"/items/{GTIN}/insurance-code", headers=auth(), json={"code": None})
    assert taken_off.json()["insurance_code"] is None


async def test_the_item_master_exports_in_the_udi_databases_layout(settings, pool, inventory_api: TestClient):
    api = inventory_api
    registered_item_via_api(api, auth(), GTIN, "冠脉支架系统", 3)
    registered_item_via_api(api, auth(), PLAIN, "医用纱布", 1)
    for level, gtin, quantity in (("box", BOX, 10), ("case", CASE, 60)):
        added = api.post(f"/items/{GTIN}/packaging-levels", headers=auth(),
                         json={"level": level, "gtin": gtin, "quantity": quantity})
        assert added.status_code == 200, added.text
    assert api.put(f"/items/{GTIN}/insurance-code", headers=auth(), json={"code": CODE}).status_code == 200
    assert api.put(f"/items/{GTIN}/tracking", headers=auth(),
                   json={"lot_tracked": True, "serial_tracked": True, "implant": True}).status_code == 200

    # Who may read items may export them; a role without item:read may not; a file holds at most 10,000 items.
    assert api.get("/items/udi-submission", headers=auth("ops-li", ["ops"])).status_code == 403
    assert api.get("/items/udi-submission", headers=auth(), params={"limit": 10_001}).status_code == 422

    app = api.app.state.service.application
    projection = UdiMaster(pool, app.schema)
    projection.setup()
    running = Running()
    running.start(Relay(app).run)
    running.start(ConsumerRunner(projection, settings).run)

    def exported() -> list[dict] | None:
        answer = api.get("/items/udi-submission", headers=auth("auditor-wu", ["auditor"]), params={"format": "csv"})
        assert answer.status_code == 200, answer.text
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        done = len(rows) == 3 and rows[0]["医保耗材分类编码"] == CODE and rows[0]["生产标识是否包含序列号"] == "是"
        return rows if done else None

    try:
        rows = await eventually(exported, what="the export to show both items, the box and the case")
        assert [(r["最小销售单元产品标识"], r["产品包装级别"], r["包装产品标识"], r["包装内含小一级产品标识数量"],
                 r["包装内含小一级包装产品标识"]) for r in rows] == [
            (GTIN, "盒", BOX, "10", GTIN), (GTIN, "箱", CASE, "6", BOX), (PLAIN, "", "", "", "")]
        assert (rows[0]["产品名称/通用名称"], rows[0]["注册证编号或者备案凭证编号"], rows[0]["医疗器械注册人/备案人名称"]) == (
            "冠脉支架系统", "国械注准20243130001", "苏州医疗器械制造有限公司")

        xlsx = api.get("/items/udi-submission", headers=auth(), params={"format": "xlsx", "limit": 1})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert xlsx.headers["x-total-count"] == "2"
        values = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
        assert [v[0] for v in values[1:]] == [GTIN, GTIN]  # the first item only, with its two levels
        second = api.get("/items/udi-submission", headers=auth(), params={"format": "xlsx", "offset": 1})
        assert [v[0] for v in list(load_workbook(io.BytesIO(second.content)).active.iter_rows(values_only=True))[1:]] == [
            PLAIN]
    finally:
        await running.stop()
