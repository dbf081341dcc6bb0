"""Receivables through HTTP and Kafka only: an order shipped and invoiced with each item's own VAT rate, a part of it
returned with credit (a credit note, 红字, follows by itself), a second order invoiced, one payment allocated oldest
due first across both invoices, the month's statement issued as PDF and xlsx, a line of it disputed by the
hospital's own user — aging puts it apart and dunning leaves it out until finance resolves the dispute — and the
month's ledger exported once, balanced, the credit note in red."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from openpyxl import load_workbook

from services.demo import in_days, ship_order
from shared.domain.business_day import business_day
from shared.platform.auth import issue_token
from tests.e2e.commerce import PRICING, as_, stocked_item
from tests.items import certificate
from tests.waiting import wait_for

STENT, REAGENT = "09506000134352", "09506000134369"  # a class III stent (13% VAT), a reagent at 3%
FINANCE, WAREHOUSE = as_("fin-he", "finance"), as_("wh-zhang", "warehouse")


def test_invoiced_returned_credited_paid_stated_disputed_and_exported(stack, http: httpx.Client):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    channel, inventory, billing = url("channel"), url("inventory"), url("billing")
    urls = {s: url(s) for s in ("channel", "order", "inventory", "billing", "traceability")}
    today = business_day(datetime.now(UTC))

    hospital = http.post(f"{channel}/hospitals", json={"name": "浙江省人民医院", "province": "浙江省", "grade": "3A",
                                                       "contact": {"name": "财务科 李会计", "phone": "0571-85893000"}}
                         ).json()["hospital_id"]
    stocked_item(http, inventory, STENT, "AR-1", 20, "WH-SH")
    http.post(f"{inventory}/items", json={"gtin": REAGENT, "name": "检测试剂", "device_class": 2,
                                          "vat_rate": "0.03"}).raise_for_status()
    http.put(f"{inventory}/items/{REAGENT}/registration-certificate", json=certificate("国械注准20242400001"),
             ).raise_for_status()
    # Qualified by stocked_item; inventory's list shows it once its read model has caught up.
    supplier = wait_for(lambda: next((s["supplier_id"] for s in http.get(f"{inventory}/suppliers").json()["items"]),
                                     None), "the supplier in inventory's list")
    http.post(f"{inventory}/goods-receipts", json={"supplier_id": supplier, "lines": [
        {"gtin": REAGENT, "lot": "RG-1", "expiry": in_days(400), "quantity": 50, "warehouse": "WH-SH"}]}
              ).raise_for_status()
    http.post(f"{inventory}/quality/inspections", json={"gtin": REAGENT, "lot": "RG-1", "warehouse": "WH-SH",
                                                        "result": "released"}).raise_for_status()
    prices = http.post(f"{channel}/price-lists", headers=PRICING, json={"name": "目录价"}).json()["price_list_id"]
    for gtin, price in ((STENT, "1130.00"), (REAGENT, "103.00")):
        http.post(f"{channel}/price-lists/{prices}/prices", headers=PRICING, json={
            "gtin": gtin, "price": price, "valid_from": in_days(-10)}).raise_for_status()

    # Two orders shipped and invoiced: 4 stents and 10 reagents, then 2 stents.
    first = ship_order(http, urls, "ar-1", {"hospital_id": hospital, "lines": [{"gtin": STENT, "quantity": 4},
                                                                               {"gtin": REAGENT, "quantity": 10}]})
    second = ship_order(http, urls, "ar-2", {"hospital_id": hospital, "lines": [{"gtin": STENT, "quantity": 2}]})

    def invoice_of(order_id: str) -> dict:
        found = wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": order_id}).json()["items"],
                         "the invoice")[0]
        return httpx.get(f"{billing}/invoices/{found['invoice_id']}", headers=FINANCE).json()

    one, two = invoice_of(first), invoice_of(second)
    assert [(line["gtin"], Decimal(line["vat_rate"]), line["vat_amount"]) for line in one["lines"]] == [
        (STENT, Decimal("0.13"), "520.00"), (REAGENT, Decimal("0.03"), "30.00")]  # 4 x 1,000 net at 13%, 10 x 100 at 3%
    assert (one["gross_total"], one["issued_on"], one["payment_terms_source"]) == ("5550.00", str(today), "default")
    assert one["number"].startswith(f"INV-{today.year}-") and one["due_on"] == str(today + timedelta(days=90))

    # One stent comes back damaged, with credit: billing issues the credit note (红字) by itself.
    shipment = http.get(f"{inventory}/fulfilments/{first}").json()["shipments"][0]["shipment_id"]
    returned = httpx.post(f"{inventory}/returns", headers=WAREHOUSE, json={
        "order_id": first, "shipment_id": shipment, "reason": "damaged", "disposition": "quarantine",
        "warehouse": "WH-RET", "lines": [{"gtin": STENT, "lot": "AR-1", "quantity": 1}]})
    assert returned.status_code == 201, returned.text
    credited = wait_for(lambda: (i := httpx.get(f"{billing}/invoices/{one['invoice_id']}", headers=FINANCE).json())[
        "credit_notes"] and i, "the credit note")
    note = credited["credit_notes"][0]
    assert (note["reason"], note["gross_total"], credited["open_amount"]) == ("return", "-1130.00", "4420.00")
    assert note["number"].startswith(f"CN-{today.year}-")

    # One payment: the first invoice in full (oldest due first, then by number), the rest to the second.
    wait_for(lambda: httpx.get(f"{billing}/customers/{hospital}/account", headers=FINANCE).json()["balance"]
             == "6680.00", "the account")  # 5,550 - 1,130 + 2,260
    paid = httpx.post(f"{billing}/payments", headers=FINANCE, json={
        "customer_id": hospital, "amount": "5000.00", "currency": "CNY", "received_on": str(today),
        "bank_reference": "ICBC-20261130-0001", "payer": "浙江省人民医院"})
    assert paid.status_code == 201, paid.text
    assert paid.json()["allocations"] == {one["invoice_id"]: "4420.00", two["invoice_id"]: "580.00"}

    # The month's statement: opening balance, the invoices, the credit note, the payment; as PDF and xlsx.
    wait_for(lambda: httpx.get(f"{billing}/customers/{hospital}/account", headers=FINANCE).json()["balance"]
             == "1680.00", "the payment on the account")
    statement = httpx.post(f"{billing}/statements", headers=FINANCE, json={
        "customer_id": hospital, "period_start": str(today.replace(day=1)), "period_end": str(today)}).json()
    assert [(line["kind"], line["amount"]) for line in statement["lines"]] == [
        ("invoice", "5550.00"), ("invoice", "2260.00"), ("credit_note", "-1130.00"), ("payment", "-5000.00")]
    assert statement["closing_balance"] == "1680.00"
    pdf = httpx.get(f"{billing}/statements/{statement['statement_id']}/pdf", headers=FINANCE)
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    xlsx = httpx.get(f"{billing}/statements/{statement['statement_id']}/xlsx", headers=FINANCE, params={"lang": "en"})
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content)).active.max_row > 4

    # The hospital's own user disputes the second invoice's line; a stranger cannot see the statement.
    own = {"Authorization": f"Bearer {issue_token('h-li', ['hospital_user'], scopes=[f'hospital:{hospital}'])}"}
    disputed = httpx.post(f"{billing}/statements/{statement['statement_id']}/answer", headers=own, json={
        "disputes": [{"line_no": 2, "reason": "只收到一支，另一支未到货"}]})
    assert (disputed.status_code, disputed.json()["status"]) == (200, "disputed"), disputed.text
    stranger = {"Authorization": f"Bearer {issue_token('x', ['hospital_user'], scopes=['hospital:' + first])}"}
    assert httpx.get(f"{billing}/statements/{statement['statement_id']}", headers=stranger).status_code == 404

    # Aging puts the disputed invoice apart; dunning — even planned past its due date — leaves it out.
    account = wait_for(lambda: (a := httpx.get(f"{billing}/customers/{hospital}/account", headers=FINANCE).json())[
        "aging"]["disputed"] == "1680.00" and a, "the dispute in the aging")
    assert sum(Decimal(v) for v in account["aging"].values()) == Decimal(account["balance"])
    later = {"as_of": str(today + timedelta(days=120))}
    assert httpx.get(f"{billing}/dunning", headers=FINANCE, params=later).json()["items"] == []
    resolved = httpx.post(f"{billing}/statements/{statement['statement_id']}/lines/2/resolve", headers=FINANCE,
                          json={"outcome": "rejected", "note": "签收单显示两支均已签收"})
    assert resolved.json()["status"] == "resolved", resolved.text
    due = wait_for(lambda: httpx.get(f"{billing}/dunning", headers=FINANCE, params=later).json()["items"],
                   "the resolved invoice back in dunning")
    assert [(d["number"], d["open"], d["contact"]["name"]) for d in due] == [(two["number"], "1680.00", "财务科 李会计")]

    # The month's ledger: balanced vouchers, the credit note in red; exported once.
    period = f"{today:%Y-%m}"
    exported = httpx.post(f"{billing}/ledger-exports", headers=FINANCE, json={"period": period, "format": "csv"})
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert sum(Decimal(r["借方金额"]) for r in rows) == sum(Decimal(r["贷方金额"]) for r in rows) > 0
    assert {r["借方金额"] for r in rows if r["摘要"].startswith("红字") and r["科目代码"] == "1122"} == {"-1130.00"}
    assert {r["凭证号"] for r in rows} == {"1", "2", "3", "4"}  # two invoices, the credit note, the payment
    again = httpx.post(f"{billing}/ledger-exports", headers=FINANCE, json={"period": period})
    assert (again.status_code, again.json()["rule"]) == (409, "ledger-period-exported")
