"""A company starts from its own records: one migration workbook with a sheet per kind (hospitals, distributors and
their authorizations, items, prices, suppliers, opening stock, 10,000 shipments made before go-live), each sheet
checked by a dry run, then imported for real, through the services' routes and the `erp import` command; a recall
then finds the hospitals supplied before go-live, live and as of a day before go-live, with the workbook's batch in
the audit history; importing the whole workbook again changes nothing."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from services.demo import in_days
from shared.platform.auth import issue_token
from tests.conftest import service_env
from tests.spreadsheets import workbook
from tests.waiting import wait_for

GTIN = "09506000134352"
CREDIT_CODE = "91310000MA1FL0C715"


HOSPITAL_NAMES = ("上海市第一人民医院", "苏州大学附属第一医院")


def historical_shipments(count: int) -> list[list[object]]:
    """`count` lines shipped before go-live: the first two are the ones the test follows (lot L2401A to each
    hospital, six weeks apart); the rest spread over 50 other lots, both hospitals and 2024-2025."""
    rows: list[list[object]] = [["出库单号", "发货日期", "医院名称", "产品标识", "批号", "有效期至", "数量"],
                                ["CK-2025-0001", "2025-06-30", HOSPITAL_NAMES[0], GTIN, "L2401A", "2027-06-30", 10],
                                ["CK-2025-0002", "2025-08-01", HOSPITAL_NAMES[1], GTIN, "L2401A", "2027-06-30", 4]]
    for n in range(count - 2):
        rows.append([f"CK-H-{n:06d}", (date(2024, 1, 1) + timedelta(days=n % 600)).isoformat(), HOSPITAL_NAMES[n % 2],
                     GTIN, f"L24{n % 50:02d}B", "2028-06-30", 1 + n % 5])
    return rows


SHIPMENT_ROWS = 10_000
WORKBOOK = workbook({
    "hospitals": [["医院名称", "省份", "等级", "联系人", "联系电话", "执业许可证号", "许可证生效日期", "许可证有效期至"],
                  [HOSPITAL_NAMES[0], "上海市", "3A", "设备科", "021-63240090", "PDY001", "2024-01-01", "2029-12-31"],
                  [HOSPITAL_NAMES[1], "江苏省", "3A", "设备科", "0512-65223637", "PDY002", "2024-01-01", "2029-12-31"],
                  ["坏医院", "上海市", "4X"]],
    "distributors": [["经销商名称", "区域", "价格等级", "经营许可证编号", "经营许可证生效日期", "经营许可证有效期至"],
                     ["华东医疗器械有限公司", "江苏省", "gold", "苏药监械经营许20190001", "2024-01-01", in_days(1500)]],
    "distributor-authorizations": [["经销商名称", "授权书编号", "产品标识", "授权省份", "生效日期", "失效日期"],
                                   ["华东医疗器械有限公司", "SQ-2026-001", GTIN, "江苏省", "2026-01-01", in_days(365)]],
    "price-lists": [["price_list", "gtin", "price", "valid_from"], ["2026 标准价", GTIN, "1480.00", "2026-01-01"]],
    "items": [["gtin", "name", "device_class", "certificate_number", "certificate_holder", "certificate_valid_from",
               "certificate_valid_to", "box_gtin", "box_quantity"],
              [GTIN, "冠脉支架", 3, "国械注准20193130001", "示例医疗器械有限公司", "2024-01-01", in_days(1500),
               "19506000134359", 10]],
    "suppliers": [["credit_code", "name", "business_licence_number", "business_licence_valid_from",
                   "business_licence_valid_to", "production_licence_number", "production_licence_valid_from",
                   "production_licence_valid_to"],
                  [CREDIT_CODE, "示例医疗器械有限公司", CREDIT_CODE, "2020-01-01", in_days(3650), "沪械生产许001",
                   "2024-01-01", in_days(1500)]],
    "opening-stock": [["gtin", "lot", "expiry", "quantity", "warehouse", "supplier_credit_code"],
                      [GTIN, "L2701A", in_days(700), 50, "WH-SH", CREDIT_CODE]],
    "open-orders": [["订单号", "hospital", "requested_delivery_date", "客户PO号", "gtin", "quantity"],
                    ["SO-2026-00042", HOSPITAL_NAMES[0], in_days(14), "PO-88123", GTIN, 5]],
    "open-receivables": [["发票号码", "客户名称", "开票日期", "到期日", "币种", "未收金额", "发票金额", "备注"],
                         ["04457821", HOSPITAL_NAMES[0], in_days(-150), in_days(-120), "CNY", "5000.00", "8000.00",
                          "部分回款"]],
    "historical-shipments": historical_shipments(SHIPMENT_ROWS),
})
# A line to each hospital: traceability knows them once this passes a dry run.
PROBE = workbook({"historical-shipments": historical_shipments(2)})
# A hospital nobody registered: a dry run of its own file names the row and the rule.
UNKNOWN_HOSPITAL = workbook({"historical-shipments": [
    ["出库单号", "发货日期", "医院名称", "产品标识", "批号", "有效期至", "数量"],
    ["CK-2025-0003", "2025-08-02", "没有这家医院", GTIN, "L2401A", "2027-06-30", 1]]})
# Where each sheet goes, in the order a company imports them (each needs what the ones before it registered).
SHEETS = (("channel", "hospitals"), ("channel", "distributors"), ("channel", "distributor-authorizations"),
          ("inventory", "items"), ("channel", "price-lists"), ("inventory", "suppliers"),
          ("inventory", "opening-stock"), ("order", "open-orders"), ("billing", "open-receivables"),
          ("traceability", "historical-shipments"))


def test_a_company_s_migration_workbook_is_imported_with_provenance_and_a_recall_finds_a_hospital_supplied_before_go_live(
        stack, http, settings, tmp_path):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    batch = f"import:{hashlib.sha256(WORKBOOK).hexdigest()}"  # the workbook is the batch of every sheet

    # Prices and authorizations are the pricing and channel managers' (price:manage, distributor:authorize).
    managers = {"price-lists": {"Authorization": f"Bearer {issue_token('li', ['pricing_manager'])}"},
                "distributor-authorizations": {"Authorization": f"Bearer {issue_token('sun', ['channel_manager'])}"}}

    def upload(service: str, kind: str, dry_run: bool, content: bytes = WORKBOOK, name: str = "migration.xlsx",
               ) -> dict:
        answer = http.post(f"{url(service)}/imports/{kind}", params={"dry_run": dry_run},
                           files={"file": (name, content)}, timeout=120, headers=managers.get(kind))
        assert answer.status_code == 200, answer.text
        return answer.json()

    template = http.get(f"{url('channel')}/imports/templates/hospitals")
    assert template.status_code == 200 and template.text.lstrip("\ufeff").startswith("name,province,city,grade")

    # Hospitals: a dry run names the bad row's errors and stores nothing; the real run stores the two good ones.
    dry = upload("channel", "hospitals", True)
    assert (dry["dry_run"], dry["created"], dry["rows_refused"]) == (True, 2, 1)
    assert {(e["row"], e["column"]) for e in dry["errors"]} == {(4, "grade")}
    assert http.get(f"{url('channel')}/hospitals", params={"name": HOSPITAL_NAMES[0]}).json()["items"] == []
    real = upload("channel", "hospitals", False)
    assert (real["created"], real["rows_refused"], real["correlation_id"]) == (2, 1, batch)

    # Every other sheet of master data and stock: a dry run finds nothing wrong, then the real run stores it.
    for service, kind in SHEETS[1:5]:
        dry = upload(service, kind, True)
        assert (dry["created"], dry["errors"]) == (1, []), (kind, dry)
        assert upload(service, kind, False)["created"] == 1, kind

    # Suppliers through the command line, as an operator would with a large file: dry run, then for real.
    path = tmp_path / "migration.xlsx"
    path.write_bytes(WORKBOOK)
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
                         files={"file": ("migration.xlsx", WORKBOOK)}, headers=clerk, timeout=60).json()
    assert [(e["row"], e["rule"]) for e in refused["errors"]] == [(2, "permission")]
    stock = upload("inventory", "opening-stock", False)
    assert (stock["created"], stock["errors"]) == (1, [])
    lots = wait_for(lambda: http.get(f"{url('inventory')}/stock", params={"gtin": GTIN}).json()["items"],
                    "the opening stock in the stock read model")
    assert [(s["lot"], s["on_hand"], s["status"]) for s in lots] == [("L2701A", 50, "available")]

    # The orders still open in the old system, placed by the order desk's rules once the order service knows the
    # hospital, the item and its price; then reserved from the opening stock.
    hospital_id = http.get(f"{url('channel')}/hospitals", params={"name": HOSPITAL_NAMES[0]}).json()["items"][0][
        "hospital_id"]
    desk = {"Authorization": f"Bearer {issue_token('olivia', ['order_desk'])}"}
    managers["open-orders"] = desk
    dry = wait_for(lambda: (d := upload("order", "open-orders", True))["created"] == 1 and d,
                   "the order service to know the imported hospital, item and price")
    assert dry["errors"] == []
    assert (placed := upload("order", "open-orders", False))["created"] == 1, placed
    [order] = wait_for(lambda: http.get(f"{url('order')}/orders", params={"hospital_id": hospital_id}).json()["items"],
                       "the imported order in the order list")
    order = wait_for(lambda: (o := http.get(f"{url('order')}/orders/{order['order_id']}").json())["status"]
                     == "reserved" and o, "the imported order to be reserved from the opening stock")
    assert (order["legacy_reference"], order["customer_reference"], order["lines"][0]["quantity"]) == (
        "SO-2026-00042", "PO-88123", 5)

    # Its unpaid invoice from the old system: in the account and its aging from go-live, under the old number.
    finance = {"Authorization": f"Bearer {issue_token('qian', ['finance'])}"}
    managers["open-receivables"] = finance
    wait_for(lambda: upload("billing", "open-receivables", True)["created"] == 1, "billing to know the hospital")
    assert upload("billing", "open-receivables", False)["created"] == 1
    account = wait_for(lambda: (a := http.get(f"{url('billing')}/customers/{hospital_id}/account",
                                              headers=finance).json())["balance"] != "0" and a
                       and Decimal(a["balance"]) == Decimal("5000.00") and a, "the opening receivable in the account")
    assert {k: Decimal(v) for k, v in account["aging"].items() if Decimal(v)} == {"91-180": Decimal("5000.00")}

    # 10,000 historical shipments: the hospitals must have reached traceability's terminal master (channel's events).
    wait_for(lambda: upload("traceability", "historical-shipments", True, PROBE, "probe.xlsx")["created"] == 2,
             "traceability to know the imported hospitals")
    dry = upload("traceability", "historical-shipments", True)
    assert (dry["rows"], dry["errors"]) == (SHIPMENT_ROWS, [])
    unknown = upload("traceability", "historical-shipments", True, UNKNOWN_HOSPITAL, "unknown.xlsx")
    assert [(e["row"], e["column"], e["rule"]) for e in unknown["errors"]] == [(2, "hospital", "registered-hospital")]
    shipped = upload("traceability", "historical-shipments", False)
    assert (shipped["created"], shipped["rows_refused"], shipped["correlation_id"]) == (SHIPMENT_ROWS, 0, batch)

    lookup = wait_for(lambda: (r := http.get(f"{url('traceability')}/recalls/lookup",
                                             params={"gtin": GTIN, "lot": "L2401A"}).json())["consignees"]
                      and len(r["consignees"]) == 2 and r, "the recall lookup to find the imported shipments")
    found = {c["name"]: c for c in lookup["consignees"]}
    first = found[HOSPITAL_NAMES[0]]
    assert first["quantity_shipped"] == 10
    [shipment] = first["shipments"]
    assert (shipment["tracking_number"], shipment["dispatched_at"][:10]) == ("CK-2025-0001", "2025-06-29")

    # A lot of the bulk, to both hospitals: every line of it counted (rows n ≡ 7 mod 50, 2024-2025).
    spread = wait_for(lambda: (r := http.get(f"{url('traceability')}/recalls/lookup",
                                             params={"gtin": GTIN, "lot": "L2407B"}).json())["consignees"]
                      and sum(c["quantity_shipped"] for c in r["consignees"]) == sum(
                          1 + n % 5 for n in range(SHIPMENT_ROWS - 2) if n % 50 == 7) and r,
                      "the lookup to count every imported line of a lot", timeout=120)
    assert {c["name"] for c in spread["consignees"]} == {HOSPITAL_NAMES[1]}  # n ≡ 7 (mod 50) is odd: the second

    # By the item's expiry range too: the lot is known to traceability's lot catalogue from the import.
    by_item = wait_for(lambda: (r := http.get(f"{url('traceability')}/recalls/lookup/by-item", params={
        "gtin": GTIN, "expiry_from": "2027-06-01", "expiry_to": "2027-06-30"}).json()).get("consignees") and r,
        "the lot catalogue to know the imported lot")
    assert {c["name"] for c in by_item["consignees"]} == set(HOSPITAL_NAMES)

    # As of a day between the two shipments, long before go-live: only the first hospital had received the lot.
    as_of = http.get(f"{url('traceability')}/recalls/lookup/as-of",
                     params={"gtin": GTIN, "lot": "L2401A", "at": "2025-07-15T00:00:00+08:00"}).json()
    assert [c["name"] for c in as_of["consignees"]] == [HOSPITAL_NAMES[0]]

    # The auditor sees the import batch as the provenance of the shipment.
    auditor = {"Authorization": f"Bearer {issue_token('audrey', ['auditor'])}"}
    history = httpx.get(f"{url('traceability')}/audit/aggregates/{shipment['shipment_id']}/history",
                        headers=auditor).json()
    [event] = history["events"]
    assert (event["type"], event["correlationid"], event["causationid"]) == (
        "erp.traceability.HistoricalShipmentImported", batch, f"{batch}:row:2")
    assert event["reason"].startswith("import historical-shipments row 2 of migration.xlsx")
    assert event["actor"].endswith("e2e-tester")

    # The whole workbook again, every sheet: nothing changes.
    for service, kind in SHEETS:
        again = upload(service, kind, False)
        assert (again["created"], again["changed"]) == (0, 0), (kind, again)
        assert again["unchanged"] == again["rows"] - again["rows_refused"]
    assert len(httpx.get(f"{url('traceability')}/audit/aggregates/{shipment['shipment_id']}/history",
                         headers=auditor).json()["events"]) == 1
