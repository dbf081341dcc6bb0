"""Prices through the channel API on the real event store: a price list and its prices, rules saved (a tie refused
with 409 naming the other rule, nothing stored), and a line quoted for a hospital with every rule explained."""

from shared.platform.auth import issue_token

STENT = "09506000134352"


def bearer(subject: str, roles: list[str], scopes: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(subject, roles, scopes=scopes)}"}


PRICING, DESK = bearer("pricing-li", ["pricing_manager"]), bearer("desk-wang", ["order_desk"])


def test_a_quote_explains_the_list_price_the_rules_considered_and_the_winner(channel_api):
    api = channel_api
    hospital = api.post("/hospitals", headers=bearer("md", ["master_data"]), json={
        "name": "浙江大学医学院附属第一医院", "province": "浙江省", "city": "杭州市", "grade": "3A"}).json()["hospital_id"]
    listed = api.post("/price-lists", headers=PRICING, json={"name": "2026年全国目录价"})
    assert listed.status_code == 201, listed.text
    list_id = listed.json()["price_list_id"]
    assert api.post("/price-lists", headers=DESK, json={"name": "x"}).status_code == 403
    priced = api.post(f"/price-lists/{list_id}/prices", headers=PRICING, json={
        "gtin": STENT, "price": "1280.0000", "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    assert priced.status_code == 200 and priced.json()["prices"][STENT][0]["price"] == "1280.0000", priced.text
    overlap = api.post(f"/price-lists/{list_id}/prices", headers=PRICING, json={
        "gtin": STENT, "price": "1200", "valid_from": "2026-12-31"})
    assert (overlap.status_code, overlap.json()["rule"]) == (409, "list-price-periods-overlap")

    zj = {"name": "浙江三甲95折", "priority": 10, "valid_from": "2026-01-01",
          "scope": {"provinces": ["浙江省"], "grades": ["3A"]}, "effect": {"kind": "discount_percent", "value": "5"}}
    assert api.put("/pricing-rules/zj-3a-5", headers=PRICING, json=zj).status_code == 200
    tie = api.put("/pricing-rules/hz-4", headers=PRICING, json={**zj, "name": "杭州96折", "scope": {
        "cities": ["杭州市"]}, "effect": {"kind": "discount_percent", "value": "4"}})
    assert (tie.status_code, tie.json()["type"], tie.json()["conflicting_rule_id"]) == (
        409, "urn:erp:rule:pricing-rule-conflict", "zj-3a-5")
    assert api.put("/pricing-rules/vol-50", headers=PRICING, json={
        "name": "50支以上固定价", "priority": 20, "valid_from": "2026-01-01", "scope": {"min_quantity": 50},
        "effect": {"kind": "fixed_price", "value": "1100.00"}}).status_code == 200
    bad = api.put("/pricing-rules/bad", headers=PRICING, json={**zj, "effect": {"kind": "discount_percent",
                                                                                 "value": "120"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "effect"

    quote = api.get("/prices/quote", headers=DESK, params={"price_list": list_id, "customer": hospital,
                                                          "gtin": STENT, "quantity": 10, "on": "2026-12-31"})
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert (body["price"], body["source"], body["list_price"], body["winner"]) == ("1216.0000", "rule", "1280.0000",
                                                                                  "zj-3a-5")
    assert [(c["rule_id"], c["matched"]) for c in body["considered"]] == [("vol-50", False), ("zj-3a-5", True)]
    assert "quantity 10" in body["considered"][0]["why_not"]
    assert api.get("/prices/quote", headers=DESK, params={"price_list": list_id, "customer": hospital, "gtin": STENT,
                                                          "quantity": 60, "on": "2026-12-31"}).json()["price"] == "1100.00"
    rules = api.get("/pricing-rules", headers=DESK).json()
    assert [r["rule_id"] for r in rules["items"]] == ["vol-50", "zj-3a-5"] and rules["total"] == 2

    sichuan_rep = bearer("rep-zhao", ["order_desk"], ["region:四川省"])
    hidden = api.get("/prices/quote", headers=sichuan_rep, params={"price_list": list_id, "customer": hospital,
                                                                   "gtin": STENT})
    assert (hidden.status_code, hidden.json()["errors"][0]["rule"]) == (422, "registered-customer")


def test_a_vbp_award_prices_its_province_s_lines_and_a_platform_ceiling_caps_the_others(channel_api):
    api, md = channel_api, bearer("md", ["master_data"])
    zj = api.post("/hospitals", headers=md, json={"name": "浙江省人民医院", "province": "浙江省", "grade": "3A"}).json()
    sc = api.post("/hospitals", headers=md, json={"name": "四川省人民医院", "province": "四川省", "grade": "3A"}).json()
    list_id = api.post("/price-lists", headers=PRICING, json={"name": "目录价"}).json()["price_list_id"]
    api.post(f"/price-lists/{list_id}/prices", headers=PRICING, json={"gtin": STENT, "price": "13000",
                                                                      "valid_from": "2026-01-01"})
    award = api.put("/tender-prices/vbp-zj", headers=PRICING, json={
        "gtin": STENT, "kind": "award", "price": "700", "province": "浙江省", "valid_from": "2026-01-01",
        "valid_to": "2027-12-31", "reference": "国家组织冠脉支架集中带量采购", "agreed_volumes": {zj["hospital_id"]: 1200}})
    assert award.status_code == 200 and award.json()["agreed_volumes"] == {zj["hospital_id"]: 1200}, award.text
    ceiling = api.put("/tender-prices/sc-gw", headers=PRICING, json={
        "gtin": STENT, "kind": "ceiling", "price": "9000", "province": "四川省", "valid_from": "2026-01-01",
        "reference": "四川省药械集中采购平台挂网"})
    assert ceiling.status_code == 200, ceiling.text
    neither = api.put("/tender-prices/bad", headers=PRICING, json={
        "gtin": STENT, "kind": "ceiling", "price": "9000", "valid_from": "2026-01-01", "reference": "x"})
    assert (neither.status_code, neither.json()["rule"]) == (409, "tender-applies-to")

    def quote(hospital: dict) -> dict:
        return api.get("/prices/quote", headers=DESK, params={"price_list": list_id, "customer": hospital["hospital_id"],
                                                             "gtin": STENT, "on": "2026-12-01"}).json()

    assert (quote(zj)["price"], quote(zj)["source"], quote(zj)["award"]) == ("700.0000", "award",
                                                                               "国家组织冠脉支架集中带量采购")
    assert (quote(sc)["price"], quote(sc)["capped"], quote(sc)["list_price"]) == ("9000.0000", True, "13000.0000")
    listed = api.get("/tender-prices", headers=DESK, params={"kind": "award"}).json()
    assert [t["tender_price_id"] for t in listed["items"]] == ["vbp-zj"]


def test_a_province_s_minimum_price_is_a_rule_with_an_owner_in_force_beside_the_winning_discount(channel_api):
    api = channel_api
    hospital = api.post("/hospitals", headers=bearer("md", ["master_data"]), json={
        "name": "浙江省人民医院", "province": "浙江省", "grade": "3A"}).json()["hospital_id"]
    list_id = api.post("/price-lists", headers=PRICING, json={"name": "目录价"}).json()["price_list_id"]
    api.post(f"/price-lists/{list_id}/prices", headers=PRICING, json={"gtin": STENT, "price": "1000",
                                                                      "valid_from": "2026-01-01"})
    assert api.put("/pricing-rules/big-order", headers=PRICING, json={
        "name": "大单7折", "priority": 10, "valid_from": "2026-01-01", "scope": {"min_quantity": 20},
        "effect": {"kind": "discount_percent", "value": "30"}}).status_code == 200
    floor = api.put("/pricing-rules/zj-floor", headers=PRICING, json={
        "name": "浙江省最低限价", "priority": 10, "valid_from": "2026-01-01", "scope": {"provinces": ["浙江省"]},
        "effect": {"kind": "minimum_price", "value": "820"}, "owner": "浙江大区经理 陈"})
    assert floor.status_code == 200, floor.text  # the same priority as the discount: a floor never competes
    assert (floor.json()["owner"], floor.json()["effect"]) == ("浙江大区经理 陈", {"kind": "minimum_price",
                                                                                "value": "820"})
    quote = api.get("/prices/quote", headers=DESK, params={"price_list": list_id, "customer": hospital,
                                                          "gtin": STENT, "quantity": 20, "on": "2026-12-01"}).json()
    assert (quote["price"], quote["winner"], quote["floor"], quote["floor_rule"], quote["floored"]) == (
        "820", "big-order", "820", "zj-floor", True)
    owners = {r["rule_id"]: r["owner"] for r in api.get("/pricing-rules", headers=DESK).json()["items"]}
    assert owners == {"big-order": "user:pricing-li", "zj-floor": "浙江大区经理 陈"}  # absent: who saved it
    malformed = api.put("/pricing-rules/bad", headers=PRICING, json={
        "name": "买赠", "priority": 3, "valid_from": "2026-01-01", "effect": {"kind": "free_goods", "value": "10"}})
    assert (malformed.status_code, malformed.json()["errors"][0]["field"]) == (422, "effect")
    assert "N+M" in malformed.text  # the error says how free goods are written


def test_price_lists_are_listed_with_how_many_gtins_they_price_filtered_by_currency_and_gtin(channel_api, settings,
                                                                                          pool):
    from services.channel.projections.prices import PriceLists
    from shared.platform.consumer import Delivery

    api = channel_api
    cny = api.post("/price-lists", headers=PRICING, json={"name": "2026年全国目录价"}).json()["price_list_id"]
    usd = api.post("/price-lists", headers=PRICING, json={"name": "Export 2026", "currency": "USD",
                                                           "tax_included": False}).json()["price_list_id"]
    for gtin in (STENT, "09506000134376"):
        api.post(f"/price-lists/{cny}/prices", headers=PRICING, json={"gtin": gtin, "price": "10",
                                                                      "valid_from": "2026-01-01"})
    application = api.app.state.service.application
    projection = PriceLists(pool, settings.schema_for("channel"))
    projection.setup()
    projection.handle_batch([Delivery(settings.topic_for("channel"), 0, n.id, application.envelope(n))
                             for n in application.recorder.select_notifications(start=1, limit=100)])

    listed = api.get("/price-lists", headers=DESK).json()
    assert [(p["name"], p["currency"], p["tax_included"], p["gtins"], p["created_by"]) for p in listed["items"]] == [
        ("2026年全国目录价", "CNY", True, 2, "user:pricing-li"), ("Export 2026", "USD", False, 0, "user:pricing-li")]
    assert [p["price_list_id"] for p in api.get("/price-lists", headers=DESK, params={"currency": "USD"}).json()[
        "items"]] == [usd]
    assert api.get("/price-lists", headers=DESK, params={"gtin": STENT}).json()["total"] == 1
    assert api.get("/price-lists", headers=bearer("dora", ["distributor_user"])).status_code == 403
