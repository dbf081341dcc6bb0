"""The order desk's day, through HTTP and Kafka only: a check before submitting that stores nothing; an order above
the customer's credit limit held until finance releases it with a reason and an expiry, then reserved; a manual hold
that stops an order in fulfilment from being dispatched until the order supervisor releases it; the customer's
credit explained component by component as goods ship and are invoiced; an amendment re-checked and re-reserved;
a cancellation; the order 360."""

from decimal import Decimal

import httpx

from services.demo import in_days, udi_scan
from tests.e2e.commerce import PRICING, as_, list_price, stocked_item
from tests.items import registered_item_via_api
from tests.waiting import wait_for

GTIN = "09506000134352"


DESK, SUPERVISOR, FINANCE = as_("desk-wang", "order_desk"), as_("sup-zhao", "order_supervisor"), as_(
    "fin-qian", "finance")


def test_credit_holds_and_manual_holds_are_released_by_their_owners(stack, http: httpx.Client):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    channel, order, inventory, billing = url("channel"), url("order"), url("inventory"), url("billing")
    hospital = http.post(f"{channel}/hospitals", json={"name": "四川省人民医院", "province": "四川省",
                                                       "grade": "3A"}).json()["hospital_id"]
    expiry = stocked_item(http, inventory, GTIN, "C1", 50, "WH-CD")
    list_price(http, channel, GTIN, "1130.00")
    limit = wait_for(lambda: (r := httpx.put(f"{order}/customers/{hospital}/credit-limit", headers=FINANCE, json={
        "limit": "10000.00", "valid_from": in_days(-1), "payment_terms_days": 90, "reason": "年度授信"})
    ).status_code == 200 and r.json(), "the order service to learn the hospital")
    assert (limit["limit"], limit["exposure"], limit["available"]) == ("10000.00", "0", "10000.00")

    # Checked before submitting: 10 x 1,130 = 11,300 is above the limit; nothing is stored.
    body = {"hospital_id": hospital, "lines": [{"gtin": GTIN, "quantity": 10}]}
    checked = wait_for(lambda: (r := httpx.post(f"{order}/orders/validate", headers=DESK, json=body)
                                ).status_code == 200 and r.json(), "the order service to learn the price list")
    assert checked["holds"] == ["credit"] and "credit-limit-exceeded" in checked["hold_history"][0]["reason"]
    assert httpx.get(f"{order}/orders/{checked['order_id']}", headers=DESK).status_code == 404

    held = httpx.post(f"{order}/orders", headers=DESK, json=body).json()
    assert (held["status"], held["holds"]) == ("on_hold", ["credit"])
    assert http.get(f"{inventory}/fulfilments/{held['order_id']}").status_code == 404  # nothing reserved
    refused = httpx.post(f"{order}/orders/{held['order_id']}/holds/credit/release", headers=DESK,
                         json={"reason": "催一下", "expires_on": in_days(7)})
    assert refused.status_code == 403  # the desk cannot release credit
    released = httpx.post(f"{order}/orders/{held['order_id']}/holds/credit/release", headers=FINANCE,
                          json={"reason": "客户已承诺月底回款", "expires_on": in_days(7)})
    assert (released.status_code, released.json()["status"]) == (200, "placed"), released.text
    wait_for(lambda: (r := http.get(f"{inventory}/fulfilments/{held['order_id']}")).status_code == 200
             and r.json()["status"] == "reserved", "the released order's reservation")

    # An amendment raising the quantity is checked again and inventory reserves more; beyond the limit, a hold.
    small = httpx.post(f"{order}/orders", headers=DESK, json={"hospital_id": hospital, "lines": [
        {"gtin": GTIN, "quantity": 1}]}).json()
    assert small["holds"] == ["credit"]  # the released order counts now: 11,300 + 1,130 is above 10,000
    httpx.post(f"{order}/orders/{small['order_id']}/holds/credit/release", headers=FINANCE,
               json={"reason": "小额补货", "expires_on": in_days(3)}).raise_for_status()
    wait_for(lambda: http.get(f"{inventory}/fulfilments/{small['order_id']}").json().get("status") == "reserved",
             "the small order's reservation")
    # The order service learns it too (an order it still thinks unreserved is amended at once, not asked of
    # inventory): under load, StockReserved may take a moment to arrive.
    wait_for(lambda: httpx.get(f"{order}/orders/{small['order_id']}", headers=DESK).json()["status"] == "reserved",
             "the order service to learn of the reservation")
    amended = httpx.post(f"{order}/orders/{small['order_id']}/amendments", headers=DESK, json={
        "lines": [{"gtin": GTIN, "quantity": 3}], "reason": "客户加量"})
    assert (amended.status_code, amended.json()["pending_amendment"]["amendment"]) == (202, 1), amended.text
    # The increase broke the limit again: reserved, but held (the hold reaches inventory once the amendment is in
    # effect in the order service) and not dispatched.
    replanned = wait_for(lambda: (r := http.get(f"{inventory}/fulfilments/{small['order_id']}").json())[
        "status"] == "reserved" and sum(line["quantity"] for line in r["reserved"]) == 3 and r["holds"] and r,
        "the re-planned reservation, held")
    assert replanned["holds"] == ["credit"]
    settled = wait_for(lambda: (o := httpx.get(f"{order}/orders/{small['order_id']}", headers=DESK).json())[
        "amendments"] == 1 and o, "the amendment to take effect")
    assert (settled["lines"][0]["quantity"], settled["holds"]) == (3, ["credit"])
    cancelled = httpx.post(f"{order}/orders/{small['order_id']}/cancel", headers=DESK, json={"reason": "客户取消"})
    assert cancelled.status_code == 202
    wait_for(lambda: http.get(f"{inventory}/fulfilments/{small['order_id']}").json()["status"] == "cancelled",
             "the cancellation")

    # A manual hold stops the reserved order from leaving until the supervisor releases it.
    httpx.post(f"{order}/orders/{held['order_id']}/holds", headers=DESK,
               json={"hold": "manual", "reason": "客户要求暂缓"}).raise_for_status()
    wait_for(lambda: http.get(f"{inventory}/fulfilments/{held['order_id']}").json().get("holds") == ["manual"]
             or _dispatch_refused(http, inventory, held["order_id"]), "inventory to learn the hold")
    http.post(f"{inventory}/fulfilments/{held['order_id']}/picks", json={"scans": [
        udi_scan(GTIN, expiry, "C1", 10)]}).raise_for_status()
    assert _dispatch_refused(http, inventory, held["order_id"])
    httpx.post(f"{order}/orders/{held['order_id']}/holds/manual/release", headers=SUPERVISOR,
               json={"reason": "客户确认收货时间"}).raise_for_status()
    wait_for(lambda: (r := http.post(f"{inventory}/fulfilments/{held['order_id']}/dispatch", json={
        "carrier": "SF Express", "tracking_number": "SF-C1"})).status_code == 200, "the dispatch after release")

    # The exposure follows: shipped and not yet invoiced, then an open receivable.
    wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": held["order_id"]}).json()["items"],
             "the invoice")
    credit = wait_for(lambda: (c := httpx.get(f"{order}/customers/{hospital}/credit", headers=FINANCE).json())[
        "open_receivables"] != "0" and c, "the exposure to count the invoice")
    assert Decimal(credit["open_receivables"]) == Decimal("11300.00")
    assert (Decimal(credit["shipped_not_invoiced"]), Decimal(credit["open_orders"])) == (0, 0)
    assert Decimal(credit["available"]) == Decimal("-1300.00")

    # The order 360: its holds and their history, the shipment with its lot, the invoice.
    three_sixty = wait_for(lambda: (o := httpx.get(f"{order}/orders/{held['order_id']}", headers=DESK).json())[
        "invoices"] and o, "the order 360 to show the invoice")
    assert [(h["hold"], h["placed"]) for h in three_sixty["hold_history"]] == [
        ("credit", True), ("credit", False), ("manual", True), ("manual", False)]
    assert [(line["lot"], line["quantity"]) for line in three_sixty["shipments"][0]["lines"]] == [("C1", 10)]
    assert three_sixty["invoices"][0]["gross_total"] == "11300.00"


def _dispatch_refused(http: httpx.Client, inventory: str, order_id: str) -> bool:
    answer = http.post(f"{inventory}/fulfilments/{order_id}/dispatch", json={"carrier": "SF", "tracking_number": "X"})
    return answer.status_code == 409 and answer.json()["rule"] == "order-on-hold"


def test_a_partial_delivery_ships_what_is_there_and_the_backorder_when_stock_is_released(stack, http: httpx.Client):
    """An order over the hospital's credit, released by finance; two lines, stock for part of the first: that part
    is reserved and shipped (and invoiced); the rest of it is reserved and shipped when quality releases a new
    receipt; the second line, never in stock, is cancelled."""
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    channel, order, inventory, billing = url("channel"), url("order"), url("inventory"), url("billing")
    balloon = "09506000134369"
    hospital = http.post(f"{channel}/hospitals", json={"name": "贵州省人民医院", "province": "贵州省",
                                                       "grade": "3A"}).json()["hospital_id"]
    expiry = stocked_item(http, inventory, GTIN, "P1", 4, "WH-GY")
    registered_item_via_api(http, None, balloon, base_url=inventory)  # never in stock
    price_list = list_price(http, channel, GTIN, "1130.00")
    http.post(f"{channel}/price-lists/{price_list}/prices", headers=PRICING, json={
        "gtin": balloon, "price": "226.00", "valid_from": in_days(-10)}).raise_for_status()
    # Over the hospital's credit: held until finance releases it, with a reason and an expiry.
    wait_for(lambda: httpx.put(f"{order}/customers/{hospital}/credit-limit", headers=FINANCE, json={
        "limit": "5000.00", "valid_from": in_days(-1), "reason": "年度授信"}).status_code == 200,
        "the order service to learn the hospital")
    body = {"hospital_id": hospital, "lines": [{"gtin": GTIN, "quantity": 6}, {"gtin": balloon, "quantity": 2}]}
    placed = wait_for(lambda: _placed(httpx.post(f"{order}/orders", headers=DESK, json=body)),
                      "the order service to learn the hospital and prices")
    order_id = placed["order_id"]
    assert placed["holds"] == ["credit"]  # 6 x 1,130 + 2 x 226 = 7,232 is above 5,000
    httpx.post(f"{order}/orders/{order_id}/holds/credit/release", headers=FINANCE, json={
        "reason": "医院预付款已到账", "expires_on": in_days(14)}).raise_for_status()
    partial = wait_for(lambda: (r := http.get(f"{inventory}/fulfilments/{order_id}").json()).get(
        "status") == "partially_reserved" and r, "the partial reservation")
    assert [(r["line_no"], r["quantity"]) for r in partial["reserved"]] == [(1, 4)]
    assert [(b["line_no"], b["quantity"]) for b in partial["backordered"]] == [(1, 2), (2, 2)]

    def pick_and_dispatch(lot: str, count: int, tracking: str) -> None:
        http.post(f"{inventory}/fulfilments/{order_id}/picks", json={"scans": [
            udi_scan(GTIN, expiry, lot, count)]}).raise_for_status()
        shipped = http.post(f"{inventory}/fulfilments/{order_id}/dispatch", json={"carrier": "SF Express",
                                                                                  "tracking_number": tracking})
        assert shipped.status_code == 200, shipped.text

    pick_and_dispatch("P1", 4, "SF-P1")
    first = wait_for(lambda: (o := httpx.get(f"{order}/orders/{order_id}", headers=DESK).json())[
        "status"] == "partially_shipped" and o, "the order to follow the first shipment")
    assert [(line["status"], line["shipped_quantity"]) for line in first["lines"]] == [
        ("partially_shipped", 4), ("open", 0)]
    assert [row["status"] for row in httpx.get(f"{order}/orders", headers=DESK, params={
        "hospital_id": hospital}).json()["items"]] == ["partially_shipped"]

    # A new receipt released by quality fills the backorder of line 1.
    http.post(f"{inventory}/goods-receipts", json={"supplier_id": _supplier(http, inventory), "lines": [
        {"gtin": GTIN, "lot": "P2", "expiry": expiry, "quantity": 5, "warehouse": "WH-GY"}]}).raise_for_status()
    http.post(f"{inventory}/quality/inspections", json={"gtin": GTIN, "lot": "P2", "warehouse": "WH-GY",
                                                        "result": "released"}).raise_for_status()
    topped_up = wait_for(lambda: (r := http.get(f"{inventory}/fulfilments/{order_id}").json())["reserved"] and r,
                         "the backorder to be reserved from the released lot")
    assert [(r["lot"], r["quantity"]) for r in topped_up["reserved"]] == [("P2", 2)]
    pick_and_dispatch("P2", 2, "SF-P2")
    wait_for(lambda: httpx.get(f"{order}/orders/{order_id}", headers=DESK).json()["lines"][0]["shipped_quantity"] == 6,
             "the order to follow the second shipment")

    # The balloons never came: the desk cancels that line; the order has shipped all that is left.
    cancelled = httpx.post(f"{order}/orders/{order_id}/lines/2/cancel", headers=DESK, json={"reason": "医院改用他品"})
    assert cancelled.status_code == 202, cancelled.text
    done = wait_for(lambda: (o := httpx.get(f"{order}/orders/{order_id}", headers=DESK).json())[
        "status"] == "shipped" and len(o["invoices"]) == 2 and o, "the order to ship and invoice in full")
    assert [(line["line_no"], line["status"], line["shipped_quantity"]) for line in done["lines"]] == [
        (1, "shipped", 6)]
    assert [(line["line_no"], line["status"]) for line in done["cancelled_lines"]] == [(2, "cancelled")]
    assert sorted(Decimal(i["gross_total"]) for i in done["invoices"]) == [Decimal("2260.00"), Decimal("4520.00")]
    fulfilment = http.get(f"{inventory}/fulfilments/{order_id}").json()
    assert (fulfilment["status"], fulfilment["backordered"]) == ("shipped", [])

    # Checked before acceptance: a distributor authorized only for 四川省 does not deliver to a 贵州 hospital; a
    # hospital whose practice licence has lapsed by the delivery day buys nothing.
    channel_manager = as_("chm-sun", "channel_manager")
    distributor = http.post(f"{channel}/distributors", json={"name": "西南医疗", "region": "四川省",
                                                             "tier": "gold"}).json()["distributor_id"]
    http.post(f"{channel}/distributors/{distributor}/licences", json={
        "document_type": "distribution_licence", "number": "川械经营许20240001号", "valid_from": in_days(-100),
        "valid_to": in_days(1000)}).raise_for_status()
    granted = httpx.post(f"{channel}/distributors/{distributor}/authorizations", headers=channel_manager, json={
        "number": "SQ-2026-SC", "gtins": [GTIN], "provinces": ["四川省"], "valid_from": in_days(-1),
        "valid_to": in_days(364)})
    assert (granted.status_code, granted.json()["authorizations"][0]["valid_today"]) == (200, True), granted.text
    assert httpx.post(f"{channel}/distributors/{distributor}/authorizations", headers=DESK, json={
        "number": "SQ-X", "gtins": [GTIN], "provinces": ["贵州省"], "valid_from": in_days(-1),
        "valid_to": in_days(364)}).status_code == 403  # the order desk grants no authorization
    through = {"hospital_id": hospital, "ship_to_distributor_id": distributor, "lines": [{"gtin": GTIN, "quantity": 1}]}
    refused = wait_for(lambda: (r := httpx.post(f"{order}/orders/validate", headers=DESK, json=through)
                                ).status_code == 409 and r.json(), "the order service to learn the authorization")
    assert (refused["rule"], refused["field"]) == ("distributor-authorized", "ship_to_distributor_id"), refused
    assert "do not cover 贵州省" in refused["detail"]
    http.post(f"{channel}/hospitals/{hospital}/licences", json={
        "number": "PDY52010011A1001", "valid_from": in_days(-1000), "valid_to": in_days(5)}).raise_for_status()
    late = {"hospital_id": hospital, "lines": [{"gtin": GTIN, "quantity": 1}], "requested_delivery_date": in_days(6)}
    lapsed = wait_for(lambda: (r := httpx.post(f"{order}/orders", headers=DESK, json=late)).status_code == 409
                      and r.json(), "the order service to learn the hospital's licence")
    assert (lapsed["rule"], lapsed["field"]) == ("hospital-licensed", "hospital_id")
    # Master data's worklist lists the licence ahead of time, with the hospital's name.
    expiring = wait_for(lambda: [(q["name"], q["number"], q["days_left"], q["expired"]) for q in httpx.get(
        f"{channel}/qualifications/expiring", headers=DESK, params={"within_days": 30, "kind": "hospital"}).json()[
        "items"] if q["party_id"] == hospital], "the expiring licence in the worklist")
    assert expiring == [("贵州省人民医院", "PDY52010011A1001", 5, False)]


def _placed(response: httpx.Response) -> dict | None:
    """The order placed; None while the order service has not learned what it names yet (422 naming it)."""
    assert response.status_code in (201, 422), response.text  # any other refusal is the test's failure
    return response.json() if response.status_code == 201 else None


def _supplier(http: httpx.Client, inventory: str) -> str:
    """A qualified supplier for a further receipt."""
    supplier = http.post(f"{inventory}/suppliers", json={"name": "补货 医疗器械有限公司"}).json()["supplier_id"]
    for document_type in ("business_licence", "production_licence"):
        http.post(f"{inventory}/suppliers/{supplier}/qualifications", json={
            "document_type": document_type, "number": f"{document_type}-2", "valid_from": "2024-01-01",
            "valid_to": in_days(3650)}).raise_for_status()
    return supplier
