"""Channel management through HTTP and Kafka only: a distributor admitted (licence, placement, target) and
authorized for 江苏; goods shipped through it and invoiced to it; its sell-out report names hospitals by name — one
matched by an alias, one out of its territory (a diversion alert naming the serial), one unknown (the review queue,
then matched by a person); a marginal sell-in rebate accrues, is settled in part as 货补 (a zero-priced order of
whole units) and the rest as 票折, each by two people, the 票折 lowering the distributor's next invoice; its inventory report is reconciled per lot; the scorecard shows it all."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx

from services.channel.domain.rebate_programmes import account_id_for
from services.demo import in_days, udi_scan
from services.order.application.free_goods import free_goods_order_id
from tests.e2e.commerce import as_, list_price, stocked_item
from tests.waiting import wait_for
from shared.domain.business_day import business_today

GTIN = "09506000134352"
CHANNEL_MANAGER, SECOND_MANAGER = as_("chm-zhou", "channel_manager"), as_("chm-li", "channel_manager")
DESK, FINANCE = as_("desk-wu", "order_desk"), as_("fin-he", "finance")


def _shipped(http: httpx.Client, order: str, inventory: str, body: dict, expiry: str, lot: str, tracking: str) -> str:
    placed = wait_for(lambda: (r := httpx.post(f"{order}/orders", headers=DESK, json=body)).status_code == 201
                      and r.json(), "the order service to learn the distributor and its authorization")
    order_id = placed["order_id"]
    wait_for(lambda: http.get(f"{inventory}/fulfilments/{order_id}").json().get("status") == "reserved",
             "the reservation")
    quantity = sum(line["quantity"] for line in body["lines"])
    http.post(f"{inventory}/fulfilments/{order_id}/picks", json={"scans": [
        udi_scan(GTIN, expiry, lot, quantity)]}).raise_for_status()
    http.post(f"{inventory}/fulfilments/{order_id}/dispatch", json={
        "carrier": "SF Express", "tracking_number": tracking}).raise_for_status()
    return order_id


def test_a_distributor_is_admitted_authorized_measured_and_rewarded(stack, http: httpx.Client):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    channel, order, inventory, billing, trace = (url("channel"), url("order"), url("inventory"), url("billing"),
                                                 url("traceability"))
    today = business_today()
    # Periods and stock counts are China's business days (an invoice at 23:30 UTC is the next day's).
    business_day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    quarter = f"{business_day.year}-Q{(business_day.month - 1) // 3 + 1}"

    # Admitted and authorized: a 一级经销商 in 江苏 with its 经营许可证, authorized for the stent in 江苏.
    distributor = http.post(f"{channel}/distributors", json={"name": "华东医疗器械有限公司", "region": "江苏省",
                                                             "tier": "gold"}).json()["distributor_id"]
    http.post(f"{channel}/distributors/{distributor}/licences", json={
        "document_type": "distribution_licence", "number": "苏械经营许20240001号", "valid_from": in_days(-100),
        "valid_to": in_days(1000)}).raise_for_status()
    placed = httpx.put(f"{channel}/distributors/{distributor}/placement", headers=CHANNEL_MANAGER,
                       json={"level": "tier_1"})
    assert (placed.status_code, placed.json()["level"]) == (200, "tier_1"), placed.text
    httpx.put(f"{channel}/distributors/{distributor}/targets/{quarter}", headers=CHANNEL_MANAGER,
              json={"amount": "20000.00"}).raise_for_status()
    httpx.post(f"{channel}/distributors/{distributor}/authorizations", headers=CHANNEL_MANAGER, json={
        "number": "SQ-JS-1", "gtins": [GTIN], "provinces": ["江苏省"], "valid_from": in_days(-30),
        "valid_to": in_days(300)}).raise_for_status()
    suzhou = http.post(f"{channel}/hospitals", json={"name": "苏州大学附属第一医院", "province": "江苏省",
                                                     "grade": "3A"}).json()["hospital_id"]
    hangzhou = http.post(f"{channel}/hospitals", json={"name": "浙江大学医学院附属第一医院", "province": "浙江省",
                                                       "grade": "3A"}).json()["hospital_id"]
    aliased = http.post(f"{channel}/hospitals/{suzhou}/aliases", json={"alias": "苏大附一"})
    assert (aliased.status_code, aliased.json()["aliases"]) == (200, ["苏大附一"]), aliased.text

    # A rebate programme for 一级经销商: marginal, on sell-in amount, by quarter: 2% to 10,000, 5% above.
    year = business_day.year
    programme = httpx.post(f"{channel}/rebate-programmes", headers=CHANNEL_MANAGER, json={
        "number": f"FL-{year}", "name": f"{year} 一级经销商返利", "basis": "sell_in", "measure": "amount",
        "kind": "marginal", "period": "quarter", "valid_from": f"{year}-01-01", "valid_to": f"{year}-12-31",
        "distributor_tiers": ["tier_1"], "tiers": [{"from": "0", "to": "10000", "rate": "2"},
                                                   {"from": "10000", "rate": "5"}]})
    assert programme.status_code == 201, programme.text
    programme_id = programme.json()["programme_id"]
    gapped = httpx.post(f"{channel}/rebate-programmes", headers=CHANNEL_MANAGER, json={
        **{k: v for k, v in programme.json().items() if k in ("basis", "measure", "kind", "period", "valid_from",
                                                              "valid_to")},
        "number": "FL-GAP", "name": "gap", "distributor_tiers": ["tier_1"],
        "tiers": [{"from": "0", "to": "100", "rate": "1"}, {"from": "150", "rate": "2"}]})
    assert (gapped.status_code, gapped.json()["rule"], gapped.json()["field"]) == (
        409, "rebate-tiers-contiguous", "tiers[1].from")

    # Shipped through the distributor: 12 stents at 1,130 含税 (1,000 net), invoiced to it.
    expiry = stocked_item(http, inventory, GTIN, "HD-1", 40, "WH-SH")
    list_price(http, channel, GTIN, "1130.00")
    through = {"hospital_id": suzhou, "ship_to_distributor_id": distributor, "lines": [{"gtin": GTIN, "quantity": 12}]}
    first_order = _shipped(http, order, inventory, through, expiry, "HD-1", "SF-HD-1")
    first_invoice = wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": first_order}).json()[
        "items"], "the first invoice")[0]
    assert (first_invoice["bill_to_distributor_id"], first_invoice["net_total"]) == (distributor, "12000.00")

    # Its sell-out report names hospitals by name: an alias, a hospital outside its territory (one serial), and a
    # name nobody registered.
    rows = [["医院名称", "产品标识", "批号", "数量", "销售日期", "序列号"],
            ["苏大附一", GTIN, "HD-1", "3", today.isoformat(), ""],
            ["浙江大学医学院附属第一医院", GTIN, "HD-1", "1", today.isoformat(), "SN-OUT-1"],
            ["某某县人民医院", GTIN, "HD-1", "2", today.isoformat(), ""]]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    uploaded = httpx.post(f"{trace}/sellout-reports/upload", headers=CHANNEL_MANAGER, files={"file": ("流向.csv", text.getvalue().encode())},
                         data={"distributor_id": distributor, "report_reference": "HD-流向-1",
                               "period_start": today.replace(day=1).isoformat(), "period_end": today.isoformat()})
    assert uploaded.status_code == 201, uploaded.text
    report = uploaded.json()["report"]
    assert [(line["hospital_id"], line["matched_by"]) for line in report["lines"]] == [
        (suzhou, "alias"), (hangzhou, "exact")]
    assert [(u["line_no"], u["reported_hospital"]) for u in report["unmatched"]] == [(4, "某某县人民医院")]

    # The out-of-territory line is diversion: an alert naming the serial, the hospital and the authorization.
    alert = wait_for(lambda: httpx.get(f"{channel}/diversion-alerts", headers=CHANNEL_MANAGER, params={
        "serial": "SN-OUT-1"}).json()["items"], "the diversion alert")[0]
    assert (alert["hospital_name"], alert["distributor_name"], alert["lot"], alert["authorizations"]) == (
        "浙江大学医学院附属第一医院", "华东医疗器械有限公司", "HD-1", ["SQ-JS-1"])
    assert httpx.post(f"{channel}/diversion-alerts/{alert['alert_id']}/resolve", headers=DESK, json={
        "outcome": "confirmed", "reason": "x"}).status_code == 403
    resolved = httpx.post(f"{channel}/diversion-alerts/{alert['alert_id']}/resolve", headers=CHANNEL_MANAGER,
                          json={"outcome": "confirmed", "reason": "经销商承认跨区销售，书面警告"})
    assert (resolved.status_code, resolved.json()["outcome"]) == (200, "confirmed"), resolved.text

    # The unknown name waits in the review queue, counting for nothing, until a person matches it.
    waiting = wait_for(lambda: httpx.get(f"{trace}/sellout-review", headers=CHANNEL_MANAGER, params={
        "distributor_id": distributor}).json()["items"], "the review queue")
    assert [(w["reported_hospital"], w["quantity"]) for w in waiting] == [("某某县人民医院", 2)]
    matched = httpx.post(f"{trace}/sellout-reports/{report['report_id']}/unmatched/4/match", headers=CHANNEL_MANAGER,
                         json={"hospital_id": suzhou, "reason": "电话确认为苏大附一分院"})
    assert (matched.status_code, matched.json()["matched_by"]) == (200, "review"), matched.text
    wait_for(lambda: not httpx.get(f"{trace}/sellout-review", headers=CHANNEL_MANAGER, params={
        "distributor_id": distributor}).json()["items"], "the review queue to empty")

    # The accrual: 2% of 10,000 + 5% of 2,000 = 300, explained by the invoice line.
    accrued = wait_for(lambda: (a := httpx.get(f"{channel}/rebates/accruals", headers=FINANCE, params={
        "programme_id": programme_id, "distributor_id": distributor, "explain_period": quarter}).json())[
        "distributors"][0]["entitled"] == "300.00" and a, "the accrual")["distributors"][0]
    explained = next(p for p in accrued["periods"] if p["period"] == quarter)
    assert [(b["from"], b["on"]) for b in explained["bands"]] == [("0", "10000"), ("10000", "2000.00")]
    assert [(line["fact"], line["amount"]) for line in explained["lines"]] == [("sale", "12000.00")]

    # Part settled as 货补: whole units valued from the 货补 price list (130 each: 300 pays for 2, 40 stays due),
    # proposed by one channel manager, approved by another; the order service gives them as a zero-priced order.
    goods_list = list_price(http, channel, GTIN, "130.00")

    def settle(number: str, **how) -> dict:  # noqa: ANN003
        proposed = httpx.post(f"{channel}/rebate-programmes/{programme_id}/settlements", headers=CHANNEL_MANAGER,
                              json={"distributor_id": distributor, "settlement_no": number, "through_period": quarter,
                                    **how})
        assert proposed.status_code == 201, proposed.text
        decide = f"{channel}/rebate-programmes/{programme_id}/settlements/{number}"
        own = httpx.post(f"{decide}/approve", headers=CHANNEL_MANAGER, json={"distributor_id": distributor,
                                                                            "reason": "ok"})
        assert (own.status_code, own.json()["rule"]) == (409, "four-eyes")
        approved = httpx.post(f"{decide}/approve", headers=SECOND_MANAGER,
                              json={"distributor_id": distributor, "reason": "核对无误"})
        assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text
        return proposed.json()

    goods = settle("RS-1", mode="free_goods", free_goods_gtin=GTIN, price_list_id=goods_list)
    assert (goods["amount"], goods["free_goods_quantity"], Decimal(goods["free_goods_unit_price"])) == (
        "260.00", 2, Decimal("130"))
    free_order_id = str(free_goods_order_id(f"{account_id_for(UUID(programme_id), UUID(distributor))}:RS-1"))
    free_order = wait_for(lambda: (r := httpx.get(f"{order}/orders/{free_order_id}", headers=DESK)).status_code == 200
                          and r.json(), "the free goods order")
    assert (free_order["order_type"], free_order["ship_to_distributor_id"], free_order["holds"]) == (
        "free_goods", distributor, [])
    assert [(line["quantity"], line["unit_price"]) for line in free_order["lines"]] == [(2, "0.00")]
    wait_for(lambda: http.get(f"{inventory}/fulfilments/{free_order_id}").json().get("status") == "reserved",
             "the free goods reserved")

    # The rest settled as 票折: billing takes it off the distributor's next invoice.
    assert settle("RS-2", mode="invoice_discount")["amount"] == "40.00"
    wait_for(lambda: http.get(f"{billing}/rebate-allowances/{distributor}").json()["balance"] == "40.00",
             "billing to grant the allowance")
    again = httpx.post(f"{channel}/rebate-programmes/{programme_id}/settlements", headers=CHANNEL_MANAGER, json={
        "distributor_id": distributor, "settlement_no": "RS-3", "through_period": quarter,
        "mode": "invoice_discount"})
    assert (again.status_code, again.json()["rule"]) == (409, "rebate-nothing-due")  # never paid twice
    listed = wait_for(lambda: [(s["settlement_no"], s["mode"], s["free_goods_quantity"], s["amount"]) for s in (
        httpx.get(f"{channel}/rebate-settlements", headers=FINANCE, params={"distributor_id": distributor,
                                                                            "status": "approved"}).json()["items"])]
        if len(httpx.get(f"{channel}/rebate-settlements", headers=FINANCE, params={
            "distributor_id": distributor, "status": "approved"}).json()["items"]) == 2 else None, "the settlements")
    assert sorted(listed) == [("RS-1", "free_goods", 2, "260.00"), ("RS-2", "invoice_discount", None, "40.00")]

    second_order = _shipped(http, order, inventory, {**through, "lines": [{"gtin": GTIN, "quantity": 2}]}, expiry,
                            "HD-1", "SF-HD-2")
    second = wait_for(lambda: http.get(f"{billing}/invoices", params={"order_id": second_order}).json()["items"],
                      "the second invoice")[0]
    discounted = http.get(f"{billing}/invoices/{second['invoice_id']}").json()
    assert [(d["gross_amount"], d["net_amount"], d["vat_amount"]) for d in discounted["discounts"]] == [
        ("-40.00", "-35.40", "-4.60")]
    assert (discounted["net_total"], discounted["vat_total"], discounted["gross_total"]) == (
        "1964.60", "255.40", "2220.00")  # 2,260 less 40: the VAT base lowered by the discount's net
    assert http.get(f"{billing}/rebate-allowances/{distributor}").json()["balance"] == "0.00"

    # The scorecard: sell-in 14,000 net of 20,000 targeted; 6 units sold on of 14 bought; one diversion alert.
    card = wait_for(lambda: (c := httpx.get(f"{channel}/distributors/{distributor}/scorecard", headers=FINANCE,
                                            params={"period": quarter}).json())["sell_in_amount"] == "14000.00"
                    and c["sell_out_units"] == 6 and c, "the scorecard")
    assert (card["attainment"], card["sell_through_rate"], card["channel_inventory_units"]) == (
        "0.7000", "0.4286", 8)
    assert (card["diversion_alerts"], card["diversion_alerts_open"], card["sellout_reports"]) == (1, 0, 1)
    # Its inventory report (进销存) says 7 of the lot; 14 received less 6 reported sold leaves 8: a variance of -1.
    reported = httpx.post(f"{trace}/channel-inventory-reports/upload", headers=CHANNEL_MANAGER, files={
        "file": ("进销存.csv", f"产品标识,批号,库存数量\n{GTIN},HD-1,7\n{GTIN},NO SUCH,1\n".encode())}, data={
        "distributor_id": distributor, "report_reference": "HD-进销存-1", "as_of": business_day.isoformat()})
    assert (reported.status_code, [r["rule"] for r in reported.json()["rows_rejected"]]) == (
        201, ["gs1-character-set"]), reported.text
    reconciled = wait_for(lambda: (r := httpx.get(f"{trace}/channel-inventory/reconciliation", headers=CHANNEL_MANAGER,
                                                  params={"distributor_id": distributor}).json())["as_of"] and r,
                          "the reconciliation")
    assert [(lot["lot"], lot["received"], lot["sold"], lot["expected"], lot["reported"], lot["variance"],
             lot["flagged"]) for lot in reconciled["lots"]] == [("HD-1", 14, 6, 8, 7, -1, True)]
    ranked = httpx.get(f"{channel}/scorecards", headers=FINANCE, params={
        "period": quarter, "level": "tier_1", "ranked_by": "attainment"}).json()
    assert [r["distributor_name"] for r in ranked["items"]] == ["华东医疗器械有限公司"]
    assert Decimal(ranked["items"][0]["sell_in_amount"]) == Decimal("14000.00")

    # A promotion in 江苏: 10% off with a budget of 226 (two units' discount). The price explanation names it; once
    # its budget is spent the next order is priced without it.
    launched = httpx.post(f"{channel}/promotions", headers=CHANNEL_MANAGER, json={
        "number": "JS-PROMO-1", "name": "江苏支架促销", "valid_from": in_days(0), "valid_to": in_days(30),
        "scope": {"provinces": ["江苏省"], "gtins": [GTIN]}, "effect": {"kind": "discount_percent", "value": "10"},
        "budget": "226.00"})
    assert (launched.status_code, launched.json()["rule_id"]) == (201, "promo-JS-PROMO-1"), launched.text
    two = {"hospital_id": suzhou, "ship_to_distributor_id": distributor, "lines": [{"gtin": GTIN, "quantity": 2}]}
    wait_for(lambda: httpx.post(f"{order}/orders/validate", headers=DESK, json=two).json()["lines"][0][
        "price_explanation"]["winner"] == "promo-JS-PROMO-1", "the order service to learn the promotion")
    promoted = httpx.post(f"{order}/orders", headers=DESK, json=two).json()
    assert promoted["lines"][0]["gross_unit_price"] == "1017.0000"
    after = httpx.post(f"{order}/orders", headers=DESK, json={**two, "lines": [{"gtin": GTIN, "quantity": 1}]}).json()
    assert (after["lines"][0]["price_explanation"]["winner"], after["lines"][0]["gross_unit_price"]) == (
        None, "1130.0000")
    effect = httpx.get(f"{channel}/promotions/{launched.json()['promotion_id']}/effect", headers=FINANCE)
    assert effect.status_code == 200 and effect.json()["period"] == [in_days(0), in_days(30)], effect.text
