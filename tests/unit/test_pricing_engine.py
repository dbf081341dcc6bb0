"""The pricing engine (shared/domain/pricing.py): precedence, one winner, tiers, validity edges, tender
ceilings and awards, conflicts found when a rule is saved; and, for random rule sets, the engine's winner is the one
a brute-force evaluation of every rule finds."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.pricing import (
    Discount, FixedPrice, FreeGoods, FromList, Line, MinimumPrice, PriceLookup, PricingEngine, PricingRule, Scope,
    TenderPrice, Validity, brute_force_winner, conflicting_rule, effect_of, gross_of, net_of,
)

STENT, CATHETER = "09506000134352", "09506000134376"
DAY = date(2026, 12, 1)
YEAR = Validity(date(2026, 1, 1), date(2026, 12, 31))
LISTS = PriceLookup([("CNY-2026", STENT, YEAR, Decimal("1000.00")), ("CNY-2026", CATHETER, YEAR, Decimal("200.00")),
                     ("DIST-2026", STENT, YEAR, Decimal("820.00"))])


def rule(rule_id: str, priority: int, effect, validity: Validity = YEAR, **scope) -> PricingRule:  # noqa: ANN001, ANN003
    return PricingRule(rule_id, rule_id, priority, Scope(**{k: frozenset(v) if isinstance(v, (set, list)) else v
                                                            for k, v in scope.items()}), validity, effect)


def engine(*rules: PricingRule, tenders: tuple[TenderPrice, ...] = ()) -> PricingEngine:
    return PricingEngine(rules, tenders, LISTS, "CNY-2026")


def line(**fields) -> Line:  # noqa: ANN003
    return Line(**{"gtin": STENT, "quantity": 1, "on": DAY, "customer_id": "H1", "hospital_grade": "三级甲等",
                   "province": "浙江省", "city": "杭州市", **fields})


def test_without_a_rule_the_list_price_applies_and_without_one_there_is_no_price():
    assert (engine().price(line()).price, engine().price(line()).source) == (Decimal("1000.00"), "list")
    unknown = engine().price(line(gtin="09506000134383"))
    assert (unknown.price, unknown.source) == (None, "none")


def test_the_highest_priority_matching_rule_wins_alone_and_discounts_never_compound():
    rules = (rule("grade-10%", 10, Discount(Decimal(10)), grades={"三级甲等"}),
             rule("zj-5%", 20, Discount(Decimal(5)), provinces={"浙江省"}),
             rule("h1-fixed", 30, FixedPrice(Decimal("880.00")), customers={"H2"}))
    priced = engine(*rules).price(line(), explain=True)
    assert (priced.price, priced.winner) == (Decimal("950.0000"), "zj-5%")  # 5% off, not 5% then 10%
    assert [(c.rule_id, c.matched) for c in priced.considered] == [("h1-fixed", False), ("zj-5%", True),
                                                                  ("grade-10%", True)]
    assert "customer H1" in priced.considered[0].why_not


def test_quantity_tiers_and_price_from_another_list():
    rules = (rule("10+", 5, Discount(Decimal(8)), min_quantity=10, max_quantity=49),
             rule("50+", 6, Discount(Decimal(15)), min_quantity=50),
             rule("dist", 7, FromList("DIST-2026"), channels={"distributor"}))
    e = engine(*rules)
    assert e.price(line(quantity=9)).price == Decimal("1000.00")
    assert (e.price(line(quantity=10)).price, e.price(line(quantity=49)).winner) == (Decimal("920.0000"), "10+")
    assert e.price(line(quantity=50)).winner == "50+"
    assert e.price(line(channel="distributor")).price == Decimal("820.00")


def test_a_rule_is_valid_from_its_first_to_its_last_day_included():
    december = rule("dec", 1, FixedPrice(Decimal("900.00")), Validity(date(2026, 12, 1), date(2026, 12, 31)))
    e = engine(december)
    assert [e.price(line(on=d)).source for d in (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 31))] == [
        "list", "rule", "rule"]
    assert e.price(line(on=date(2027, 1, 1))).source == "none"  # the list itself ended


def test_a_vbp_award_is_the_price_and_a_platform_ceiling_caps_whatever_else_priced_the_line():
    award = TenderPrice(STENT, "award", Decimal("700.00"), YEAR, province="浙江省", reference="国采-支架-2026")
    ceiling = TenderPrice(CATHETER, "ceiling", Decimal("180.00"), YEAR, province="浙江省", reference="浙江挂网")
    e = engine(rule("all", 1, FixedPrice(Decimal("650.00"))), tenders=(award, ceiling))
    priced = e.price(line())
    assert (priced.price, priced.source, priced.award) == (Decimal("700.00"), "award", "国采-支架-2026")
    assert e.price(line(province="四川省")).price == Decimal("650.00")  # another province: the rule
    capped = engine(tenders=(ceiling,)).price(line(gtin=CATHETER))
    assert (capped.price, capped.capped, capped.ceiling) == (Decimal("180.00"), True, Decimal("180.00"))
    own = TenderPrice(STENT, "award", Decimal("720.00"), YEAR, hospitals=frozenset({"H1"}), reference="H1")
    assert engine(tenders=(award, own)).price(line()).award == "H1"  # the hospital's own award first


def test_equal_priorities_that_could_meet_are_refused_when_saved_naming_the_other_rule():
    saved = [rule("zj", 10, Discount(Decimal(5)), provinces={"浙江省"})]
    assert conflicting_rule(rule("grade", 10, Discount(Decimal(3)), grades={"三级甲等"}), saved).rule_id == "zj"
    assert conflicting_rule(rule("sc", 10, Discount(Decimal(3)), provinces={"四川省"}), saved) is None
    assert conflicting_rule(rule("grade", 11, Discount(Decimal(3)), grades={"三级甲等"}), saved) is None
    later = Validity(date(2027, 1, 1), None)
    assert conflicting_rule(rule("2027", 10, Discount(Decimal(3)), later, provinces={"浙江省"}), saved) is None
    tiers = [rule("1-9", 3, Discount(Decimal(1)), max_quantity=9)]
    assert conflicting_rule(rule("10+", 3, Discount(Decimal(2)), min_quantity=10), tiers) is None
    assert conflicting_rule(rule("9+", 3, Discount(Decimal(2)), min_quantity=9), tiers).rule_id == "1-9"
    gtin_rules = [rule("stent", 4, Discount(Decimal(1)), gtins={STENT})]
    assert conflicting_rule(rule("cath", 4, Discount(Decimal(1)), gtins={CATHETER}), gtin_rules) is None
    assert conflicting_rule(rule("group", 4, Discount(Decimal(1)), groups={"stents"}), gtin_rules) is not None


def test_a_regional_minimum_price_raises_the_winner_s_price_but_never_competes_with_it():
    rules = (rule("zj-30%", 10, Discount(Decimal(30)), provinces={"浙江省"}),
             rule("zj-floor", 10, MinimumPrice(Decimal("800.00")), provinces={"浙江省"}),  # same priority: no conflict
             rule("zj-floor-3a", 1, MinimumPrice(Decimal("850.00")), provinces={"浙江省"}, grades={"三级甲等"}))
    e = engine(*rules)
    floored = e.price(line(), explain=True)
    # 30% off the list's 1000 is 700; two floors are in force, the highest (850) binds whatever its priority
    assert (floored.price, floored.winner, floored.floor, floored.floor_rule, floored.floored) == (
        Decimal("850.00"), "zj-30%", Decimal("850.00"), "zj-floor-3a", True)
    assert [c.rule_id for c in floored.considered] == ["zj-30%"]  # floors are not candidates for the price
    assert e.price(line(hospital_grade="二级甲等")).price == Decimal("800.00")
    assert (e.price(line(province="四川省")).price, e.price(line(province="四川省")).floor) == (Decimal("1000.00"), None)
    above = engine(rule("zj-floor", 1, MinimumPrice(Decimal("600.00")), provinces={"浙江省"})).price(line())
    assert (above.price, above.floored, above.floor) == (Decimal("1000.00"), False, Decimal("600.00"))
    # the platform's ceiling is the law: a floor above it does not lift the price over it; an award admits neither
    ceiling = TenderPrice(STENT, "ceiling", Decimal("780.00"), YEAR, province="浙江省", reference="浙江挂网")
    award = TenderPrice(STENT, "award", Decimal("500.00"), YEAR, province="浙江省", reference="国采")
    assert engine(*rules, tenders=(ceiling,)).price(line()).price == Decimal("780.00")
    assert engine(*rules, tenders=(award,)).price(line()).price == Decimal("500.00")
    assert conflicting_rule(rules[1], rules[:1]) is None and conflicting_rule(rules[0], rules[1:]) is None
    assert brute_force_winner(rules, line()).rule_id == "zj-30%"


def test_free_goods_spread_the_paid_units_amount_over_every_unit_of_the_line():
    e = engine(rule("promo-10+1", 900, FreeGoods(10, 1), gtins={STENT}))
    ten, eleven, twenty_three = (e.price(line(quantity=q)) for q in (10, 11, 23))
    assert (ten.price, ten.free_units) == (Decimal("1000.00"), 0)  # 10 units: none free yet
    assert (eleven.price, eleven.free_units, eleven.winner) == (Decimal("909.0909"), 1, "promo-10+1")
    assert (eleven.price * 11).quantize(Decimal("0.01")) == Decimal("10000.00")  # 10 paid for, spread over 11
    assert (twenty_three.free_units, twenty_three.price) == (2, Decimal("913.0435"))  # 21 paid of 23
    assert FreeGoods(2, 1).free_units(9) == 3 and FreeGoods(2, 1).free_units(8) == 2


@pytest.mark.parametrize(("kind", "value", "effect"), [
    ("free_goods", "10+1", FreeGoods(10, 1)), ("minimum_price", "850.5", MinimumPrice(Decimal("850.5"))),
    ("discount_percent", "7.5", Discount(Decimal("7.5"))), ("fixed_price", "1.0001", FixedPrice(Decimal("1.0001")))])
def test_an_effect_is_read_from_its_kind_and_value(kind, value, effect):
    assert effect_of(kind, value) == effect


@pytest.mark.parametrize(("kind", "value"), [("free_goods", "10"), ("free_goods", "0+1"), ("free_goods", "10+0"),
                                             ("free_goods", "-1+1"), ("minimum_price", "0"),
                                             ("minimum_price", "1.00001"), ("discount_percent", "100"),
                                             ("fixed_price", "ten"), ("minimum_price", "NaN"),
                                             ("discount_percent", "Infinity")])
def test_a_malformed_effect_value_is_refused(kind, value):
    with pytest.raises(ValueError):
        effect_of(kind, value)


def test_net_and_tax_inclusive_prices_derive_from_each_other_at_the_item_s_vat_rate():
    assert net_of(Decimal("1130.00")) == Decimal("1000.0000")
    assert gross_of(Decimal("1000.00")) == Decimal("1130.0000")
    assert net_of(Decimal("106.00"), Decimal("0.06")) == Decimal("100.0000")


# --- property: the indexed engine finds the winner a brute-force evaluation finds --------------------------------

PROVINCES, GRADES, GROUPS = ["浙江省", "四川省", "上海市"], ["三级甲等", "二级甲等"], ["stents", "catheters"]


@st.composite
def rule_sets(draw) -> list[PricingRule]:  # noqa: ANN001
    rules = []
    for n in range(draw(st.integers(0, 25))):
        start = DAY + timedelta(days=draw(st.integers(-30, 30)))
        scope = {"provinces": set(draw(st.lists(st.sampled_from(PROVINCES), max_size=2))),
                 "grades": set(draw(st.lists(st.sampled_from(GRADES), max_size=1))),
                 "gtins": set(draw(st.lists(st.sampled_from([STENT, CATHETER]), max_size=1))),
                 "groups": set(draw(st.lists(st.sampled_from(GROUPS), max_size=1))),
                 "min_quantity": draw(st.integers(1, 20))}
        candidate = rule(f"r{n}", draw(st.integers(0, 8)), Discount(Decimal(draw(st.integers(1, 50)))),
                         Validity(start, start + timedelta(days=draw(st.integers(0, 60)))), **scope)
        if conflicting_rule(candidate, rules) is None:  # as saving would: conflicting rules never coexist
            rules.append(candidate)
    return rules


@settings(max_examples=300, deadline=None)
@given(rules=rule_sets(), gtin=st.sampled_from([STENT, CATHETER]), province=st.sampled_from(PROVINCES),
       grade=st.sampled_from(GRADES), quantity=st.integers(1, 30), offset=st.integers(-40, 90),
       groups=st.lists(st.sampled_from(GROUPS), max_size=2))
def test_the_engine_s_winner_is_the_brute_force_winner(rules, gtin, province, grade, quantity, offset, groups):
    priced_line = line(gtin=gtin, province=province, hospital_grade=grade, quantity=quantity,
                       on=DAY + timedelta(days=offset), product_groups=frozenset(groups))
    expected = brute_force_winner(rules, priced_line)
    explained = engine(*rules).price(priced_line, explain=True)
    assert explained.winner == (expected.rule_id if expected and LISTS.price("CNY-2026", gtin, priced_line.on)
                                else None)
    assert [c.rule_id for c in explained.considered if c.matched][:1] == ([expected.rule_id] if expected else [])
