"""Price lists and the pricing rule book as commands on the in-memory event store: list-price periods never overlap,
a tying rule is refused when it is saved (naming the other), retries record nothing, and a line is priced for a
registered customer from its facts, explained; a customer outside the caller's scope is unknown."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from services.channel.application import ChannelApplication, parties, prices
from shared.domain.rules import InvalidReference, RuleViolation
from shared.platform.access import DataScope
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.in_memory import in_memory

STENT = "09506000134352"
JAN, DEC = date(2026, 1, 1), date(2026, 12, 31)


@pytest.fixture
def uow():
    with in_memory(ChannelApplication, "user:pricing") as app:
        yield UnitOfWork(app)


def stored(uow: UnitOfWork) -> list[str]:
    return [n.topic.rsplit(".", 1)[-1] for n in uow.app.recorder.select_notifications(start=1, limit=1000)]


def price_list(uow: UnitOfWork) -> prices.PriceList:
    created, _ = prices.create_price_list(prices.CreatePriceList(price_list_id=uuid4(), name="2026 目录价",
                                                                 currency="CNY"), uow)
    return created


def set_price(uow: UnitOfWork, list_id, price: str, start: date, end: date | None) -> None:  # noqa: ANN001
    prices.set_list_price(prices.SetListPrice(price_list_id=list_id, gtin=STENT, price=Decimal(price),
                                              valid_from=start, valid_to=end), uow)


def save(uow: UnitOfWork, rule_id: str, priority: int, effect: dict, **scope) -> None:  # noqa: ANN003
    prices.save_pricing_rule(prices.SavePricingRule(rule_id=rule_id, name=rule_id, priority=priority, scope=scope,
                                                    valid_from=JAN, valid_to=DEC, effect=effect, owner="pricing-li"), uow)


def test_a_gtin_has_one_list_price_a_day_and_the_same_price_again_records_nothing(uow):
    listed = price_list(uow)
    set_price(uow, listed.id, "1000.00", JAN, date(2026, 6, 30))
    set_price(uow, listed.id, "1000.00", JAN, date(2026, 6, 30))
    set_price(uow, listed.id, "950.00", date(2026, 7, 1), None)
    with pytest.raises(RuleViolation) as overlapping:
        set_price(uow, listed.id, "900.00", date(2026, 6, 30), DEC)
    assert overlapping.value.rule == "list-price-periods-overlap"
    assert stored(uow).count("PriceSet") == 2


def test_a_rule_that_would_tie_is_refused_when_saved_naming_the_other_and_nothing_is_stored(uow):
    save(uow, "zj-5", 10, {"kind": "discount_percent", "value": "5"}, provinces=["浙江省"])
    save(uow, "zj-5", 10, {"kind": "discount_percent", "value": "5"}, provinces=["浙江省"])  # a retry
    before = stored(uow)
    with pytest.raises(RuleViolation) as tie:
        save(uow, "3a-3", 10, {"kind": "discount_percent", "value": "3"}, grades=["3A"])
    assert (tie.value.rule, tie.value.context["conflicting_rule_id"]) == ("pricing-rule-conflict", "zj-5")
    assert stored(uow) == before == ["Opened", "RuleSaved"]
    save(uow, "3a-3", 11, {"kind": "discount_percent", "value": "3"}, grades=["3A"])
    save(uow, "zj-5", 10, {"kind": "discount_percent", "value": "6"}, provinces=["浙江省"])  # replaced, not a tie
    assert prices.rule_book(uow).rules["zj-5"]["effect"] == {"kind": "discount_percent", "value": "6"}
    with pytest.raises(InvalidReference):
        save(uow, "from-list", 12, {"kind": "price_list", "value": str(uuid4())})


def test_a_line_is_priced_from_the_customer_s_facts_and_explained(uow):
    listed = price_list(uow)
    set_price(uow, listed.id, "1000.00", JAN, DEC)
    hospital, _ = parties.register_hospital(parties.RegisterHospital(hospital_id=uuid4(), name="浙江大学附属第一医院",
                                                                     province="浙江省", grade="3A"), uow)
    save(uow, "zj-5", 10, {"kind": "discount_percent", "value": "5"}, provinces=["浙江省"])
    save(uow, "sc-fixed", 20, {"kind": "fixed_price", "value": "800.00"}, provinces=["四川省"])
    line = prices.PriceLine(price_list_id=listed.id, customer_id=hospital.id, gtin=STENT, quantity=2,
                            on=date(2026, 12, 1))
    explained = prices.price_line(line, uow)
    assert (explained.price, explained.source, explained.winner) == (Decimal("950.0000"), "rule", "zj-5")
    assert [(c.rule_id, c.matched) for c in explained.considered] == [("sc-fixed", False), ("zj-5", True)]
    with pytest.raises(InvalidReference) as outside:
        prices.price_line(line, uow, DataScope(everything=False, regions=frozenset({"四川省"})))
    assert outside.value.rule == "registered-customer"
    assert prices.price_line(line, uow, DataScope(everything=False, hospitals=frozenset({hospital.id}))).price
