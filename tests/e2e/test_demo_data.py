"""`make run` loads the demo data through the APIs: it must keep working as the product grows, and load once."""

from decimal import Decimal
from uuid import UUID

from services.channel.domain.rebate_programmes import account_id_for
from services.demo import (
    DEMO_DISTRIBUTOR, DEMO_GTIN, DEMO_HOSPITAL, MIGRATED_LOT, SECOND_DISTRIBUTOR, SECOND_HOSPITAL, load_demo_data,
)
from services.order.application.free_goods import free_goods_order_id
from shared.platform.auth import issue_token
from shared.platform.settings import SERVICES
from tests.waiting import wait_for


def test_the_demo_story_loads_once_and_its_recall_case_finds_all_three_consignees(stack, http):
    stack.start_all()
    stack.wait_until_ready()
    urls = {s: stack.url(s) for s in SERVICES}
    summary = load_demo_data(urls)
    recall_id = summary.split("recall case ")[1].split()[0]

    def all_three() -> list | None:
        items = http.get(f"{urls['traceability']}/recalls/{recall_id}/consignees").json()["items"]
        return items if len(items) == 3 else None

    consignees = wait_for(all_three, "the recall case's three consignees")
    assert sorted((c["name"], (c["via_distributor"] or {}).get("name"), c["units_to_recover"]) for c in consignees) == sorted([
        (SECOND_HOSPITAL, DEMO_DISTRIBUTOR, 6), (DEMO_HOSPITAL, None, 10), (DEMO_DISTRIBUTOR, None, 4)])
    # 两票制: the units delivered through the distributor are invoiced to it, the direct ones to the hospital.
    distributor_id = next(c["consignee_id"] for c in consignees if c["kind"] == "distributor")
    # Six invoices: the direct order, the distributor's, the partial delivery's 5 balloons, the loaner set's 3 used,
    # and the second distributor's two (the second with its rebate taken off as 票折).
    invoices = wait_for(lambda: http.get(f"{urls['billing']}/invoices").json()["items"] if http.get(
        f"{urls['billing']}/invoices").json()["total"] == 6 else None, "the six invoices")
    second_distributor = next(str(i["bill_to_distributor_id"]) for i in invoices
                              if i["bill_to_distributor_id"] not in (None, distributor_id))
    assert sorted(str(i["bill_to_distributor_id"]) for i in invoices) == sorted(
        ["None"] * 3 + [distributor_id] + [second_distributor] * 2)
    # The distributor's portal user sees its own recall notice, and only its own invoice.
    portal = {"Authorization": "Bearer " + issue_token("dora", ["distributor_user"],
                                                       scopes=[f"distributor:{distributor_id}"])}
    notices = wait_for(lambda: http.get(f"{urls['traceability']}/recall-notices", headers=portal).json()["items"],
                       "the distributor's recall notice")
    assert [(n["recall_id"], n["consignee_id"], n["method"]) for n in notices] == [(recall_id, distributor_id, "portal")]
    # ... and acknowledges it from the portal; a retry answers the same acknowledgement.
    acknowledge = f"{urls['traceability']}/recall-notices/{recall_id}/acknowledgement"
    first = http.post(acknowledge, headers=portal, json={"acknowledged_by": "窦经理"})
    assert (first.status_code, first.json()["consignee_id"]) == (200, distributor_id), first.text
    assert http.post(acknowledge, headers=portal, json={"acknowledged_by": "窦经理"}).json() == first.json()
    assert wait_for(lambda: http.get(f"{urls['traceability']}/recall-notices", headers=portal,
                                     params={"acknowledged": "true"}).json()["items"],
                    "the acknowledgement on the notice")[0]["acknowledged_by"] == "窦经理"
    own = http.get(f"{urls['billing']}/invoices", headers=portal).json()["items"]
    assert [str(i["bill_to_distributor_id"]) for i in own] == [distributor_id]
    # The rulebook: the 3A hospital's price is the list price less its grade's 5%, explained.
    quote_url = summary.split("prices/quote?")[1].split("'")[0]
    quote = http.get(f"{urls['channel']}/prices/quote?{quote_url}").json()
    assert (quote["list_price"], quote["price"], quote["winner"]) == ("1480.0000", "1406.0000", "grade-3a-5pct")
    # Quote -> contract -> order: the direct order was priced from the contract the accepted quote became.
    contract_id = summary.split("contract ")[1].split()[0]
    contract = http.get(f"{urls['order']}/contracts/{contract_id}").json()
    assert (contract["status"], contract["terms"]["lines"][0]["unit_price"]) == ("active", "1320.0000")
    quote = http.get(f"{urls['order']}/quotes/{contract['from_quote_id']}").json()
    assert (quote["status"], quote["decided_by"]) == ("accepted", "user:demo-pricing-manager")
    direct = next(i for i in invoices if i["bill_to_distributor_id"] is None)
    order = http.get(f"{urls['order']}/orders/{direct['order_id']}").json()
    assert [(line["price_source"], line["gross_unit_price"]) for line in order["lines"]] == [("contract", "1320.0000")]
    # The 江苏 hospital's orders took the VBP award price: 10 + 12 + 2 of its 1,200 agreed units.
    progress = wait_for(lambda: [r for r in http.get(f"{urls['order']}/vbp-progress").json()["items"]
                                 if r["ordered"] == 24], "the VBP progress")
    assert [(r["hospital_name"], r["agreed"], r["price"]) for r in progress] == [(SECOND_HOSPITAL, 1200, "700.0000")]
    # An order above the largest single order waits in finance's worklist.
    held = wait_for(lambda: http.get(f"{urls['order']}/orders", params={"hold": "credit"}).json()["items"],
                    "the credit hold in finance's worklist")
    assert [(o["customer_reference"], o["status"]) for o in held] == [("PO-DEMO-2", "on_hold")]
    # An order amended (re-reserved) and then cancelled (released): the stock it held is free again.
    changed = http.get(f"{urls['order']}/orders", params={"status": "cancelled"}).json()["items"]
    assert [o["customer_reference"] for o in changed] == ["PO-DEMO-3"]
    assert http.get(f"{urls['inventory']}/fulfilments/{changed[0]['order_id']}").json()["status"] == "cancelled"
    # A partial delivery: 5 of 8 balloons shipped, 3 backordered; a loaner set: 3 used and invoiced, 5 returned.
    partial = http.get(f"{urls['order']}/orders", params={"status": "partially_shipped"}).json()["items"]
    assert [o["customer_reference"] for o in partial] == ["PO-DEMO-4"]
    lines = http.get(f"{urls['order']}/orders/{partial[0]['order_id']}").json()["lines"]
    assert [(line["status"], line["shipped_quantity"], line["quantity"]) for line in lines] == [
        ("partially_shipped", 5, 8)]
    used_id = summary.split("invoiced as order ")[1].split(")")[0]
    consumed = http.get(f"{urls['order']}/orders/{used_id}").json()
    assert (consumed["order_type"], consumed["lines"][0]["quantity"]) == ("consumption", 3)
    assert http.get(f"{urls['inventory']}/consignment-stock").json()["items"] == []  # the rest came back
    # Channel management: the second distributor's sell-out by names — an alias matched, a diversion alert on the
    # 上海 serial, a name in review — and its rebate settled as 票折 on its next invoice.
    channel = {"Authorization": "Bearer " + issue_token("chm-check", ["channel_manager", "finance"])}
    alerts = http.get(f"{urls['channel']}/diversion-alerts", headers=channel,
                      params={"distributor_id": second_distributor}).json()
    assert [(a["hospital_name"], a["serials"]) for a in alerts["items"]] == [(DEMO_HOSPITAL, ["DEMO-SN-0001"])]
    review = http.get(f"{urls['traceability']}/sellout-review", headers=channel).json()["items"]
    assert [(r["reported_hospital"], r["quantity"]) for r in review] == [("昆山市某某医院", 2)]
    discounted_id = summary.split("next invoice ")[1].split(":")[0]
    discounted = http.get(f"{urls['billing']}/invoices/{discounted_id}", headers=channel).json()
    programme_id = summary.split("programme_id=")[1].split("'")[0]
    accrued = http.get(f"{urls['channel']}/rebates/accruals", headers=channel,
                       params={"programme_id": programme_id}).json()
    paid = accrued["distributors"][0]
    # What was settled through the quarter was taken off the next invoice; that invoice's sell-in accrues anew.
    assert paid["distributor_name"] == SECOND_DISTRIBUTOR and Decimal(paid["due"]) > 0
    settlements = http.get(f"{urls['channel']}/rebate-settlements", headers=channel,
                           params={"distributor_id": second_distributor}).json()["items"]
    goods = next(s for s in settlements if s["mode"] == "free_goods")
    assert (goods["free_goods_quantity"], goods["amount"], goods["status"]) == (2, "200.00", "approved")
    assert -Decimal(discounted["discounts"][0]["gross_amount"]) == Decimal(paid["settled"]) - Decimal("200.00") > 0
    free_order_url = f"{urls['order']}/orders/" + str(free_goods_order_id(
        f"{account_id_for(UUID(programme_id), UUID(second_distributor))}:{goods['settlement_no']}"))
    free_order = wait_for(lambda: (r := http.get(free_order_url, headers=channel)).status_code == 200 and r.json(),
                          "the free goods order")
    assert (free_order["order_type"], free_order["lines"][0]["unit_price"]) == ("free_goods", "0.00")
    card = http.get(f"{urls['channel']}/distributors/{second_distributor}/scorecard", headers=channel).json()
    assert (card["sell_in_units"], card["sell_out_units"], card["diversion_alerts"]) == (14, 4, 1)
    promotions = http.get(f"{urls['channel']}/promotions", headers=channel).json()["items"]
    assert sorted((p["rule_id"].split("-")[2], p["effect"]["kind"], p["budget"]) for p in promotions) == [
        ("BUY10", "free_goods", "20000.00"), ("PROMO", "discount_percent", "10000.00")]
    floor = next(r for r in http.get(f"{urls['channel']}/pricing-rules", headers=channel).json()["items"]
                 if r["effect"]["kind"] == "minimum_price")
    assert (floor["scope"]["provinces"], floor["owner"]) == (["上海市"], "华东大区经理 East China regional manager")
    # Receivables: the hospital's payment allocated, its statement issued, the distributor's second invoice recorded.
    finance = {"Authorization": "Bearer " + issue_token("fin-check", ["finance"])}
    paid = http.get(f"{urls['billing']}/payments", headers=finance).json()["items"]
    assert [(p["bank_reference"], Decimal(p["allocated"]) > 0) for p in paid] == [("ICBC-DEMO-0001", True)]
    statement_id = summary.split("/statements/")[1].split("/pdf")[0]
    statement = http.get(f"{urls['billing']}/statements/{statement_id}", headers=finance).json()
    assert statement["status"] == "sent" and [line["kind"] for line in statement["lines"]][-1] == "payment"
    seconds = http.get(f"{urls['billing']}/second-invoices", headers=finance).json()["items"]
    assert [(s["number"], s["flagged"]) for s in seconds] == [("25322000000000000001", False)]
    # Analytics: every invoice among the sales figures, less what its credit notes took back; the distributor's
    # portal user sees only the lines billed to it.
    credited = sum(Decimal(http.get(f"{urls['billing']}/invoices/{i['invoice_id']}", headers=finance).json()[
        "credited"]) for i in invoices)
    invoiced = sum(Decimal(i["gross_total"]) for i in invoices) - credited
    period = {"from": "2020-01-01", "to": "2029-12-31"}
    by_channel = wait_for(lambda: r if Decimal((r := http.get(f"{urls['analytics']}/sales", headers=finance, params={
        **period, "group": "channel"}).json())["amount"]) == invoiced else None, "the invoices in the sales figures")
    # Everything the demo sells through its distributors is priced by the 江苏 award: the platform channel, with
    # the distributor's 票折 spread onto it (no channel shows a negative amount).
    assert {g["key"] for g in by_channel["items"]} == {"direct", "platform"}
    assert all(Decimal(g["amount"]) > 0 for g in by_channel["items"])
    mine = http.get(f"{urls['analytics']}/sales/lines", params={**period, "limit": 500}, headers=portal).json()
    assert mine["total"] > 0 and {line["distributor_id"] for line in mine["items"]} == {distributor_id}

    # The old system's shipments of a lot sold out before go-live: imported, found by a recall, with the batch.
    migrated = http.get(f"{urls['traceability']}/recalls/lookup", params={"gtin": DEMO_GTIN, "lot": MIGRATED_LOT},
                        ).json()["consignees"]
    assert sorted((c["name"], c["quantity_shipped"]) for c in migrated) == [(DEMO_HOSPITAL, 8), (SECOND_HOSPITAL, 4)]
    item = http.get(f"{urls['inventory']}/items/{DEMO_GTIN}/master-data").json()
    assert item["insurance_code"] == "C0301010010000100049"
    assert load_demo_data(urls) == "demo data already loaded"
