"""Real flows through the console in headless Chromium, each as the person who does it, against the services on
Kafka and PostgreSQL: a new customer's order from quote to shipment; a recall from lookup to its reports; a
distributor who sees its own data only; a hospital accepting a delivery on a phone by scanning; the channel
manager's charts. axe-core checks the main pages for serious and critical accessibility violations."""

import csv
import io
import re
import time
from datetime import date, datetime

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from services.demo import (
    DEMO_DISTRIBUTOR, DEMO_GTIN, DEMO_HOSPITAL, EARLY_LOT, SECOND_DISTRIBUTOR, SECOND_HOSPITAL, in_days, ship_order, udi_scan,
)
from shared.domain.business_day import CHINA
from shared.platform.settings import SERVICES
from shared.platform.waiting import wait_for
from tests.browser.conftest import ARTIFACTS, Console, assert_accessible, choose, login, shoot


def scan_of(gtin: str, expiry: str, lot: str) -> str:
    """A GS1 UDI as a scanner may send it in human-readable form: (01) GTIN (17) expiry YYMMDD (10) lot."""
    return f"(01){gtin}(17){date.fromisoformat(expiry).strftime('%y%m%d')}(10){lot}"


# A phone's camera as the console sees it: the browser's BarcodeDetector and one camera (Debian's Chromium has
# neither): each detect() answers the next code the test queued in window.__udiCodes.
FAKE_CAMERA = """(() => {
  window.__udiCodes = [];
  window.BarcodeDetector = class {
    constructor(options) { this.formats = (options && options.formats) || []; }
    static async getSupportedFormats() { return ["data_matrix", "qr_code", "code_128", "ean_13"]; }
    async detect() { const code = window.__udiCodes.shift(); return code ? [{ rawValue: code, format: "data_matrix" }] : []; }
  };
  const devices = navigator.mediaDevices;
  if (!devices) return;
  devices.enumerateDevices = async () => [{ kind: "videoinput", deviceId: "fake", label: "", groupId: "" }];
  devices.getUserMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 64;
    canvas.getContext("2d").fillRect(0, 0, 64, 64);
    return canvas.captureStream(5);
  };
})();"""


def scan(page: Page, code: str) -> None:
    """What a scanner does: type into the focused field and press Enter."""
    field = page.get_by_test_id("scan")
    field.click()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def reload_until(page: Page, test_id: str, text: str, timeout: float = 60) -> None:
    """Reload until the element shows `text`: what the services do by themselves (reserve, follow a shipment) takes
    a moment, and the page shows what it read when it loaded."""
    deadline = time.monotonic() + timeout
    while page.get_by_test_id(test_id).inner_text() != text:
        assert time.monotonic() < deadline, f"{test_id} still shows {page.get_by_test_id(test_id).inner_text()!r}"
        time.sleep(0.5)
        page.reload()


def reload_until_shown(page: Page, locator: Locator, what: str, timeout: float = 60) -> None:
    """Reload until `locator` is shown. Each load is given a few seconds to fetch and render: a count taken right
    after `reload()` sees the table before its request has answered and would reload again, forever."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(locator).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            assert time.monotonic() < deadline, what
            page.reload()


def new_hospital(console: Console, name: str) -> str:
    """A customer registered by master data, with its practice licence, once the order service knows it."""
    with console.staff("master_data") as http:
        hospital = http.post(f"{console.urls['channel']}/hospitals", json={
            "name": name, "province": "上海市", "city": "上海市", "grade": "3A"}).raise_for_status().json()
        http.post(f"{console.urls['channel']}/hospitals/{hospital['hospital_id']}/licences", json={
            "number": f"PDY{hospital['hospital_id'][:8]}", "valid_from": in_days(-100), "valid_to": in_days(900)},
                  ).raise_for_status()
    with console.staff("order_desk") as http:
        wait_for(what="the order service to learn the new hospital", probe=lambda: http.post(
            f"{console.urls['order']}/orders/validate", json={"hospital_id": hospital["hospital_id"], "lines": [
                {"gtin": DEMO_GTIN, "quantity": 1}]}).status_code == 200)
    return hospital["hospital_id"]


def test_a_new_customers_order_from_quote_to_shipment(page: Page, console: Console):
    hospital_name = "上海市第六人民医院"
    new_hospital(console, hospital_name)
    login(page, "order_supervisor", username="olivia", then="/quotes/new")

    # The quote, priced by the rulebook (no typed price: within the desk's authority, approved on submission).
    choose(page, "customer_id", hospital_name)
    choose(page, "lines_0_gtin", DEMO_GTIN)
    page.locator("#lines_0_quantity").fill("5")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("quote-status")).to_have_text("草稿")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("quote-status")).to_have_text("已批准")
    page.get_by_role("button", name="发送客户").click()
    expect(page.get_by_test_id("quote-status")).to_have_text("已发送")
    page.get_by_role("button", name="客户接受").click()
    expect(page.get_by_test_id("quote-status")).to_have_text("已接受")
    page.get_by_role("row").filter(has_text=DEMO_GTIN).locator(".ant-table-row-expand-icon").click()
    explanation = page.get_by_test_id("price-explanation")
    expect(explanation).to_contain_text("¥1,406.00")  # the list price, 1,480.00, less the 3A rule's 5%
    expect(explanation).to_contain_text("grade-3a-5pct")
    shoot(page, "quote")

    # The contract from the accepted quote, signed; then an order under it, checked before it is placed.
    page.get_by_role("button", name="据此起草合同").click()
    page.get_by_role("dialog").get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("contract-status")).to_have_text("草稿")
    page.get_by_role("button", name="签署").click()
    expect(page.get_by_test_id("contract-status")).not_to_have_text("草稿")
    page.get_by_role("button", name="按合同下单").click()
    choose(page, "lines_0_gtin", DEMO_GTIN)
    page.locator("#lines_0_quantity").fill("2")
    page.locator("#customer_reference").fill("PO-BROWSER-1")
    page.get_by_role("button", name="预校验").click()
    validation = page.get_by_test_id("validation")
    expect(validation).to_contain_text("校验通过")
    expect(validation).to_contain_text("contract")  # priced from the contract just signed
    shoot(page, "order-check", docs=True)
    page.get_by_role("button", name="下单").click()
    expect(page).to_have_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    order_id = page.url.rsplit("/", 1)[1]
    reload_until(page, "order-status", "已预留")

    # The customer wants one more: the order amended (the reason is required), re-planned by inventory.
    page.get_by_role("button", name="修改订单").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#amend_lines_0_quantity").fill("3")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog.locator(".ant-form-item-explain-error")).to_have_count(1)  # no reason: nothing sent
    dialog.locator("#amend_reason").fill("医院追加一件 the hospital wants one more")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog).to_be_hidden()
    reload_until(page, "order-amendments", "1")  # applied once inventory re-planned it
    reload_until(page, "order-status", "已预留")

    # The warehouse picks the reserved units by scanning each one, then dispatches.
    page.get_by_role("button", name="退出").click()
    login(page, "warehouse", username="wang", then="/warehouse/picking")
    pick_list = page.get_by_test_id("pick-list").get_by_role("link", name=order_id[:8])  # the warehouse's worklist
    reload_until_shown(page, pick_list, "the order never reached the pick list")
    pick_list.click()
    reserved = page.get_by_test_id("reserved")
    expect(reserved).to_contain_text(DEMO_GTIN)
    expect(page.get_by_test_id("camera-scan")).to_have_count(0)  # no BarcodeDetector in this browser: no camera button
    with console.staff("warehouse") as http:
        lines = http.get(f"{console.urls['inventory']}/fulfilments/{order_id}").json()["reserved"]
    for line in lines:
        for _ in range(line["quantity"]):
            scan(page, scan_of(line["gtin"], line["expiry"], line["lot"]))
    assert sum(line["quantity"] for line in lines) == 3  # as amended
    for line in lines:
        expect(reserved.get_by_role("row").filter(has_text=line["lot"]).first).to_contain_text(
            f"{line['quantity']} / {line['quantity']}")
    page.get_by_role("button", name="确认拣货").click()
    page.get_by_label("运单号").fill("SF-BROWSER-1")
    page.get_by_role("button", name="发运").click()
    expect(page.get_by_test_id("fulfilment-shipments")).to_contain_text("SF-BROWSER-1")
    shoot(page, "picking", docs=True)

    # The order 360 shows it shipped, with the shipment's lot.
    page.get_by_role("button", name="退出").click()
    login(page, "order_supervisor", username="olivia", then=f"/orders/{order_id}")
    reload_until(page, "order-status", "已发货")
    expect(page.get_by_test_id("shipments")).to_contain_text("SF-BROWSER-1")
    expect(page.get_by_role("main")).to_contain_text(hospital_name)  # the name beside the id
    shoot(page, "order-360", docs=True)
    assert_accessible(page, "order 360")


def test_a_recall_from_lookup_to_report_download(page: Page, console: Console):
    login(page, "recall_officer", username="rui", then="/recalls/lookup")
    assert_accessible(page, "recall lookup form")
    page.get_by_role("textbox", name="GTIN", exact=True).fill(DEMO_GTIN)
    page.get_by_role("textbox", name="批号", exact=True).fill(EARLY_LOT)
    page.get_by_role("button", name="查询").click()
    consignees = page.get_by_test_id("lookup-consignees")
    for name in (DEMO_HOSPITAL, DEMO_DISTRIBUTOR, SECOND_HOSPITAL):  # the one reached through the sell-out too
        expect(consignees).to_contain_text(name)
    shoot(page, "recall-lookup", docs=True)

    page.get_by_role("button", name="发起召回").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#title").fill("浏览器测试召回 browser test recall")
    dialog.locator("#reason").fill("包装密封不良 seal defect")
    dialog.get_by_role("button", name="确认").click()
    expect(page.get_by_test_id("recall-status")).to_have_text("进行中")
    case = page.get_by_test_id("recall-consignees")
    for name in (DEMO_HOSPITAL, DEMO_DISTRIBUTOR, SECOND_HOSPITAL):
        expect(case).to_contain_text(name)

    # Notify the hospital by phone: its row then shows when.
    case.get_by_role("row").filter(has_text=DEMO_HOSPITAL).first.get_by_role("button", name="通知").click()
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(case.get_by_role("row").filter(has_text=DEMO_HOSPITAL).first.get_by_role("button", name="回执")).to_be_visible()
    shoot(page, "recall-case", docs=True)
    assert_accessible(page, "recall case")

    # Taking the lot out of scope takes two officers: the proposer's own approval is refused by the domain (409).
    reductions = page.get_by_test_id("scope-reductions")
    reductions.get_by_role("button", name="提议缩减范围").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(f"{DEMO_GTIN} / {EARLY_LOT}").check()
    dialog.locator("#reduce_reason").fill("该批次已确认未使用受影响组件 the lot does not use the faulty part")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog).to_be_hidden()
    expect(reductions.get_by_test_id("proposal-status")).to_have_text("待第二人审批")
    reductions.get_by_role("button", name="批准").click()
    expect(reductions.get_by_test_id("problem")).to_contain_text("409")
    expect(reductions.get_by_test_id("problem")).to_contain_text("four-eyes")

    # The reports as the regulator gets them: a PDF and a spreadsheet, downloaded through the gateway.
    for label, magic in (("召回事件报告 PDF", b"%PDF"), ("召回实施报告 XLSX", b"PK")):
        with page.expect_download() as downloading:
            page.get_by_role("button", name=label).click()
        saved = ARTIFACTS / downloading.value.suggested_filename
        downloading.value.save_as(saved)
        assert saved.read_bytes().startswith(magic), saved

    # Closing takes two officers: the one who asks cannot approve; a second one does.
    page.get_by_role("button", name="申请结案").click()
    page.get_by_role("dialog").locator("#summary").fill("全部收货方已通知并回收 all consignees notified and recovered")
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(page.get_by_test_id("closure-requested")).to_contain_text("user:rui")
    expect(page.get_by_role("button", name="批准结案（第二人）")).to_have_count(0)
    case_url = page.url
    page.get_by_role("button", name="退出").click()
    login(page, "recall_officer", username="ming", then=case_url.split(console.url, 1)[1])
    reductions = page.get_by_test_id("scope-reductions")  # a second officer turns the proposal down, with a reason
    reductions.get_by_role("button", name="驳回").click()
    page.get_by_role("dialog").locator("#reject_reason").fill("证据不足 not shown to be unaffected")
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(reductions.get_by_test_id("proposal-status")).to_have_text("已驳回")
    page.get_by_role("button", name="批准结案（第二人）").click()
    expect(page.get_by_test_id("recall-status")).to_have_text("已关闭")


def test_a_distributor_sees_only_its_own_data(page: Page, console: Console):
    mine = console.demo["distributors"][DEMO_DISTRIBUTOR]
    with console.staff("order_desk") as http:
        orders = http.get(f"{console.urls['order']}/orders", params={"limit": 200}).json()["items"]
    others = [o for o in orders if o["ship_to_distributor_id"] != mine["distributor_id"]]
    own = [o for o in orders if o["ship_to_distributor_id"] == mine["distributor_id"]]
    assert own and others

    login(page, "distributor_user", username="dora", organisation=DEMO_DISTRIBUTOR, then="/orders")
    rows = page.get_by_test_id("orders").locator("tbody tr.ant-table-row")
    expect(rows).to_have_count(len(own))
    for n in range(len(own)):
        expect(rows.nth(n)).to_contain_text(DEMO_DISTRIBUTOR)
    expect(page.get_by_test_id("orders")).not_to_contain_text(others[0]["order_id"][:8])
    shoot(page, "distributor-orders", docs=True)
    assert_accessible(page, "distributor's orders")

    # Another customer's order by its URL: answered as if it did not exist.
    page.goto(f"/orders/{others[0]['order_id']}")
    expect(page.get_by_test_id("problem")).to_contain_text("404")
    expect(page.get_by_test_id("order-status")).to_have_count(0)

    # Its own figures from analytics (kept to its own data by the service), with charts.
    page.goto("/my-sales")
    expect(page.get_by_test_id("chart-my-sales").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("rebate-allowance")).to_be_visible()

    # Its rebates: it has none, and another distributor's settlements are not shown to it.
    page.get_by_role("link", name="我的返利").click()
    expect(page.get_by_test_id("my-settlements").locator(".ant-empty")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text(SECOND_DISTRIBUTOR)

    # Its recall notice, acknowledged from the portal; and a sell-out upload whose bad row comes back with its row
    # number and rule.
    page.goto("/recall-notices")
    notices = page.get_by_test_id("recall-notices")
    expect(notices).to_contain_text("冠脉支架输送系统召回")
    notices.get_by_role("row").filter(has_text="冠脉支架输送系统召回").get_by_role("button", name="确认收到").click()
    expect(page.get_by_role("dialog").locator("#ack_acknowledged_by")).to_have_value("dora")
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(notices.get_by_test_id("notice-acknowledged")).to_contain_text("dora")
    page.goto("/sellout/upload")
    second = console.demo["hospitals"][SECOND_HOSPITAL]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["hospital_id", "gtin", "lot", "quantity", "sold_at"])
    today = datetime.now(CHINA).date().isoformat()  # the distributor's day, as the console's period defaults to
    writer.writerow([second["hospital_id"], DEMO_GTIN, EARLY_LOT, 1, today])
    writer.writerow([second["hospital_id"], DEMO_GTIN, "批号有中文", 1, today])  # not a GS1 lot
    page.locator("#report_reference").fill("BROWSER-SELLOUT-1")
    page.locator("input[type=file]").set_input_files(files=[{"name": "sellout.csv", "mimeType": "text/csv",
                                                             "buffer": text.getvalue().encode()}])
    page.get_by_role("button", name="上传").click()
    rejected = page.get_by_test_id("rows-rejected")
    expect(rejected).to_contain_text("lot")
    expect(rejected.locator("tbody tr")).to_have_count(1)
    expect(rejected.locator("tbody tr").first).to_contain_text("3")  # the header is row 1
    shoot(page, "sellout-upload")

    # Its stock: an inventory report (进销存) uploaded, reconciled per lot against what it received and sold.
    page.get_by_role("link", name="我的库存").click()
    expect(page.get_by_test_id("reconciliation")).to_contain_text("尚未上报库存")
    page.locator("#report_reference").fill("BROWSER-STOCK-1")
    page.locator("input[type=file]").set_input_files(files=[{"name": "stock.csv", "mimeType": "text/csv",
                                                             "buffer": f"gtin,lot,quantity\n{DEMO_GTIN},{EARLY_LOT},99\n".encode()}])
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("stock-upload-answer")).to_contain_text("BROWSER-STOCK-1")
    reconciliation = page.get_by_test_id("reconciliation")
    expect(reconciliation.get_by_role("row").filter(has_text=EARLY_LOT)).to_contain_text("99")
    expect(reconciliation.get_by_test_id("variances")).not_to_have_text("0")  # it holds more than it could have
    expect(reconciliation).to_contain_text("冠脉支架输送系统")  # the item's name beside its GTIN
    shoot(page, "distributor-stock", docs=True)
    assert_accessible(page, "distributor's stock")

    # The other distributor's user sees its own rebates: what it earned under the programme, and its settlements.
    page.get_by_role("button", name="退出").click()
    login(page, "distributor_user", username="su", organisation=SECOND_DISTRIBUTOR, then="/my-rebates")
    expect(page.get_by_test_id("rebate-programme")).to_contain_text(f"DEMO-FL-{datetime.now(CHINA).year}")
    expect(page.get_by_test_id("my-settlements")).to_contain_text("DEMO-RS-")
    expect(page.get_by_test_id("my-scorecard")).to_contain_text(re.compile(r"¥[12]0,000\.00"))  # its quarter's target
    expect(page.get_by_role("main")).not_to_contain_text(DEMO_DISTRIBUTOR)
    shoot(page, "distributor-rebates")
    assert_accessible(page, "distributor's rebates")


@pytest.mark.phone
def test_a_hospital_accepts_a_delivery_on_a_phone_by_scanning(page: Page, console: Console):
    hospital = console.demo["hospitals"][DEMO_HOSPITAL]
    with console.staff("order_desk", "warehouse", "master_data") as http:
        order_id = ship_order(http, console.urls, "browser-acceptance", {
            "hospital_id": hospital["hospital_id"], "customer_reference": "PO-PHONE-1",
            "lines": [{"gtin": DEMO_GTIN, "quantity": 3}]})
        fulfilment = http.get(f"{console.urls['inventory']}/fulfilments/{order_id}").json()
        shipment = fulfilment["shipments"][0]
        http.post(f"{console.urls['inventory']}/fulfilments/{order_id}/shipments/{shipment['shipment_id']}/delivery",
                  json={"received_by": "设备科"}).raise_for_status()
    with console.staff("order_desk") as http:
        wait_for(what="the order to show shipped", probe=lambda: http.get(
            f"{console.urls['order']}/orders/{order_id}").json()["status"] == "shipped")

    page.add_init_script(FAKE_CAMERA)
    login(page, "hospital_user", username="hu", organisation=DEMO_HOSPITAL, then="/acceptance")
    page.get_by_test_id("acceptance-orders").locator(".ant-list-item", has_text="PO-PHONE-1").get_by_role(
        "button").click()
    page.get_by_test_id("acceptance-shipments").get_by_role("button", name="扫码验收").click()
    units = [line for line in shipment["lines"] for _ in range(line["quantity"])]
    for line in units[:-1]:
        scan(page, scan_of(line["gtin"], line["expiry"], line["lot"]))
    # The last unit read by the phone's camera: the decoded GS1 element string goes through the same parse.
    last = units[-1]
    page.evaluate("code => window.__udiCodes.push(code)", udi_scan(last["gtin"], last["expiry"], last["lot"])[3:])
    page.get_by_test_id("camera-scan").click()
    expect(page.get_by_test_id("acceptance-count").first).to_have_text("✓ 3 / 3")
    expect(page.get_by_test_id("acceptance-count").first).to_have_attribute("data-complete", "true")
    shoot(page, "hospital-acceptance", docs=True)
    assert_accessible(page, "acceptance on a phone")
    page.get_by_role("button", name="确认验收").click()
    expect(page.get_by_test_id("accepted")).to_be_visible()
    with console.staff("warehouse") as http:
        accepted = http.get(f"{console.urls['inventory']}/fulfilments/{order_id}").json()["shipments"][0]
    assert accepted["accepted_by"] == "hu"
    assert not accepted.get("discrepancies")

    # Its statement (对账单) from finance: a line disputed, with the reason, from the phone.
    page.goto("/finance/statements")
    page.get_by_test_id("statements").get_by_role("button", name="打开").first.click()
    detail = page.get_by_test_id("statement-detail")
    expect(detail.get_by_test_id("statement-status")).to_have_text("已发送")
    detail.get_by_role("checkbox", name="争议 #1").check()
    detail.locator("#dispute-reason").fill("该发票金额与我院入库记录不符 does not match our receiving records")
    detail.get_by_role("button", name="对所选行提出异议").click()
    expect(detail.get_by_test_id("statement-status")).to_have_text("有争议")
    shoot(page, "hospital-statement")
    assert_accessible(page, "a statement on a phone")


def test_the_channel_dashboard_renders_its_charts(page: Page, console: Console):
    login(page, "channel_manager", username="sun", then="/dashboard")
    for chart in ("chart-ranking", "chart-rebates", "chart-inventory-health", "chart-return-reasons"):
        expect(page.get_by_test_id(chart).locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("diversion")).to_contain_text("DEMO")  # the demo's diversion alert, on its lot
    expect(page.get_by_test_id("promotion-effects")).to_contain_text("DEMO-PROMO-202701")  # the demo's, measured
    sales = page.get_by_test_id("chart-sales-region")
    if "analytics" in SERVICES:  # analytics projects the demo's orders: a bar per region
        reload_until_shown(page, sales.locator("canvas").first, "the sales chart stayed empty")
        expect(sales.locator("canvas")).to_have_count(1)
    else:
        expect(sales).to_have_attribute("data-empty", "true")
        expect(sales).to_contain_text("销售分析服务暂不可用")
    shoot(page, "channel-dashboard", docs=True)
    assert_accessible(page, "channel dashboard")

    # A distributor's target for this quarter, set from the dashboard.
    targets = page.get_by_test_id("targets")
    choose(page, "distributor_id", SECOND_DISTRIBUTOR)
    quarter = f"{datetime.now(CHINA).year}-Q{(datetime.now(CHINA).month - 1) // 3 + 1}"
    expect(targets.get_by_test_id("target-list")).to_contain_text(quarter)  # the demo's target
    targets.locator("#amount").fill("20000")
    targets.get_by_role("button", name="保存").click()
    expect(targets.get_by_test_id("target-list").get_by_role("row").filter(has_text=quarter)).to_contain_text("¥20,000.00")


def test_the_gateway_answers_problems_for_what_it_cannot_forward(console: Console):
    unknown = httpx.get(f"{console.url}/api/nosuch/orders")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, "application/problem+json")
    refused = httpx.post(f"{console.url}/api/session", json={"username": "x", "role": "emperor"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "role"
    portal = httpx.post(f"{console.url}/api/session", json={"username": "x", "role": "hospital_user"})
    assert portal.status_code == 422 and portal.json()["errors"][0]["field"] == "scopes"
    no_token = httpx.get(f"{console.url}/api/order/orders")
    assert no_token.status_code == 401  # the service decides, the gateway only forwards
    with console.staff("auditor") as http:  # forwarded as sent: a Chinese query value, percent-encoded, reaches the service
        found = http.get(f"{console.url}/api/channel/hospitals", params={"name": DEMO_HOSPITAL}).json()
    assert [h["name"] for h in found["items"]] == [DEMO_HOSPITAL]
    spa = httpx.get(f"{console.url}/orders/some/deep/link")
    assert spa.status_code == 200 and '<div id="root">' in spa.text


def test_finance_records_a_payment_allocated_oldest_due_first_and_reads_the_aging(page: Page, console: Console):
    login(page, "finance", username="qian", then="/finance/payments")
    choose(page, "customer_id", DEMO_HOSPITAL)
    page.locator("#amount").fill("1000.10")
    page.locator("#bank_reference").fill("BANK-BROWSER-1")
    page.locator("#payer").fill(DEMO_HOSPITAL)
    page.get_by_role("button", name="保存").click()
    row = page.get_by_test_id("payments").get_by_role("row").filter(has_text="BANK-BROWSER-1")
    expect(row).to_contain_text("¥1,000.10")
    with console.staff("finance") as http:
        payments = http.get(f"{console.urls['billing']}/payments", params={"limit": 100}).json()["items"]
    paid = next(p for p in payments if p["bank_reference"] == "BANK-BROWSER-1")
    assert (paid["booked"], paid["customer_name"]) == ("1000.10", DEMO_HOSPITAL)
    assert paid["allocated"] != "0.00"  # the hospital has invoices open: allocated at once, oldest due first

    page.goto("/finance/aging")
    expect(page.get_by_test_id("chart-aging").locator("canvas")).to_have_count(1)
    expect(page.get_by_role("main")).to_contain_text(DEMO_HOSPITAL)
    assert_accessible(page, "aging")

    # An invoicing error corrected by a full credit note (红冲) on the newest invoice.
    page.goto("/finance/invoices")
    first = page.get_by_test_id("invoices").locator("tbody tr.ant-table-row").first
    short_id = first.locator("td").first.inner_text()
    first.get_by_role("button", name="开红字发票").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog.locator(".ant-form-item-explain-error")).to_have_count(1)  # the reason is required: nothing sent
    dialog.locator("#note").fill("开票单价有误 wrong unit price on the invoice")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog).to_be_hidden()
    with console.staff("finance") as http:
        invoices = http.get(f"{console.urls['billing']}/invoices", params={"limit": 200}).json()["items"]
        invoice_id = next(i["invoice_id"] for i in invoices if i["invoice_id"].startswith(short_id))
        credited = http.get(f"{console.urls['billing']}/invoices/{invoice_id}").json()
    assert len(credited["credit_notes"]) == 1 and credited["open_amount"] in ("0", "0.00")

    # Another payment kept unapplied, then allocated to an invoice finance names.
    page.goto("/finance/payments")
    choose(page, "customer_id", DEMO_HOSPITAL)
    page.locator("#amount").fill("10.00")
    page.locator("#bank_reference").fill("BANK-BROWSER-2")
    page.locator("#payer").fill(DEMO_HOSPITAL)
    page.locator("#allocate").click()  # not at once
    page.get_by_role("button", name="保存").click()
    row = page.get_by_test_id("payments").get_by_role("row").filter(has_text="BANK-BROWSER-2")
    row.get_by_role("button", name="核销到指定发票").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("allocation-invoices").locator("tbody input").first.fill("4.00")
    expect(dialog.get_by_test_id("allocation-total")).to_contain_text("¥4.00")
    dialog.get_by_role("button", name="确认").click()
    expect(dialog).to_be_hidden()
    expect(row).to_contain_text("¥6.00")  # unapplied: 10.00 less the 4.00 allocated

    # A bank statement: the line whose payer is a customer's name is matched and paid; the other waits for finance
    # to name its customer, with a reason.
    page.get_by_role("link", name="银行流水").click()
    today = datetime.now(CHINA).date().isoformat()
    statement = (f"date,amount,payer,bank_reference,memo\n{today},1.00,{DEMO_HOSPITAL},BANK-STMT-1,\n"
                 f"{today},2.00,某某贸易公司,BANK-STMT-2,代付货款\n{today},x,nobody,BANK-STMT-3,\n")
    page.locator("input[type=file]").set_input_files(files=[{"name": "statement.csv", "mimeType": "text/csv",
                                                             "buffer": statement.encode()}])
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("bank-rows-rejected")).to_contain_text("amount")  # row 4, not read
    lines = page.get_by_test_id("bank-statement")
    expect(lines.get_by_test_id("bank-unmatched")).to_have_text("1")
    expect(lines.get_by_role("row").filter(has_text="BANK-STMT-1")).to_contain_text(DEMO_HOSPITAL)
    expect(page.get_by_test_id("bank-statements")).to_contain_text("statement.csv")  # the statements imported
    shoot(page, "bank-statement", docs=True)
    assert_accessible(page, "bank statement")
    lines.get_by_role("row").filter(has_text="BANK-STMT-2").get_by_role("button", name="指定客户").click()
    choose(page, "customer_id", DEMO_HOSPITAL)
    page.get_by_role("dialog").locator("#reason").fill("客户来电确认为其代付 the customer confirmed it paid through a trading company")
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(lines.get_by_test_id("bank-unmatched")).to_have_text("0")
    expect(lines.get_by_role("row").filter(has_text="BANK-STMT-2")).to_contain_text(DEMO_HOSPITAL)


def test_an_auditor_reads_who_did_what_and_why_in_english(page: Page, console: Console):
    with console.staff("order_desk") as http:
        cancelled = http.get(f"{console.urls['order']}/orders", params={"status": "cancelled"}).json()["items"]
    order_id = cancelled[0]["order_id"]  # the demo's order amended, then cancelled, each with its reason
    login(page, "auditor", username="audrey", then="/audit")
    page.get_by_label("语言").first.click()
    page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text="English").click()
    for service in SERVICES:  # each service's hash chain, recomputed and checked against the signed checkpoints
        expect(page.get_by_test_id(f"chain-{service}").get_by_test_id("chain-verdict")).to_have_text("Intact")
    page.get_by_label("Aggregate ID").fill(order_id)
    page.get_by_role("button", name="Search").click()
    history = page.get_by_test_id("audit-history")
    expect(history).to_contain_text("Who")
    expect(history).to_contain_text("手术取消 the operation was cancelled")
    expect(history).to_contain_text("user:demo-loader")
    assert_accessible(page, "audit history")


def test_quality_holds_a_lot_with_a_reason_and_releases_it(page: Page, console: Console):
    login(page, "quality", username="qa-li", then="/warehouse/quality")
    row = page.get_by_role("row").filter(has_text="BAL-01")  # the demo's balloon catheters, available
    expect(row.get_by_text("可用")).to_be_visible()
    row.get_by_role("button", name="手工冻结").click()
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(page.get_by_role("dialog").locator(".ant-form-item-explain-error")).to_have_count(1)  # a reason first
    page.get_by_role("dialog").locator("#reason").fill("外包装破损待查 damaged outer packaging")
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(row.get_by_text("冻结中")).to_be_visible()
    expect(page.get_by_role("dialog")).to_be_hidden()  # closed, not still fading out while axe looks at the page
    assert_accessible(page, "quality")
    row.get_by_role("button", name="解除").click()
    page.get_by_role("dialog").locator("#reason").fill("复检合格 re-inspected, fine")
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(row.get_by_text("可用")).to_be_visible()
    with console.staff("quality") as http:
        lots = http.get(f"{console.urls['inventory']}/stock", params={"lot": "BAL-01"}).json()["items"]
    assert {lot["status"] for lot in lots} == {"available"}
