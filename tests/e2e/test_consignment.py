"""Consignment (寄售) and surgical loaner sets (跟台), through HTTP and Kafka only: a loaner set of 8 implants ships
uninvoiced to the hospital, where it is visible as consignment stock; a usage report of the 3 implanted becomes a sales
order that billing invoices; the 5 left come back as a return (quarantined for inspection), never one more. A
consignment replenishment stocks the hospital's consignment location, and the unit it reports used is invoiced."""

from decimal import Decimal

import httpx

from services.demo import in_days, udi_scan
from tests.e2e.commerce import as_, list_price, stocked_item
from tests.waiting import wait_for

GTIN = "09506000134352"
DESK, WAREHOUSE = as_("desk-zhou", "order_desk"), as_("wh-li", "warehouse")


def test_a_loaner_set_s_used_implants_are_invoiced_and_the_rest_returned(stack, http: httpx.Client):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    channel, order, inventory, billing = url("channel"), url("order"), url("inventory"), url("billing")
    hospital = http.post(f"{channel}/hospitals", json={"name": "云南省第一人民医院", "province": "云南省",
                                                       "grade": "3A"}).json()["hospital_id"]
    expiry = stocked_item(http, inventory, GTIN, "K1", 20, "WH-KM")
    list_price(http, channel, GTIN, "1130.00")

    def shipped(order_type: str, quantity: int) -> dict:
        body = {"hospital_id": hospital, "order_type": order_type, "lines": [{"gtin": GTIN, "quantity": quantity}]}
        placed = wait_for(lambda: (r := httpx.post(f"{order}/orders", headers=DESK, json=body)).status_code == 201
                          and r.json(), "the order service to learn the hospital and price")
        assert (placed["order_type"], placed["holds"]) == (order_type, [])
        order_id = placed["order_id"]
        wait_for(lambda: http.get(f"{inventory}/fulfilments/{order_id}").json().get("status") == "reserved",
                 f"the {order_type} order's reservation")
        http.post(f"{inventory}/fulfilments/{order_id}/picks", headers=WAREHOUSE, json={"scans": [
            udi_scan(GTIN, expiry, "K1", quantity)]}).raise_for_status()
        dispatched = http.post(f"{inventory}/fulfilments/{order_id}/dispatch", headers=WAREHOUSE, json={
            "carrier": "SF Express", "tracking_number": f"SF-{order_type}"})
        assert dispatched.status_code == 200, dispatched.text
        return dispatched.json()

    loaner = shipped("loaner", 8)
    loaner_id, shipment_id = loaner["order_id"], loaner["shipments"][0]["shipment_id"]
    at_hospital = wait_for(lambda: http.get(f"{inventory}/consignment-stock", params={
        "loaner_order_id": loaner_id}).json()["items"], "the set at the hospital")
    assert [(row["kind"], row["lot"], row["quantity"]) for row in at_hospital] == [("loaner", "K1", 8)]

    # The operation used 3 implants: reported by their UDI scans, they become a sales order that is invoiced.
    usage = httpx.post(f"{inventory}/consignments/usage-reports", headers=DESK, json={
        "loaner_order_id": loaner_id, "scans": [udi_scan(GTIN, expiry, "K1", 3)], "used_on": in_days(0),
        "reference": "手术 KM-2026-1130-02"})
    assert usage.status_code == 201, usage.text
    assert (usage.json()["units_left"], usage.json()["used"][0]["quantity"]) == (5, 3)
    sales_order = usage.json()["sales_order_id"]
    invoice = wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": sales_order}).json()["items"],
                       "the invoice of the implants used")
    assert Decimal(invoice[0]["gross_total"]) == Decimal("3390.00")  # 3 x 1,130
    assert http.get(f"{billing}/invoices", params={"order_id": loaner_id}).json()["items"] == []  # the set: not sold
    consumed = httpx.get(f"{order}/orders/{sales_order}", headers=DESK).json()
    assert (consumed["order_type"], consumed["status"], consumed["lines"][0]["quantity"]) == ("consumption",
                                                                                             "shipped", 3)

    # The 5 left come back for inspection; a sixth is not there to return.
    def returned(quantity: int) -> httpx.Response:
        return http.post(f"{inventory}/returns", json={
            "order_id": loaner_id, "shipment_id": shipment_id, "reason": "other", "note": "跟台套件归还",
            "disposition": "restock", "warehouse": "WH-KM-RET", "lines": [{"gtin": GTIN, "lot": "K1",
                                                                          "quantity": quantity}]})
    too_many = returned(6)
    assert (too_many.status_code, too_many.json()["rule"]) == (409, "consigned-units-present"), too_many.text
    assert returned(5).status_code == 201
    wait_for(lambda: http.get(f"{inventory}/consignment-stock", params={"loaner_order_id": loaner_id}).json()[
        "items"] == [], "the set to leave the hospital")

    # Consignment stock: replenished, and the unit used is invoiced.
    shipped("consignment", 4)
    wait_for(lambda: [(r["kind"], r["quantity"]) for r in http.get(f"{inventory}/consignment-stock", params={
        "consignee_id": hospital}).json()["items"]] == [("consignment", 4)], "the consignment stock")
    used = httpx.post(f"{inventory}/consignments/usage-reports", headers=DESK, json={
        "consignee_id": hospital, "scans": [udi_scan(GTIN, expiry, "K1", 1)], "used_on": in_days(0),
        "reference": "使用登记 2026-11-30"})
    assert used.status_code == 201, used.text
    invoice = wait_for(lambda: http.get(f"{billing}/invoices", params={
        "order_id": used.json()["sales_order_id"]}).json()["items"], "the invoice of the consigned unit used")
    assert Decimal(invoice[0]["gross_total"]) == Decimal("1130.00")
