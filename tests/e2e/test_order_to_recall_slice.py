"""The thin slice, through HTTP and Kafka only: hospital -> item, qualified supplier, goods receipt into quarantine,
quality release (and a hold) -> order -> FEFO reservation -> picking by UDI scan -> shipment -> invoice -> recall
lookup. Every service runs as its own api, relay and worker processes."""

from decimal import Decimal

from services.demo import in_days, udi_scan
from tests.items import registered_item_via_api
from tests.waiting import wait_for
from tests.apitools import approve_typed_prices

GTIN = "09506000134352"


def test_order_ships_from_the_earliest_expiring_lot_is_invoiced_and_found_by_recall_lookup(stack, http):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url

    hospital = http.post(f"{url('channel')}/hospitals",
                         json={"name": "四川大学华西医院", "province": "四川省", "city": "成都市", "grade": "3A"}).json()
    other = http.post(f"{url('channel')}/hospitals",
                      json={"name": "浙江大学附属第一医院", "province": "浙江省", "grade": "3A"}).json()
    assert (hospital["province"], hospital["city"], other["city"]) == ("四川省", "成都市", None)
    listed = wait_for(lambda: http.get(f"{url('channel')}/hospitals", params={"province": "四川省"}).json()["items"],
                      "the channel directory to list the hospital")
    assert [(h["name"], h["city"]) for h in listed] == [("四川大学华西医院", "成都市")]
    registered_item_via_api(http, None, GTIN, base_url=url("inventory"))
    supplier = http.post(f"{url('inventory')}/suppliers", json={"name": "苏州医疗器械制造有限公司"}).json()
    for document_type, number in (("business_licence", "91320500MA1XXXXX0A"), ("production_licence", "苏械生产许20160001号")):
        recorded = http.post(f"{url('inventory')}/suppliers/{supplier['supplier_id']}/qualifications", json={
            "document_type": document_type, "number": number, "valid_from": "2024-01-01", "valid_to": in_days(3650)})
        assert recorded.status_code == 201, recorded.text
    lots = (("LATE", in_days(1000), 100), ("EARLY", in_days(300), 8), ("MIDDLE", in_days(600), 100),
            ("HELD", in_days(200), 50))
    receipt = http.post(f"{url('inventory')}/goods-receipts", json={"supplier_id": supplier["supplier_id"], "lines": [
        {"gtin": GTIN, "lot": lot, "expiry": expiry, "quantity": quantity, "warehouse": "WH-CD"} for lot, expiry, quantity in lots]})
    assert receipt.status_code == 201, receipt.text
    # Received goods wait in quarantine until quality releases them; HELD is then put on hold (a complaint).
    for lot, _, _ in lots:
        released = http.post(f"{url('inventory')}/quality/inspections",
                             json={"gtin": GTIN, "lot": lot, "warehouse": "WH-CD", "result": "released"})
        assert released.status_code == 200, released.text
    held = http.post(f"{url('inventory')}/quality/holds", json={"gtin": GTIN, "lot": "HELD", "reason": "客户投诉：待调查"})
    assert held.json()["lots"][0]["status"] == "on_hold"

    def place(hospital_id: str, quantity: int, **options):  # noqa: ANN003
        response = http.post(f"{url('order')}/orders", json={
            "hospital_id": hospital_id, "lines": [{"gtin": GTIN, "quantity": quantity, "unit_price": "1280.00"}],
            **options})
        return response.json() if response.status_code == 201 else None

    order = wait_for(lambda: place(hospital["hospital_id"], 10), "order to learn the hospital")
    assert (order["status"], order["holds"]) == ("on_hold", ["price_approval"])  # a typed price waits for approval
    order = approve_typed_prices(http, order, url("order"))
    assert order["status"] == "placed"
    reserved = wait_for(lambda: (o := http.get(f"{url('order')}/orders/{order['order_id']}").json())["status"] == "reserved" and o,
                        "the order to be reserved")
    # FEFO: all 8 of EARLY first, then 2 of MIDDLE; never LATE, and never HELD although it expires first.
    assert [(a["lot"], a["quantity"]) for a in reserved["allocations"]] == [("EARLY", 8), ("MIDDLE", 2)]

    # Picking by scan is required by default: nothing leaves before every reserved unit is scanned.
    dispatch = (f"{url('inventory')}/fulfilments/{order['order_id']}/dispatch",
                {"carrier": "SF Express", "tracking_number": "SF123"})
    not_picked = http.post(dispatch[0], json=dispatch[1])
    assert (not_picked.status_code, not_picked.json()["rule"]) == (409, "dispatch-picked-only")
    expiry = {lot: expiry for lot, expiry, _ in lots}
    picked = http.post(f"{url('inventory')}/fulfilments/{order['order_id']}/picks", json={"scans": [
        udi_scan(GTIN, expiry["EARLY"], "EARLY", 8), udi_scan(GTIN, expiry["MIDDLE"], "MIDDLE", 2)]})
    assert picked.status_code == 200 and picked.json()["picks_complete"], picked.text
    dispatched = http.post(dispatch[0], json=dispatch[1])
    assert dispatched.status_code == 200, dispatched.text
    shipment_id = dispatched.json()["shipments"][0]["shipment_id"]
    shipped = wait_for(lambda: (o := http.get(f"{url('order')}/orders/{order['order_id']}").json())["status"] == "shipped" and o,
                       "the order to be shipped")
    assert shipped["shipment_ids"] == [shipment_id]

    invoices = wait_for(lambda: http.get(f"{url('billing')}/invoices", params={"order_id": order["order_id"]}).json()["items"],
                        "the invoice")
    invoice = http.get(f"{url('billing')}/invoices/{invoices[0]['invoice_id']}").json()
    assert Decimal(invoice["net_total"]) == Decimal("12800.00")
    assert Decimal(invoice["gross_total"]) == Decimal("14464.00")
    assert {(line["lot"], line["quantity"]) for line in invoice["lines"]} == {("EARLY", 8), ("MIDDLE", 2)}

    lookup = wait_for(lambda: (r := http.get(f"{url('traceability')}/recalls/lookup", params={"gtin": GTIN, "lot": "EARLY"}).json())
                      ["consignees"] and r, "the recall lookup")
    assert [(c["name"], c["region"], c["quantity_shipped"]) for c in lookup["consignees"]] == [("四川大学华西医院", "四川省", 8)]
    assert lookup["consignees"][0]["shipments"][0]["shipment_id"] == shipment_id
    assert (lookup["consignees"][0]["quantity_returned"], lookup["consignees"][0]["quantity_outstanding"]) == (0, 8)
    assert [(a["lot"], len(a["via"])) for a in lookup["consignees"][0]["affected_lots"]] == [("EARLY", 1)]
    by_lot = http.get(f"{url('traceability')}/recalls/lookup", params={"lot": "EARLY"}).json()
    assert [c["quantity_shipped"] for c in by_lot["consignees"]] == [8]
    nothing = http.get(f"{url('traceability')}/recalls/lookup", params={"gtin": GTIN, "lot": "LATE"}).json()
    assert nothing["consignees"] == []

    # A second order, to be delivered complete, larger than what is left usable is backordered: nothing reserved.
    big = approve_typed_prices(http, wait_for(lambda: place(other["hospital_id"], 1000, ship_complete=True),
                                              "the second order"), url("order"))
    backordered = wait_for(lambda: (o := http.get(f"{url('order')}/orders/{big['order_id']}").json())["status"] == "backordered" and o,
                           "the backorder")
    assert "198 of 1000 available" in backordered["backorder_reason"]
    expected_stock = {("EARLY", 0, 0, "available"), ("MIDDLE", 98, 0, "available"), ("LATE", 100, 0, "available"),
                      ("HELD", 50, 0, "on_hold")}

    def stock() -> set:
        rows = http.get(f"{url('inventory')}/stock", params={"gtin": GTIN}).json()["items"]
        return {(r["lot"], r["on_hand"], r["allocated"], r["status"]) for r in rows}

    wait_for(lambda: stock() == expected_stock, f"stock on hand to be {expected_stock}", timeout=15)
