"""Quote -> contract -> order -> shipment -> invoice, through HTTP and Kafka only: a quote beyond the desk's authority
approved by a second person, a contract drafted from it, an order priced from the contract and invoiced at its price;
an order with a typed price held until a pricing manager approves it; a VBP hospital's order priced at the award and
its completion rate moving."""

from decimal import Decimal

import httpx

from services.demo import in_days, udi_scan
from tests.e2e.commerce import PRICING, as_, list_price, stocked_item
from tests.waiting import wait_for

GTIN = "09506000134352"


DESK, SUPERVISOR = as_("desk-wang", "order_desk"), as_("sup-zhao", "order_supervisor")


def test_a_quote_becomes_a_contract_whose_price_orders_and_invoices_carry(stack, http: httpx.Client):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    channel, order, inventory, billing = url("channel"), url("order"), url("inventory"), url("billing")
    hospital = http.post(f"{channel}/hospitals", json={"name": "浙江大学医学院附属第一医院", "province": "浙江省",
                                                       "city": "杭州市", "grade": "3A"}).json()["hospital_id"]
    vbp_hospital = http.post(f"{channel}/hospitals", json={"name": "苏州大学附属第一医院", "province": "江苏省",
                                                           "grade": "3A"}).json()["hospital_id"]
    expiry = stocked_item(http, inventory, GTIN, "Q1", 100, "WH-HZ")
    # The rulebook: list price 1,480 (含税), 5% off for 3A hospitals, the 江苏 VBP award at 700 with 100 units agreed.
    list_price(http, channel, GTIN, "1480.00")
    http.put(f"{channel}/pricing-rules/3a", headers=PRICING, json={
        "name": "三甲95折", "priority": 10, "valid_from": in_days(-10), "scope": {"grades": ["3A"]},
        "effect": {"kind": "discount_percent", "value": "5"}}).raise_for_status()
    http.put(f"{channel}/tender-prices/vbp-js", headers=PRICING, json={
        "gtin": GTIN, "kind": "award", "price": "700.00", "province": "江苏省", "valid_from": in_days(-10),
        "valid_to": in_days(355), "reference": "国家组织冠脉支架集中带量采购", "agreed_volumes": {vbp_hospital: 100}},
             ).raise_for_status()

    wait_for(lambda: (r := httpx.post(f"{order}/orders/validate", headers=DESK, json={
        "hospital_id": hospital, "lines": [{"gtin": GTIN, "quantity": 1}]})).status_code == 200
        and r.json()["lines"][0]["gross_unit_price"] == "1406.0000",
        "the order service to learn the hospital, the item, its list price and the 3A rule")
    # A quote 6.1% below the rulebook's 1,406: beyond the desk's 5%, so a pricing manager approves it.
    quote = wait_for(lambda: (r := httpx.post(f"{order}/quotes", headers=DESK, json={
        "customer_id": hospital, "valid_until": in_days(30),
        "lines": [{"gtin": GTIN, "quantity": 50, "unit_price": "1320.00"}]})).status_code == 201 and r.json(),
        "the quote")
    assert (quote["lines"][0]["computed_price"], quote["lines"][0]["price_source"]) == ("1406.0000", "manual")
    assert "beyond the 5" in quote["approval_reasons"][0]
    quote_id = quote["quote_id"]
    assert httpx.post(f"{order}/quotes/{quote_id}/submit", headers=DESK).json()["status"] == "submitted"
    own = httpx.post(f"{order}/quotes/{quote_id}/approve", headers={**DESK}, json={"reason": "ok"})
    assert own.status_code == 403  # the desk cannot approve prices at all
    approved = httpx.post(f"{order}/quotes/{quote_id}/approve", headers=PRICING, json={"reason": "年度50支，同意让利"})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text
    httpx.post(f"{order}/quotes/{quote_id}/send", headers=DESK).raise_for_status()
    assert httpx.post(f"{order}/quotes/{quote_id}/accept", headers=DESK).json()["status"] == "accepted"
    pdf = httpx.get(f"{order}/quotes/{quote_id}/pdf", headers=DESK)
    assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")

    contract = httpx.post(f"{order}/contracts", headers=SUPERVISOR, json={
        "template": "framework", "from_quote_id": quote_id, "valid_from": in_days(-1), "valid_to": in_days(364)}).json()
    contract_id = contract["contract_id"]
    assert contract["terms"]["lines"][0]["unit_price"] == "1320.0000"
    assert httpx.post(f"{order}/contracts/{contract_id}/sign", headers=SUPERVISOR).json()["status"] == "active"

    # The order is priced from the contract (1,320 含税 = 1,168.14 net), shipped and invoiced at that price.
    placed = httpx.post(f"{order}/orders", headers=DESK, json={
        "hospital_id": hospital, "contract_id": contract_id, "lines": [{"gtin": GTIN, "quantity": 10}]}).json()
    line = placed["lines"][0]
    assert (placed["status"], line["price_source"], line["gross_unit_price"], line["unit_price"]) == (
        "placed", "contract", "1320.0000", "1168.14")
    fulfilment = wait_for(lambda: (r := http.get(f"{inventory}/fulfilments/{placed['order_id']}")).status_code == 200
                          and r.json()["status"] == "reserved" and r.json(), "the reservation")
    http.post(f"{inventory}/fulfilments/{placed['order_id']}/picks", json={"scans": [
        udi_scan(GTIN, expiry, "Q1", 10)]}).raise_for_status()
    http.post(f"{inventory}/fulfilments/{placed['order_id']}/dispatch", json={
        "carrier": "SF Express", "tracking_number": "SF-Q1"}).raise_for_status()
    assert fulfilment["ship_to_hospital_id"] == hospital
    (invoice,) = wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": placed["order_id"]}).json()[
        "items"], "the invoice")
    assert (Decimal(invoice["net_total"]), Decimal(invoice["gross_total"])) == (Decimal("11681.40"), Decimal("13199.98"))
    three_sixty = wait_for(lambda: (c := httpx.get(f"{order}/contracts/{contract_id}", headers=DESK).json())[
        "consumption"][0]["invoiced"] == 10 and c, "the contract's consumption")
    assert {k: three_sixty["consumption"][0][k] for k in ("committed", "most", "ordered", "shipped", "invoiced")} == {
        "committed": 50, "most": 55, "ordered": 10, "shipped": 10, "invoiced": 10}
    assert [o["order_id"] for o in three_sixty["orders"]] == [placed["order_id"]]
    beyond = httpx.post(f"{order}/orders", headers=DESK, json={
        "hospital_id": hospital, "contract_id": contract_id, "lines": [{"gtin": GTIN, "quantity": 46}]})
    assert (beyond.status_code, beyond.json()["rule"]) == (409, "contract-volume-exceeded")

    # A typed price holds the order: nothing is reserved until a pricing manager approves it.
    typed = httpx.post(f"{order}/orders", headers=DESK, json={
        "hospital_id": hospital, "lines": [{"gtin": GTIN, "quantity": 1, "unit_price": "900.00"}]}).json()
    assert (typed["status"], typed["holds"], typed["lines"][0]["price_source"]) == ("on_hold", ["price_approval"],
                                                                                     "manual")
    assert http.get(f"{inventory}/fulfilments/{typed['order_id']}").status_code == 404
    decided = httpx.post(f"{order}/orders/{typed['order_id']}/price-decision", headers=PRICING,
                         json={"decision": "approve", "reason": "清库存特价"})
    assert (decided.status_code, decided.json()["status"]) == (200, "placed"), decided.text
    wait_for(lambda: http.get(f"{inventory}/fulfilments/{typed['order_id']}").status_code == 200,
             "the released order's reservation")

    # The VBP hospital's order takes the award price; its completion rate moves from 0 to 20 of 100.
    before = wait_for(lambda: httpx.get(f"{order}/vbp-progress", headers=DESK, params={
        "hospital_id": vbp_hospital}).json()["items"], "the agreed volume")
    assert (before[0]["agreed"], before[0]["ordered"]) == (100, 0)
    vbp = wait_for(lambda: (r := httpx.post(f"{order}/orders", headers=DESK, json={
        "hospital_id": vbp_hospital, "lines": [{"gtin": GTIN, "quantity": 20}]})).status_code == 201 and r.json(),
                   "the order service to learn the VBP hospital")
    assert (vbp["lines"][0]["price_source"], vbp["lines"][0]["gross_unit_price"]) == ("award", "700.0000")
    after = wait_for(lambda: (rows := httpx.get(f"{order}/vbp-progress", headers=DESK, params={
        "hospital_id": vbp_hospital}).json()["items"])[0]["ordered"] == 20 and rows, "the completion rate")
    assert after[0]["completion_rate"] == "0.2000"
