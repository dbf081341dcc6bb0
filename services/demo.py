"""A small demo data set, loaded through the public HTTP APIs (as a client would), once.

One hospital and one distributor, one qualified supplier, one device with two lots received from it and
released by quality inspection, one order that is reserved FEFO, picked by UDI scan, dispatched and invoiced, so
the recall lookup for the earlier-expiring lot finds the hospital. Then a second order delivered through the
distributor, its sell-out report to a second hospital, an adverse event and the recall case opened from it.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from shared.domain.business_day import CHINA
from shared.platform.auth import issue_token
from shared.platform.waiting import wait_for
from shared.domain.business_day import business_today

DEMO_GTIN = "09506000134352"  # a GS1 example GTIN-14 with a valid check digit
DEMO_HOSPITAL = "上海市第一人民医院"
SECOND_HOSPITAL = "苏州大学附属第一医院"
DEMO_DISTRIBUTOR = "华东医疗器械有限公司"
SECOND_DISTRIBUTOR = "苏南医疗器械有限公司"
EARLY_LOT, LATE_LOT = "DEMO-EARLY", "DEMO-LATE"
DEMO_SUPPLIER = "苏州医疗器械制造有限公司"
GS = "\x1d"  # how a scanner sends FNC1: ends a variable-length field


def udi_scan(gtin: str, expiry: str, lot: str, quantity: int | None = None) -> str:
    """A GS1 DataMatrix scan as the scanner sends it: ]d2, (01) GTIN, (17) expiry YYMMDD, (10) lot, and — for a
    count of units rather than one — GS (30) quantity."""
    code = "]d2" + "01" + gtin + "17" + datetime.fromisoformat(str(expiry)).strftime("%y%m%d") + "10" + lot
    return code + (GS + "30" + str(quantity) if quantity and quantity != 1 else "")


def in_days(days: int) -> str:
    return (business_today() + timedelta(days=days)).isoformat()


def load_demo_data(urls: dict[str, str]) -> str:
    roles = ["master_data", "warehouse", "quality", "order_supervisor", "recall_officer", "pricing_manager",
             "channel_manager"]
    headers = {"Authorization": f"Bearer {issue_token('demo-loader', roles, name='Demo loader')}"}
    with httpx.Client(headers=headers, timeout=10) as http:
        existing = http.get(f"{urls['channel']}/hospitals", params={"name": DEMO_HOSPITAL}).json()
        if existing["total"] > 0:
            return "demo data already loaded"
        hospital = http.post(f"{urls['channel']}/hospitals", headers={"Idempotency-Key": "demo-hospital"},
                             json={"name": DEMO_HOSPITAL, "province": "上海市", "city": "上海市", "grade": "3A"},
                             ).raise_for_status().json()
        distributor = http.post(f"{urls['channel']}/distributors", headers={"Idempotency-Key": "demo-distributor"},
                                json={"name": DEMO_DISTRIBUTOR, "region": "江苏省", "tier": "gold"}).raise_for_status().json()
        # A hospital buys only with a practice licence (医疗机构执业许可证) valid on the delivery day.
        http.post(f"{urls['channel']}/hospitals/{hospital['hospital_id']}/licences", json={
            "number": "PDY00001231010011A1001", "valid_from": in_days(-800), "valid_to": in_days(1000),
            "scope": "内科;外科;心血管内科专业"}).raise_for_status()
        # A class III device goes through a distributor only under its distribution licence (经营许可证).
        http.post(f"{urls['channel']}/distributors/{distributor['distributor_id']}/licences", json={
            "document_type": "distribution_licence", "number": "苏食药监械经营许20200001号", "valid_from": in_days(-400),
            "valid_to": in_days(1400), "scope": "III类: 6846 植入材料和人工器官, 6877 介入器材"}).raise_for_status()
        http.post(f"{urls['inventory']}/items", json={
            "gtin": DEMO_GTIN, "name": "冠脉支架输送系统 Coronary stent system", "device_class": 3, "model": "3.0x18mm",
            "manufacturer": DEMO_SUPPLIER}).raise_for_status()
        # Pricing rules may select by its product group.
        http.put(f"{urls['inventory']}/items/{DEMO_GTIN}/product-group", json={"group": "冠脉支架"}).raise_for_status()
        # Nothing is received or sold without a registration certificate (注册证) valid on the day.
        http.put(f"{urls['inventory']}/items/{DEMO_GTIN}/registration-certificate", json={
            "number": "国械注准20243130001", "holder": DEMO_SUPPLIER, "valid_from": in_days(-700),
            "valid_to": in_days(1100)}).raise_for_status()
        supplier = http.post(f"{urls['inventory']}/suppliers", headers={"Idempotency-Key": "demo-supplier"},
                             json={"name": DEMO_SUPPLIER}).raise_for_status().json()
        for document_type, number in (("business_licence", "91320500MA1XXXXX0A"),
                                      ("production_licence", "苏食药监械生产许20160001号")):
            http.post(f"{urls['inventory']}/suppliers/{supplier['supplier_id']}/qualifications",
                      json={"document_type": document_type, "number": number, "valid_from": "2024-01-01",
                            "valid_to": in_days(3650)}).raise_for_status()
        # Dates relative to today, so the demo never ages into expired stock or licences.
        lots = ((LATE_LOT, in_days(700)), (EARLY_LOT, in_days(400)))
        http.post(f"{urls['inventory']}/goods-receipts", json={"supplier_id": supplier["supplier_id"], "lines": [
            {"gtin": DEMO_GTIN, "lot": lot, "expiry": expiry, "quantity": 50, "warehouse": "WH-SH", "location": "A-01-01"}
            for lot, expiry in lots]}).raise_for_status()
        for lot, _ in lots:  # received goods stay in quarantine until quality inspection releases them
            http.post(f"{urls['inventory']}/quality/inspections",
                      json={"gtin": DEMO_GTIN, "lot": lot, "warehouse": "WH-SH", "result": "released"}).raise_for_status()

        second = http.post(f"{urls['channel']}/hospitals", headers={"Idempotency-Key": "demo-hospital-2"},
                           json={"name": SECOND_HOSPITAL, "province": "江苏省", "city": "苏州市", "grade": "3A"},
                           ).raise_for_status().json()
        http.post(f"{urls['channel']}/hospitals/{second['hospital_id']}/licences", json={
            "number": "PDY00002332050011A1001", "valid_from": in_days(-800), "valid_to": in_days(1000)},
                  ).raise_for_status()
        # The distributor sells the stents (冠脉支架) in 江苏省 under its authorization (授权书), and nothing else.
        http.post(f"{urls['channel']}/distributors/{distributor['distributor_id']}/authorizations", json={
            "number": "SQ-2026-JS-001", "product_groups": ["冠脉支架"], "provinces": ["江苏省"],
            "valid_from": in_days(-30), "valid_to": in_days(335)}).raise_for_status()
        price_list_id = _prices(http, urls, second["hospital_id"])
        quote_id, contract_id = _quote_and_contract(http, urls, hospital["hospital_id"])
        order_id = ship_order(http, urls, "demo-order", {
            "hospital_id": hospital["hospital_id"], "customer_reference": "PO-DEMO-1", "contract_id": contract_id,
            "lines": [{"gtin": DEMO_GTIN, "quantity": 10}]})  # priced by the system: the contract's price
        wait_for(what="the recall lookup", probe=lambda: http.get(f"{urls['traceability']}/recalls/lookup",
                                                        params={"gtin": DEMO_GTIN, "lot": EARLY_LOT}).json()["consignees"])
        distributor_id = distributor["distributor_id"]
        held_order_id = _credit_hold(http, urls, hospital["hospital_id"])
        changed_order_id = _amended_then_cancelled(http, urls, hospital["hospital_id"])
        recall_id = _sold_through_distributor_then_recalled(http, urls, distributor_id, second)
        partial_order_id = _partial_delivery(http, urls, hospital["hospital_id"], supplier["supplier_id"],
                                             price_list_id)
        loaner_id, usage = _loaner_set(http, urls, hospital["hospital_id"])
        channel = _channel_management(http, urls, hospital, second)
        receivables = _receivables(http, urls, hospital["hospital_id"], distributor_id, second["hospital_id"])
        migrated = _migrated_history(http, urls)
    return (f"demo data loaded: hospital {DEMO_HOSPITAL}: quote {quote_id} approved by a pricing manager and accepted,"
            f" contract {contract_id}\n  from it, order {order_id} priced from the contract and shipped from lot"
            f" {EARLY_LOT} (FEFO);\n"
            f"  10 more units through distributor {DEMO_DISTRIBUTOR} at the 江苏 VBP award price, 6 of them reported"
            f" sold on to {SECOND_HOSPITAL};\n"
            f"  an adverse event on {EARLY_LOT} and the 二级 recall case {recall_id} opened from it.\n"
            f"Try: curl -H \"Authorization: Bearer $(.venv/bin/erp token alice --role recall_officer)\" "
            f"'{urls['traceability']}/recalls/lookup?gtin={DEMO_GTIN}&lot={EARLY_LOT}'\n"
            f"     and '{urls['traceability']}/recalls/{recall_id}/consignees'\n"
            f"A price explained (list price, rules considered, winner):\n"
            f"     curl -H \"Authorization: Bearer $(.venv/bin/erp token olivia --role order_desk)\""
            f" '{urls['channel']}/prices/quote?price_list={price_list_id}&customer={hospital['hospital_id']}"
            f"&gtin={DEMO_GTIN}&quantity=10'\n"
            f"The contract 360 (terms, consumption, orders), the quote as a PDF, and VBP progress:\n"
            f"     '{urls['order']}/contracts/{contract_id}', '{urls['order']}/quotes/{quote_id}/pdf?lang=zh',"
            f" '{urls['order']}/vbp-progress'\n"
            f"An order above the hospital's largest single order waits on a credit hold; finance releases it:\n"
            f"     curl -H \"Authorization: Bearer $(.venv/bin/erp token qian --role finance)\" -X POST"
            f" '{urls['order']}/orders/{held_order_id}/holds/credit/release'"
            f" -d '{{\"reason\": \"客户已承诺回款\", \"expires_on\": \"{in_days(7)}\"}}'\n"
            f"     (finance's worklist: '{urls['order']}/orders?hold=credit'; the exposure:"
            f" '{urls['order']}/customers/{hospital['hospital_id']}/credit')\n"
            f"An order amended from 2 to 4 units (re-reserved by inventory), then cancelled (stock released):\n"
            f"     '{urls['order']}/orders/{changed_order_id}'"
            f" (its events: .venv/bin/erp events show order --aggregate {changed_order_id})\n"
            f"An order of 8 balloon catheters with 5 in stock: 5 shipped, 3 backordered until stock is released:\n"
            f"     '{urls['order']}/orders/{partial_order_id}' (each line's status and shipped quantity)\n"
            f"A loaner set (跟台) of 8 stents: 3 implanted (a usage report by UDI scans, invoiced as order"
            f" {usage['sales_order_id']}), 5 returned for inspection:\n"
            f"     '{urls['inventory']}/consignment-stock?loaner_order_id={loaner_id}',"
            f" '{urls['billing']}/invoices?order_id={usage['sales_order_id']}'\n"
            f"Channel management: {SECOND_DISTRIBUTOR}, a 一级经销商 authorized for 江苏, reported its sell-out by"
            f" hospital names:\n  苏大附一 matched by alias, {DEMO_HOSPITAL} (上海) raised a diversion alert on serial"
            f" DEMO-SN-0001, an unknown name waits in review;\n  its marginal sell-in rebate was settled in part as 货补"
            f" (two stents, a zero-priced order) and the rest as 票折,\n  taken off its next invoice"
            f" {channel['discounted_invoice']}:\n"
            f"     curl -H \"Authorization: Bearer $(.venv/bin/erp token sun --role channel_manager)\""
            f" '{urls['channel']}/rebates/accruals?programme_id={channel['programme_id']}'\n"
            f"     '{urls['channel']}/diversion-alerts', '{urls['traceability']}/sellout-review',"
            f" '{urls['channel']}/promotions', '{urls['channel']}/rebate-settlements',"
            f" '{urls['channel']}/distributors/{channel['distributor_id']}/scorecard', '{urls['channel']}/scorecards'\n"
            f"Receivables: {DEMO_HOSPITAL} paid by bank transfer (allocated oldest due first); its statement (对账单)"
            f" for the month,\n  which its own users confirm or dispute; aging, the dunning list and the ledger export:\n"
            f"     curl -H \"Authorization: Bearer $(.venv/bin/erp token qian --role finance)\""
            f" '{urls['billing']}/customers/{hospital['hospital_id']}/account'\n"
            f"     '{urls['billing']}/statements/{receivables['statement_id']}/pdf?lang=zh',"
            f" '{urls['billing']}/receivables/aging?group=customer', '{urls['billing']}/dunning',\n"
            f"     '{urls['billing']}/invoices/{receivables['first_invoice_id']}/chain' (两票制: {DEMO_DISTRIBUTOR}'s"
            f" invoice to {SECOND_HOSPITAL} citing ours)\n"
            f"Sales figures (invoiced, net of credit notes) by region, channel (direct, distributor, platform), month,"
            f" product; the lines behind any of them:\n"
            f"     curl -H \"Authorization: Bearer $(.venv/bin/erp token sun --role channel_manager)\""
            f" '{urls['analytics']}/sales?group=channel', '{urls['analytics']}/sales/lines?group=region&key=上海市'\n"
            f"Migrated from the old system: {migrated['rows']} shipments of lot {MIGRATED_LOT} made before go-live, imported"
            f" from a file (batch {migrated['correlation_id'][:19]}…);\n  a recall finds the hospitals they reached,"
            f" and the item carries its 医保耗材编码 in the UDI database's submission layout:\n"
            f"     '{urls['traceability']}/recalls/lookup?gtin={DEMO_GTIN}&lot={MIGRATED_LOT}',"
            f" '{urls['inventory']}/items/udi-submission?format=csv', '{urls['inventory']}/retention'\n"
            f"     (templates: '{urls['traceability']}/imports/templates/historical-shipments'; `.venv/bin/erp"
            f" import-kinds` lists every kind)\n"
            f"The distributor's portal sees only its own orders, invoices and recall notices:\n"
            f"     curl -H \"Authorization: Bearer $(.venv/bin/erp token dora --role distributor_user"
            f" --scope distributor:{distributor_id})\" '{urls['traceability']}/recall-notices'")


MIGRATED_LOT = "DEMO-2024"
MIGRATED_SHIPMENTS = (  # delivery note, day, hospital (by name, as the old system's files name it), units
    ("CK-2024-0815", "2024-08-15", DEMO_HOSPITAL, 6), ("CK-2024-1102", "2024-11-02", SECOND_HOSPITAL, 4),
    ("CK-2025-0210", "2025-02-10", DEMO_HOSPITAL, 2))


def _migrated_history(http: httpx.Client, urls: dict[str, str]) -> dict:
    """Go-live: the shipments the old system made of a lot long sold out, imported from its delivery notes (checked by
    a dry run first, as a migration would), so that a recall of that lot finds the hospitals; and the item's 医保耗材编码."""
    http.put(f"{urls['inventory']}/items/{DEMO_GTIN}/insurance-code",
             json={"code": "C0301010010000100049"}).raise_for_status()
    rows = ["出库单号,发货日期,医院名称,产品标识,批号,有效期至,数量"] + [
        f"{note},{day},{hospital},{DEMO_GTIN},{MIGRATED_LOT},{in_days(200)},{units}"
        for note, day, hospital, units in MIGRATED_SHIPMENTS]
    content = ("\n".join(rows) + "\n").encode()

    def upload(dry_run: bool) -> dict:
        return http.post(f"{urls['traceability']}/imports/historical-shipments", params={"dry_run": dry_run},
                         files={"file": ("发货历史-旧系统.csv", content)}, timeout=60).raise_for_status().json()
    # Traceability learns the hospitals from channel's events: the dry run passes once it has.
    wait_for(what="traceability to know the demo hospitals", probe=lambda: upload(True)["created"] == len(rows) - 1)
    report = upload(False)
    wait_for(what="the imported shipments in the recall lookup", probe=lambda: http.get(
        f"{urls['traceability']}/recalls/lookup", params={"gtin": DEMO_GTIN, "lot": MIGRATED_LOT}).json()["consignees"])
    return report


def _prices(http: httpx.Client, urls: dict[str, str], vbp_hospital_id: str) -> str:
    """The rulebook: a list price (tax-inclusive), a rule for 3A hospitals, the 上海 platform ceiling (挂网价), and
    the 江苏 VBP award (中选价) with a hospital's agreed volume (约定采购量); the price list's id."""
    channel = urls["channel"]
    price_list = http.post(f"{channel}/price-lists", headers={"Idempotency-Key": "demo-price-list"},
                           json={"name": "2026年全国目录价 National list 2026"}).raise_for_status().json()
    http.post(f"{channel}/price-lists/{price_list['price_list_id']}/prices", json={
        "gtin": DEMO_GTIN, "price": "1480.00", "valid_from": in_days(-30)}).raise_for_status()
    http.put(f"{channel}/pricing-rules/grade-3a-5pct", json={
        "name": "三甲医院95折 5% off for 3A hospitals", "priority": 10, "valid_from": in_days(-30),
        "scope": {"grades": ["3A"]}, "effect": {"kind": "discount_percent", "value": "5"}}).raise_for_status()
    http.put(f"{channel}/pricing-rules/floor-sh", json={  # a regional policy: in force beside the rule that prices
        "name": "上海市最低限价 Shanghai minimum price", "priority": 10, "valid_from": in_days(-30),
        "scope": {"provinces": ["上海市"]}, "effect": {"kind": "minimum_price", "value": "1300.00"},
        "owner": "华东大区经理 East China regional manager"}).raise_for_status()
    http.put(f"{channel}/tender-prices/ceiling-stent-sh", json={
        "gtin": DEMO_GTIN, "kind": "ceiling", "price": "1450.00", "province": "上海市", "valid_from": in_days(-30),
        "reference": "上海市医药集中招标采购平台挂网 Shanghai platform listing"}).raise_for_status()
    http.put(f"{channel}/tender-prices/vbp-stent-js", json={
        "gtin": DEMO_GTIN, "kind": "award", "price": "700.00", "province": "江苏省", "valid_from": in_days(-30),
        "valid_to": in_days(700), "reference": "国家组织冠脉支架集中带量采购 national coronary stent VBP",
        "agreed_volumes": {vbp_hospital_id: 1200}}).raise_for_status()
    return price_list["price_list_id"]


def _quote_and_contract(http: httpx.Client, urls: dict[str, str], hospital_id: str) -> tuple[str, str]:
    """A quote 6% below the rulebook's price (beyond the desk's 5%): submitted, approved by a pricing manager (a
    second person, with a reason), sent and accepted; then the framework contract drafted from it and signed."""
    order = urls["order"]
    wait_for(what="the order service to learn the customer, the list price and the 3A rule", probe=lambda: (
        r := http.post(f"{order}/orders/validate", json={"hospital_id": hospital_id, "lines": [
            {"gtin": DEMO_GTIN, "quantity": 100}]})).status_code == 200
        and r.json()["lines"][0]["gross_unit_price"] == "1406.0000")
    quote = wait_for(what="the quote", probe=lambda: (
        r := http.post(f"{order}/quotes", headers={"Idempotency-Key": "demo-quote"}, json={
            "customer_id": hospital_id, "valid_until": in_days(30), "note": "2026年度供货报价",
            "lines": [{"gtin": DEMO_GTIN, "quantity": 100, "unit_price": "1320.00"}]})).status_code in (200, 201)
        and r.json())
    quote_id = quote["quote_id"]
    http.post(f"{order}/quotes/{quote_id}/submit").raise_for_status()
    manager = issue_token("demo-pricing-manager", ["pricing_manager"], name="Pricing manager")
    http.post(f"{order}/quotes/{quote_id}/approve", headers={"Authorization": f"Bearer {manager}"},
              json={"reason": "年度框架量100支，同意6%让利"}).raise_for_status()
    http.post(f"{order}/quotes/{quote_id}/send").raise_for_status()
    http.post(f"{order}/quotes/{quote_id}/accept").raise_for_status()
    contract = http.post(f"{order}/contracts", headers={"Idempotency-Key": "demo-contract"}, json={
        "template": "framework", "from_quote_id": quote_id, "valid_from": in_days(-1), "valid_to": in_days(364)},
                         ).raise_for_status().json()
    http.post(f"{order}/contracts/{contract['contract_id']}/sign").raise_for_status()
    return quote_id, contract["contract_id"]


def _credit_hold(http: httpx.Client, urls: dict[str, str], hospital_id: str) -> str:
    """Finance sets the hospital's credit limit (100,000, no single order above 50,000); an order of 40 stents under
    its contract (52,800 含税) then waits on a credit hold, left for finance to release. The held order's id."""
    finance = issue_token("demo-finance", ["finance"], name="Finance")
    http.put(f"{urls['order']}/customers/{hospital_id}/credit-limit", headers={"Authorization": f"Bearer {finance}"},
             json={"limit": "100000.00", "max_order_value": "50000.00", "valid_from": in_days(-1),
                   "payment_terms_days": 120, "reason": "年度授信 annual credit review"}).raise_for_status()
    held = http.post(f"{urls['order']}/orders", headers={"Idempotency-Key": "demo-order-credit"}, json={
        "hospital_id": hospital_id, "customer_reference": "PO-DEMO-2", "lines": [{"gtin": DEMO_GTIN, "quantity": 40}]},
                     ).raise_for_status().json()
    if held["holds"] != ["credit"]:
        raise RuntimeError(f"the demo's credit hold did not happen: {held}")
    return held["order_id"]


def _amended_then_cancelled(http: httpx.Client, urls: dict[str, str], hospital_id: str) -> str:
    """An order of 2 amended to 4 (inventory re-plans its reservation), then cancelled (its stock released)."""
    order = urls["order"]
    placed = http.post(f"{order}/orders", headers={"Idempotency-Key": "demo-order-changed"}, json={
        "hospital_id": hospital_id, "customer_reference": "PO-DEMO-3", "lines": [{"gtin": DEMO_GTIN, "quantity": 2}]},
                       ).raise_for_status().json()
    order_id = placed["order_id"]
    # The order service follows the reservation asynchronously: amend once it has (else the two writes race, 409).
    wait_for(what="the reservation", probe=lambda: http.get(f"{order}/orders/{order_id}").json()["status"]
             == "reserved")
    http.post(f"{order}/orders/{order_id}/amendments", json={"lines": [{"gtin": DEMO_GTIN, "quantity": 4}],
                                                             "reason": "客户加量 the hospital wants more"}).raise_for_status()
    wait_for(what="the amendment", probe=lambda: http.get(f"{order}/orders/{order_id}").json()["amendments"] == 1)
    http.post(f"{order}/orders/{order_id}/cancel", json={"reason": "手术取消 the operation was cancelled"}
              ).raise_for_status()
    wait_for(what="the cancellation", probe=lambda: http.get(f"{order}/orders/{order_id}").json()["status"]
             == "cancelled")
    return order_id


BALLOON_GTIN = "09506000134369"


def _partial_delivery(http: httpx.Client, urls: dict[str, str], hospital_id: str, supplier_id: str,
                      price_list_id: str) -> str:
    """A balloon catheter with 5 in stock and an order for 8: the 5 are reserved, picked and shipped (a partial
    delivery, invoiced); the 3 left wait as a backorder until quality releases more. The order's id."""
    inventory = urls["inventory"]
    http.post(f"{inventory}/items", json={"gtin": BALLOON_GTIN, "name": "球囊扩张导管 Balloon dilatation catheter",
                                          "device_class": 3, "model": "2.5x15mm", "manufacturer": DEMO_SUPPLIER},
              ).raise_for_status()
    http.put(f"{inventory}/items/{BALLOON_GTIN}/registration-certificate", json={
        "number": "国械注准20243030002", "holder": DEMO_SUPPLIER, "valid_from": in_days(-700),
        "valid_to": in_days(1100)}).raise_for_status()
    http.post(f"{urls['channel']}/price-lists/{price_list_id}/prices", json={
        "gtin": BALLOON_GTIN, "price": "2260.00", "valid_from": in_days(-30)}).raise_for_status()
    http.post(f"{inventory}/goods-receipts", json={"supplier_id": supplier_id, "lines": [
        {"gtin": BALLOON_GTIN, "lot": "BAL-01", "expiry": in_days(500), "quantity": 5, "warehouse": "WH-SH"}]},
              ).raise_for_status()
    http.post(f"{inventory}/quality/inspections", json={"gtin": BALLOON_GTIN, "lot": "BAL-01", "warehouse": "WH-SH",
                                                        "result": "released"}).raise_for_status()
    order_id = ship_order(http, urls, "demo-order-partial", {
        "hospital_id": hospital_id, "customer_reference": "PO-DEMO-4", "lines": [{"gtin": BALLOON_GTIN, "quantity": 8}]})
    wait_for(what="the partial delivery", probe=lambda: http.get(f"{urls['order']}/orders/{order_id}").json()[
        "status"] == "partially_shipped")
    return order_id


def _loaner_set(http: httpx.Client, urls: dict[str, str], hospital_id: str) -> tuple[str, dict]:
    """A loaner set (跟台) of 8 stents for an operation: shipped uninvoiced, 3 implanted (a usage report by their UDI
    scans: a sales order, invoiced), the 5 left returned for inspection. The loaner order's id and the usage."""
    loaner_id = ship_order(http, urls, "demo-order-loaner", {
        "hospital_id": hospital_id, "customer_reference": "跟台 OR-2026-07", "order_type": "loaner",
        "lines": [{"gtin": DEMO_GTIN, "quantity": 8}]})
    fulfilment = http.get(f"{urls['inventory']}/fulfilments/{loaner_id}").json()
    shipped = fulfilment["shipments"][0]
    line = shipped["lines"][0]
    usage = http.post(f"{urls['inventory']}/consignments/usage-reports", headers={"Idempotency-Key": "demo-usage"},
                      json={"loaner_order_id": loaner_id, "used_on": in_days(0), "reference": "手术 OR-2026-07",
                            "scans": [udi_scan(DEMO_GTIN, line["expiry"], line["lot"], 3)]}).raise_for_status().json()
    http.post(f"{urls['inventory']}/returns", headers={"Idempotency-Key": "demo-loaner-return"}, json={
        "order_id": loaner_id, "shipment_id": shipped["shipment_id"], "reason": "other", "note": "跟台套件归还",
        "disposition": "restock", "warehouse": "WH-SH-RET", "lines": [{"gtin": DEMO_GTIN, "lot": line["lot"],
                                                                   "quantity": line["quantity"] - 3}]},
              ).raise_for_status()
    return loaner_id, usage


def _channel_management(http: httpx.Client, urls: dict[str, str], hospital: dict, second: dict) -> dict[str, str]:
    """A second distributor admitted, placed as 一级经销商 with a target, authorized for 江苏 and rewarded by a marginal
    sell-in rebate; it ships 12 stents to 苏州 (from the later lot: the recalled one is held) and reports its sell-out
    by hospital names: an alias, a 上海 hospital outside its territory (a diversion alert on the serial) and a name
    nobody registered (the review queue). Its rebate is settled as 票折 by two channel managers and taken off its next
    invoice."""
    channel = urls["channel"]
    distributor_id = http.post(f"{channel}/distributors", headers={"Idempotency-Key": "demo-distributor-2"}, json={
        "name": SECOND_DISTRIBUTOR, "region": "江苏省", "tier": "silver"}).raise_for_status().json()["distributor_id"]
    for document_type, number in (("business_licence", "91320500MA1DEMO02B"),
                                  ("distribution_licence", "苏食药监械经营许20210002号")):
        http.post(f"{channel}/distributors/{distributor_id}/licences", json={
            "document_type": document_type, "number": number, "valid_from": in_days(-300),
            "valid_to": in_days(1500)}).raise_for_status()
    http.put(f"{channel}/distributors/{distributor_id}/placement", json={"level": "tier_1"}).raise_for_status()
    today = business_today()
    business_day = datetime.now(CHINA).date()  # rebate periods and targets run on China's days
    quarter = f"{business_day.year}-Q{(business_day.month - 1) // 3 + 1}"
    http.put(f"{channel}/distributors/{distributor_id}/targets/{quarter}", json={"amount": "10000.00"},
             ).raise_for_status()
    http.post(f"{channel}/distributors/{distributor_id}/authorizations", json={
        "number": "SQ-2026-JS-002", "product_groups": ["冠脉支架"], "provinces": ["江苏省"],
        "valid_from": in_days(-30), "valid_to": in_days(335)}).raise_for_status()
    http.post(f"{channel}/hospitals/{second['hospital_id']}/aliases", json={"alias": "苏大附一"}).raise_for_status()
    programme = http.post(f"{channel}/rebate-programmes", json={
        "number": f"DEMO-FL-{business_day.year}", "name": f"{business_day.year} 一级经销商季度返利", "basis": "sell_in",
        "measure": "amount", "kind": "marginal", "period": "quarter", "valid_from": f"{business_day.year}-01-01",
        "valid_to": f"{business_day.year}-12-31", "distributor_tiers": ["tier_1"],
        "tiers": [{"from": "0", "to": "5000", "rate": "2"}, {"from": "5000", "rate": "5"}]}).raise_for_status().json()
    through = {"hospital_id": second["hospital_id"], "ship_to_distributor_id": distributor_id}
    ship_order(http, urls, "demo-channel-1", {**through, "lines": [{"gtin": DEMO_GTIN, "quantity": 12}]})
    wait_for(what="the lineage to know the shipment to the distributor", probe=lambda: any(
        c["consignee_id"] == distributor_id for c in http.get(f"{urls['traceability']}/recalls/lookup", params={
            "gtin": DEMO_GTIN, "lot": LATE_LOT}).json()["consignees"]))
    portal = issue_token("demo-distributor-2-user", ["distributor_user"], name="Distributor portal user",
                         scopes=[f"distributor:{distributor_id}"])
    sold = {"gtin": DEMO_GTIN, "lot": LATE_LOT, "sold_at": today.isoformat()}
    http.post(f"{urls['traceability']}/sellout-reports", headers={"Authorization": f"Bearer {portal}"}, json={
        "distributor_id": distributor_id, "report_reference": "DEMO-SELLOUT-2",
        "period": {"start": today.replace(day=1).isoformat(), "end": today.isoformat()},
        "lines": [{**sold, "hospital_name": "苏大附一", "quantity": 3},
                  {**sold, "hospital_name": DEMO_HOSPITAL, "quantity": 1, "serials": ["DEMO-SN-0001"]},
                  {**sold, "hospital_name": "昆山市某某医院", "quantity": 2}]}).raise_for_status()
    wait_for(what="the accrual", probe=lambda: Decimal(http.get(f"{channel}/rebates/accruals", params={
        "programme_id": programme["programme_id"], "distributor_id": distributor_id}).json()["distributors"][0][
        "due"]) > 0)
    second_manager = issue_token("demo-channel-manager-2", ["channel_manager"], name="Second channel manager")
    # Settled in two parts, each proposed by one channel manager and approved by another: first 货补, two stents
    # valued at the 货补 price list's 100 (a zero-priced order to the distributor), then the rest as 票折.
    goods_list = http.post(f"{channel}/price-lists", headers={"Idempotency-Key": "demo-free-goods-list"},
                           json={"name": "货补价 Free-goods valuation"}).raise_for_status().json()["price_list_id"]
    http.post(f"{channel}/price-lists/{goods_list}/prices", json={
        "gtin": DEMO_GTIN, "price": "100.00", "valid_from": in_days(-30)}).raise_for_status()
    for number, how in ((f"DEMO-GOODS-{quarter}", {"mode": "free_goods", "free_goods_gtin": DEMO_GTIN,
                                                    "price_list_id": goods_list}),
                        (f"DEMO-RS-{quarter}", {"mode": "invoice_discount"})):
        http.post(f"{channel}/rebate-programmes/{programme['programme_id']}/settlements", json={
            "distributor_id": distributor_id, "settlement_no": number, "through_period": quarter,
            **how}).raise_for_status()
        http.post(f"{channel}/rebate-programmes/{programme['programme_id']}/settlements/{number}/approve",
                  headers={"Authorization": f"Bearer {second_manager}"},
                  json={"distributor_id": distributor_id, "reason": "季度返利核对无误"}).raise_for_status()
    wait_for(what="billing to grant the rebate", probe=lambda: Decimal(http.get(
        f"{urls['billing']}/rebate-allowances/{distributor_id}").json()["balance"]) > 0)
    later = ship_order(http, urls, "demo-channel-2", {**through, "lines": [{"gtin": DEMO_GTIN, "quantity": 2}]})
    # Next month's promotion in 江苏: 5% off the stents through distributors, up to 10,000 of discount in all.
    next_month = (business_day.replace(day=1) + timedelta(days=32)).replace(day=1)
    http.post(f"{channel}/promotions", json={
        "number": f"DEMO-PROMO-{next_month:%Y%m}", "name": f"{next_month:%Y年%m月} 江苏支架促销",
        "valid_from": next_month.isoformat(), "valid_to": ((next_month + timedelta(days=32)).replace(day=1)
                                                           - timedelta(days=1)).isoformat(),
        "scope": {"provinces": ["江苏省"], "groups": ["冠脉支架"], "channels": ["distributor"]},
        "effect": {"kind": "discount_percent", "value": "5"}, "budget": "10000.00"}).raise_for_status()
    http.post(f"{channel}/promotions", json={  # and 买十赠一 for 上海's hospitals buying direct
        "number": f"DEMO-BUY10-{next_month:%Y%m}", "name": f"{next_month:%Y年%m月} 上海支架买十赠一",
        "valid_from": next_month.isoformat(), "valid_to": ((next_month + timedelta(days=32)).replace(day=1)
                                                           - timedelta(days=1)).isoformat(),
        "scope": {"provinces": ["上海市"], "groups": ["冠脉支架"], "channels": ["direct"]},
        "effect": {"kind": "free_goods", "value": "10+1"}, "budget": "20000.00"}).raise_for_status()
    invoice = wait_for(what="the discounted invoice", probe=lambda: http.get(
        f"{urls['billing']}/invoices", params={"order_id": later}).json()["items"])[0]
    return {"distributor_id": distributor_id, "programme_id": programme["programme_id"],
            "discounted_invoice": invoice["invoice_id"]}


def _receivables(http: httpx.Client, urls: dict[str, str], hospital_id: str, distributor_id: str,
                 second_hospital_id: str) -> dict[str, str]:
    """Finance's side: the hospital pays part of what it owes by bank transfer (allocated oldest due first), its
    statement for the month is issued; the distributor records its invoice to the second hospital citing ours
    (两票制)."""
    billing = urls["billing"]
    finance = {"Authorization": f"Bearer {issue_token('demo-finance', ['finance'], name='Finance')}"}
    balance = wait_for(what="the hospital's account", probe=lambda: Decimal(http.get(
        f"{billing}/customers/{hospital_id}/account", headers=finance).json()["balance"]) or None)
    today = datetime.now(CHINA).date()
    http.post(f"{billing}/payments", headers={**finance, "Idempotency-Key": "demo-payment"}, json={
        "customer_id": hospital_id, "amount": str((balance / 2).quantize(Decimal("0.01"))), "currency": "CNY",
        "received_on": today.isoformat(), "bank_reference": "ICBC-DEMO-0001",
        "payer": DEMO_HOSPITAL}).raise_for_status()
    wait_for(what="the payment on the account", probe=lambda: Decimal(http.get(
        f"{billing}/customers/{hospital_id}/account", headers=finance).json()["balance"]) < balance)
    statement = http.post(f"{billing}/statements", headers=finance, json={
        "customer_id": hospital_id, "period_start": today.replace(day=1).isoformat(),
        "period_end": today.isoformat()}).raise_for_status().json()
    first = http.get(f"{billing}/invoices", params={"bill_to_distributor_id": distributor_id}).json()["items"][-1]
    number = http.get(f"{billing}/invoices/{first['invoice_id']}", headers=finance).json()["number"]
    lot = http.get(f"{billing}/invoices/{first['invoice_id']}", headers=finance).json()["lines"][0]["lot"]
    http.post(f"{billing}/second-invoices", headers=finance, json={
        "distributor_id": distributor_id, "number": "25322000000000000001", "hospital_id": second_hospital_id,
        "issued_on": today.isoformat(), "lines": [{"gtin": DEMO_GTIN, "lot": lot, "quantity": 6,
                                                   "first_invoice_number": number}]}).raise_for_status()
    return {"statement_id": statement["statement_id"], "first_invoice_id": first["invoice_id"]}


def ship_order(http: httpx.Client, urls: dict[str, str], key: str, body: dict) -> str:
    """Place an order, pick every reserved unit by its UDI scan and dispatch it; the order's id."""
    order = wait_for(what="the order service to learn the customer", probe=lambda: (
        r := http.post(f"{urls['order']}/orders", headers={"Idempotency-Key": key}, json=body)
    ).status_code in (200, 201) and r.json())  # 422 until the order service knows the hospital or distributor
    order_id = order["order_id"]
    if order["status"] == "on_hold":  # a typed price: a pricing manager (a second person) approves it
        manager = issue_token("demo-pricing-manager", ["pricing_manager"], name="Pricing manager")
        http.post(f"{urls['order']}/orders/{order_id}/price-decision", headers={"Authorization": f"Bearer {manager}"},
                  json={"decision": "approve", "reason": "the typed price stands"}).raise_for_status()
    fulfilment = wait_for(what="the reservation", probe=lambda: (
        r := http.get(f"{urls['inventory']}/fulfilments/{order_id}")).status_code == 200 and r.json()["reserved"]
        and r.json())
    # Every reserved unit is confirmed by its UDI scan before dispatch (INVENTORY_PICKING_REQUIRED).
    http.post(f"{urls['inventory']}/fulfilments/{order_id}/picks", json={"scans": [
        udi_scan(line["gtin"], line["expiry"], line["lot"], line["quantity"]) for line in fulfilment["reserved"]]},
              ).raise_for_status()
    http.post(f"{urls['inventory']}/fulfilments/{order_id}/dispatch",
              json={"carrier": "SF Express", "tracking_number": f"SF-{key}"}).raise_for_status()
    return order_id


def _sold_through_distributor_then_recalled(http: httpx.Client, urls: dict[str, str], distributor_id: str,
                                           second: dict) -> str:
    """A second hospital supplied through the distributor at the VBP award price, and the distributor reports its
    sell-out; then a serious injury is reported for the lot and a 二级 recall opened from it: the case lists all three
    consignees."""
    ship_order(http, urls, "demo-order-2", {
        "hospital_id": second["hospital_id"], "ship_to_distributor_id": distributor_id,
        "lines": [{"gtin": DEMO_GTIN, "quantity": 10}]})
    # The report is checked against what the lineage knows the distributor received: wait until it knows.
    wait_for(what="the lineage to know the distributor's shipment", probe=lambda: any(
        c["consignee_id"] == distributor_id for c in http.get(f"{urls['traceability']}/recalls/lookup", params={
            "gtin": DEMO_GTIN, "lot": EARLY_LOT}).json()["consignees"]))
    today = business_today()
    # The distributor reports through its portal: a distributor_user whose scope is its own distributor.
    portal = issue_token("demo-distributor-user", ["distributor_user"], name="Distributor portal user",
                         scopes=[f"distributor:{distributor_id}"])
    http.post(f"{urls['traceability']}/sellout-reports", headers={"Authorization": f"Bearer {portal}"}, json={
        "distributor_id": distributor_id, "report_reference": "DEMO-SELLOUT-1",
        "period": {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()},
        "lines": [{"hospital_id": second["hospital_id"], "gtin": DEMO_GTIN, "lot": EARLY_LOT, "quantity": 6,
                   "sold_at": today.isoformat()}]}).raise_for_status()
    wait_for(what="the lineage to know the sell-out", probe=lambda: any(
        c["consignee_id"] == second["hospital_id"] for c in http.get(f"{urls['traceability']}/recalls/lookup", params={
            "gtin": DEMO_GTIN, "lot": EARLY_LOT}).json()["consignees"]))
    aware = datetime.now(UTC) - timedelta(hours=3)
    adverse = http.post(f"{urls['traceability']}/adverse-events", headers={"Idempotency-Key": "demo-adverse"}, json={
        "gtin": DEMO_GTIN, "lot": EARLY_LOT, "hospital_id": second["hospital_id"], "outcome": "serious_injury",
        "description": "支架输送系统回撤困难，导致血管损伤", "became_aware_at": aware.isoformat()}).raise_for_status().json()
    recall = http.post(f"{urls['traceability']}/adverse-events/{adverse['adverse_event_id']}/recall",
                       headers={"Idempotency-Key": "demo-recall"}, json={
                           "title": "冠脉支架输送系统召回", "level": 2, "reason": "输送系统回撤困难，存在血管损伤风险",
                           "decided_at": (aware + timedelta(hours=2)).isoformat()}).raise_for_status().json()
    # The distributor is told through its portal, where its users read the notice (GET /recall-notices).
    http.post(f"{urls['traceability']}/recalls/{recall['recall_id']}/notifications", json={
        "consignee_id": distributor_id, "notified_at": datetime.now(UTC).isoformat(), "method": "portal"},
              ).raise_for_status()
    return recall["recall_id"]
