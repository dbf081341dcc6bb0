"""The largest order the API accepts goes all the way through: listed, reserved, shipped and invoiced with its exact
amounts. (1,000 units at 99,999,999,999,999.99 were once accepted and then dead-lettered by the order list, so the
order never appeared; such input is refused now, and everything the API accepts fits everywhere downstream.)"""

from decimal import Decimal

from services.demo import in_days, udi_scan
from shared.domain.money import MAX_DOCUMENT_AMOUNT, MAX_UNIT_PRICE
from tests.items import registered_item_via_api
from tests.waiting import wait_for
from tests.apitools import approve_typed_prices

GTIN = "09506000134352"
QUANTITY = int(MAX_DOCUMENT_AMOUNT // MAX_UNIT_PRICE)  # 1,000 units at the highest unit price: just under the bound


def test_the_largest_accepted_order_is_listed_shipped_and_invoiced_exactly(stack, http):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    hospital = http.post(f"{url('channel')}/hospitals", json={"name": "北京协和医院", "province": "北京市", "grade": "3A"}).json()
    registered_item_via_api(http, None, GTIN, base_url=url("inventory"))
    supplier = http.post(f"{url('inventory')}/suppliers", json={"name": "苏州医疗器械制造有限公司"}).json()
    for document_type in ("business_licence", "production_licence"):
        http.post(f"{url('inventory')}/suppliers/{supplier['supplier_id']}/qualifications", json={
            "document_type": document_type, "number": f"{document_type}-1", "valid_from": "2024-01-01",
            "valid_to": in_days(3650)}).raise_for_status()
    expiry = in_days(500)
    http.post(f"{url('inventory')}/goods-receipts", json={"supplier_id": supplier["supplier_id"], "lines": [
        {"gtin": GTIN, "lot": "BIG", "expiry": expiry, "quantity": QUANTITY, "warehouse": "WH-BJ"}]}).raise_for_status()
    http.post(f"{url('inventory')}/quality/inspections", json={
        "gtin": GTIN, "lot": "BIG", "warehouse": "WH-BJ", "result": "released"}).raise_for_status()

    body = {"hospital_id": hospital["hospital_id"], "lines": [
        {"gtin": GTIN, "quantity": QUANTITY, "unit_price": str(MAX_UNIT_PRICE)}]}
    order = wait_for(lambda: (r := http.post(f"{url('order')}/orders", json=body)).status_code == 201 and r.json(),
                     "the order service to learn the hospital and the item")
    order = approve_typed_prices(http, order, url("order"))
    net = MAX_UNIT_PRICE * QUANTITY
    listed = wait_for(lambda: [o for o in http.get(f"{url('order')}/orders").json()["items"]
                               if o["order_id"] == order["order_id"] and o["status"] == "reserved"], "the reserved order")
    assert (Decimal(listed[0]["total_amount"]), listed[0]["hospital_name"]) == (net, "北京协和医院")

    http.post(f"{url('inventory')}/fulfilments/{order['order_id']}/picks",
              json={"scans": [udi_scan(GTIN, expiry, "BIG", QUANTITY)]}).raise_for_status()
    http.post(f"{url('inventory')}/fulfilments/{order['order_id']}/dispatch",
              json={"carrier": "SF Express", "tracking_number": "SF-BIG"}).raise_for_status()
    invoices = wait_for(lambda: http.get(f"{url('billing')}/invoices", params={"order_id": order["order_id"]}).json()["items"],
                        "the invoice")
    (invoice,) = invoices
    assert invoice["hospital_name"] == "北京协和医院"  # names beside ids
    assert Decimal(invoice["net_total"]) == net
    assert Decimal(invoice["gross_total"]) == Decimal(invoice["net_total"]) + Decimal(invoice["vat_total"])
    assert Decimal(invoice["vat_total"]) == (net * Decimal("0.13")).quantize(Decimal("0.01"))
