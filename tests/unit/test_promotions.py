"""Promotions through channel's handlers on the in-memory event store: a promotion is a rule of the rulebook (the
price explanation names it) with a budget, launched once; its rule is changed only as a promotion."""

from datetime import date
from decimal import Decimal

import pytest

from services.channel.application import ChannelApplication, prices, promotions
from shared.domain.rules import RuleViolation
from shared.platform.unit_of_work import UnitOfWork
from tests.unit.in_memory import in_memory

STENT = "09506000134352"


@pytest.fixture
def uow():
    with in_memory(ChannelApplication, "user:pricing-li") as app:
        yield UnitOfWork(app)


def launch(uow: UnitOfWork, number: str = "Q4-ZJ", **changes):  # noqa: ANN003, ANN201
    command = {"number": number, "name": "浙江四季度支架促销", "budget": Decimal("50000.00"),
               "valid_from": date(2026, 10, 1), "valid_to": date(2026, 12, 31), "priority": 900,
               "scope": {"provinces": ["浙江省"], "gtins": [STENT]},
               "effect": {"kind": "discount_percent", "value": "8"}, "owner": "user:pricing-li", **changes}
    return promotions.launch_promotion(promotions.LaunchPromotion(**command), uow)


def test_a_promotion_is_a_rule_of_the_rulebook_with_a_budget_launched_once(uow):
    promotion, created = launch(uow)
    rule = prices.rule_book(uow).rules["promo-Q4-ZJ"]
    assert (created, promotion.rule_id, rule["name"], rule["priority"], rule["effect"]) == (
        True, "promo-Q4-ZJ", "促销 浙江四季度支架促销", 900, {"kind": "discount_percent", "value": "8"})
    again, created_again = launch(uow)
    assert (created_again, again.id) == (False, promotion.id)
    with pytest.raises(RuleViolation) as changed:
        launch(uow, budget=Decimal("1.00"))
    assert changed.value.rule == "promotion-number-unique"


def test_a_promotion_s_rule_conflicting_with_another_or_without_products_or_budget_is_refused(uow):
    launch(uow)
    with pytest.raises(RuleViolation) as conflict:
        launch(uow, "Q4-ZJ-2")
    with pytest.raises(RuleViolation) as no_products:
        launch(uow, "X-1", scope={"provinces": ["浙江省"]})
    with pytest.raises(RuleViolation) as no_budget:
        launch(uow, "X-2", budget=Decimal("0"))
    assert (conflict.value.rule, no_products.value.rule, no_budget.value.rule) == (
        "pricing-rule-conflict", "promotion-products", "promotion-budget")


def test_a_promotion_s_rule_is_not_changed_as_a_plain_pricing_rule(uow):
    launch(uow)
    with pytest.raises(RuleViolation) as refused:
        prices.save_pricing_rule(prices.SavePricingRule(
            rule_id="promo-Q4-ZJ", name="x", priority=1, scope={}, valid_from=date(2026, 1, 1), valid_to=None,
            effect={"kind": "discount_percent", "value": "50"}, owner="pricing-li"), uow)
    assert refused.value.rule == "promotion-rule"
    assert prices.rule_book(uow).rules["promo-Q4-ZJ"]["effect"]["value"] == "8"
