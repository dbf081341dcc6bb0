"""A company starts from its own records: hospitals, distributors, items, suppliers, opening stock and the shipments it made before
go-live, imported from files (checked by a dry run, then for real) through the services' routes and the `erp import`
command; a recall then finds the hospital supplied before go-live, live and as of a day before go-live, with the
import batch in the audit history; importing every file again changes nothing."""

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from openpyxl import Workbook

from services.demo import in_days
from shared.platform.auth import issue_token
from tests.conftest import service_env
from tests.waiting import wait_for

GTIN = "09506000134352"
CREDIT_CODE = "91310000MA1FL0C715"


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(rows: list[list[object]]) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode()


HOSPITALS = xlsx([["医院名称", "省份", "等级", "联系人", "联系电话", "执业许可证号", "许可证生效日期", "许可证有效期至"],
                  ["上海市第一人民医院", "上海市", "3A", "设备科", "021-63240090", "PDY001", "2024-01-01", "2029-12-31"],
                  ["苏州大学附属第一医院", "江苏省", "3A", "设备科", "0512-65223637", "PDY002", "2024-01-01", "2029-12-31"],
                  ["坏医院", "上海市", "4X"]])
DISTRIBUTORS = csv([["经销商名称", "区域", "价格等级", "经营许可证编号", "经营许可证生效日期", "经营许可证有效期至"],
                    ["华东医疗器械有限公司", "江苏省", "gold", "苏药监械经营许20190001", "2024-01-01", in_days(1500)]])
AUTHORIZATIONS = csv([["经销商名称", "授权书编号", "产品标识", "授权省份", "生效日期", "失效日期"],
                      ["华东医疗器械有限公司", "SQ-2026-001", GTIN, "江苏省", "2026-01-01", in_days(365)]])
PRICES = csv([["price_list", "gtin", "price", "valid_from"], ["2026 标准价", GTIN, "1480.00", "2026-01-01"]])
ITEMS = csv([["gtin", "name", "device_class", "certificate_number", "certificate_holder", "certificate_valid_from",
              "certificate_valid_to", "box_gtin", "box_quantity"],
             [GTIN, "冠脉支架", 3, "国械注准20193130001", "示例医疗器械有限公司", "2024-01-01", in_days(1500),
              "19506000134359", 10]])
SUPPLIERS = csv([["credit_code", "name", "business_licence_number", "business_licence_valid_from",
                  "business_licence_valid_to", "production_licence_number", "production_licence_valid_from",
                  "production_licence_valid_to"],
                 [CREDIT_CODE, "示例医疗器械有限公司", CREDIT_CODE, "2020-01-01", in_days(3650), "沪械生产许001",
                  "2024-01-01", in_days(1500)]])
STOCK = csv([["gtin", "lot", "expiry", "quantity", "warehouse", "supplier_credit_code"],
             [GTIN, "L2701A", in_days(700), 50, "WH-SH", CREDIT_CODE]])
SHIPMENTS = xlsx([["出库单号", "发货日期", "医院名称", "产品标识", "批号", "有效期至", "数量"],
                  ["CK-2025-0001", "2025-06-30", "上海市第一人民医院", GTIN, "L2401A", "2027-06-30", 10],
                  ["CK-2025-0002", "2025-08-01", "苏州大学附属第一医院", GTIN, "L2401A", "2027-06-30", 4],
                  ["CK-2025-0003", "2025-08-02", "没有这家医院", GTIN, "L2401A", "2027-06-30", 1]])


def test_a_company_s_records_are_imported_with_provenance_and_a_recall_finds_a_hospital_supplied_before_go_live(
        stack, http, settings, tmp_path):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url

    # Prices and authorizations are the pricing and channel managers' (price:manage, distributor:authorize).
    managers = {"price-lists": {"Authorization": f"Bearer {issue_token('li', ['pricing_manager'])}"},
                "distributor-authorizations": {"Authorization": f"Bearer {issue_token('sun', ['channel_manager'])}"}}

    def upload(service: str, kind: str, name: str, content: bytes, dry_run: bool) -> dict:
        answer = http.post(f"{url(service)}/imports/{kind}", params={"dry_run": dry_run},
                           files={"file": (name, content)}, timeout=60,
                           headers=managers.get(kind))
        assert answer.status_code == 200, answer.text
        return answer.json()

    template = http.get(f"{url('channel')}/imports/templates/hospitals")
    assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith("name,province,city,grade")

    # Hospitals: a dry run names the bad row's errors and stores nothing; the real run stores the two good ones.
    dry = upload("channel", "hospitals", "hospitals.xlsx", HOSPITALS, True)
    assert (dry["dry_run"], dry["created"], dry["rows_refused"]) == (True, 2, 1)
    assert {(e["row"], e["column"]) for e in dry["errors"]} == {(4, "grade")}
    assert http.get(f"{url('channel')}/hospitals", params={"name": "上海市第一人民医院"}).json()["items"] == []
    real = upload("channel", "hospitals", "hospitals.xlsx", HOSPITALS, False)
    assert (real["created"], real["rows_refused"], real["sha256"]) == (2, 1, hashlib.sha256(HOSPITALS).hexdigest())

    assert upload("channel", "distributors", "distributors.csv", DISTRIBUTORS, False)["created"] == 1
    granted = upload("channel", "distributor-authorizations", "authorizations.csv", AUTHORIZATIONS, False)
    assert (granted["created"], granted["errors"]) == (1, [])
    assert upload("inventory", "items", "items.csv", ITEMS, False)["created"] == 1
    assert upload("channel", "price-lists", "prices.csv", PRICES, False)["created"] == 1

    # Suppliers through the command line, as an operator would with a large file: dry run, then for real.
    path = tmp_path / "suppliers.csv"
    path.write_bytes(SUPPLIERS)
    env = {**os.environ, **service_env(settings)}
    for args in (["--dry-run"], []):
        done = subprocess.run([str(Path(sys.executable).parent / "erp"), "import", "suppliers", str(path),
                               "--actor", "user:migration-li", "--json", *args], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["created"] == 1

    # Stock released at once is quality's decision too: a warehouse clerk alone may not import it as available.
    clerk = {"Authorization": f"Bearer {issue_token('clerk', ['warehouse'])}"}
    refused = httpx.post(f"{url('inventory')}/imports/opening-stock", params={"dry_run": True},
                         files={"file": ("stock.csv", STOCK)}, headers=clerk, timeout=60).json()
    assert [(e["row"], e["rule"]) for e in refused["errors"]] == [(2, "permission")]
    stock = upload("inventory", "opening-stock", "stock.csv", STOCK, False)
    assert (stock["created"], stock["errors"]) == (1, [])
    lots = wait_for(lambda: http.get(f"{url('inventory')}/stock", params={"gtin": GTIN}).json()["items"],
                    "the opening stock in the stock read model")
    assert [(s["lot"], s["on_hand"], s["status"]) for s in lots] == [("L2701A", 50, "available")]

    # Historical shipments: the hospitals must have reached traceability's terminal master (from channel's events).
    dry = wait_for(lambda: (d := upload("traceability", "historical-shipments", "shipments.xlsx", SHIPMENTS, True))
                   ["created"] == 2 and d, "traceability to know the imported hospitals")
    assert [(e["row"], e["column"], e["rule"]) for e in dry["errors"]] == [(4, "hospital", "registered-hospital")]
    shipped = upload("traceability", "historical-shipments", "shipments.xlsx", SHIPMENTS, False)
    assert shipped["created"] == 2
    batch = f"import:{hashlib.sha256(SHIPMENTS).hexdigest()}"
    assert shipped["correlation_id"] == batch

    lookup = wait_for(lambda: (r := http.get(f"{url('traceability')}/recalls/lookup",
                                             params={"gtin": GTIN, "lot": "L2401A"}).json())["consignees"]
                      and len(r["consignees"]) == 2 and r, "the recall lookup to find the imported shipments")
    found = {c["name"]: c for c in lookup["consignees"]}
    first = found["上海市第一人民医院"]
    assert first["quantity_shipped"] == 10
    [shipment] = first["shipments"]
    assert (shipment["tracking_number"], shipment["dispatched_at"][:10]) == ("CK-2025-0001", "2025-06-29")

    # By the item's expiry range too: the lot is known to traceability's lot catalogue from the import.
    by_item = wait_for(lambda: (r := http.get(f"{url('traceability')}/recalls/lookup/by-item", params={
        "gtin": GTIN, "expiry_from": "2027-06-01", "expiry_to": "2027-06-30"}).json()).get("consignees") and r,
        "the lot catalogue to know the imported lot")
    assert {c["name"] for c in by_item["consignees"]} == {"上海市第一人民医院", "苏州大学附属第一医院"}

    # As of a day between the two shipments, long before go-live: only the first hospital had received the lot.
    as_of = http.get(f"{url('traceability')}/recalls/lookup/as-of",
                     params={"gtin": GTIN, "lot": "L2401A", "at": "2025-07-15T00:00:00+08:00"}).json()
    assert [c["name"] for c in as_of["consignees"]] == ["上海市第一人民医院"]

    # The auditor sees the import batch as the provenance of the shipment.
    auditor = {"Authorization": f"Bearer {issue_token('audrey', ['auditor'])}"}
    history = httpx.get(f"{url('traceability')}/audit/aggregates/{shipment['shipment_id']}/history",
                        headers=auditor).json()
    [event] = history["events"]
    assert (event["type"], event["correlationid"], event["causationid"]) == (
        "erp.traceability.HistoricalShipmentImported", batch, f"{batch}:row:2")
    assert event["reason"].startswith("import historical-shipments row 2 of shipments.xlsx")
    assert event["actor"].endswith("e2e-tester")

    # Every file again: nothing changes.
    for service, kind, name, content in (("channel", "hospitals", "hospitals.xlsx", HOSPITALS),
                                         ("channel", "distributors", "distributors.csv", DISTRIBUTORS),
                                         ("channel", "distributor-authorizations", "authorizations.csv",
                                          AUTHORIZATIONS),
                                         ("inventory", "items", "items.csv", ITEMS),
                                         ("channel", "price-lists", "prices.csv", PRICES),
                                         ("inventory", "suppliers", "suppliers.csv", SUPPLIERS),
                                         ("inventory", "opening-stock", "stock.csv", STOCK),
                                         ("traceability", "historical-shipments", "shipments.xlsx", SHIPMENTS)):
        again = upload(service, kind, name, content, False)
        assert (again["created"], again["changed"]) == (0, 0), (kind, again)
        assert again["unchanged"] == again["rows"] - again["rows_refused"]
    assert len(httpx.get(f"{url('traceability')}/audit/aggregates/{shipment['shipment_id']}/history",
                         headers=auditor).json()["events"]) == 1
