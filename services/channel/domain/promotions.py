"""Promotions (促销活动): a period, regions, products, customers or tiers, an effect on the price (a discount, a
special price, or free goods per N units: 买赠 "N+M") and a budget — the discount it may give in all, tax-inclusive
(free goods count at the list price of the units given). A promotion is a pricing rule in the
rulebook (rule id `promo-<number>`), so every price it gives is explained naming it; the order service spends its
budget order by order and passes over it once spent. Pure."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

PROMOTION_RULE_PREFIX = "promo-"


def promotion_id_for(number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:promotion:{number}")


def rule_id_of(number: str) -> str:
    return f"{PROMOTION_RULE_PREFIX}{number}"


class Promotion(TracedAggregate):
    @event("Created")
    def __init__(self, number: str, name: str, rule_id: str, budget: Decimal, valid_from: date, valid_to: date,
                 scope: dict[str, Any], effect: dict[str, Any], owner: str) -> None:
        self.number, self.name, self.rule_id, self.budget = number, name, rule_id, budget
        self.valid_from, self.valid_to, self.scope, self.effect, self.owner = valid_from, valid_to, scope, effect, owner

    @staticmethod
    def create_id(number: str) -> UUID:
        return promotion_id_for(number)

    @classmethod
    def launch(cls, number: str, name: str, budget: Decimal, valid_from: date, valid_to: date, scope: dict[str, Any],
               effect: dict[str, Any], owner: str) -> "Promotion":
        if budget <= 0:
            raise RuleViolation("promotion-budget", "a promotion has a budget above 0", "budget")
        if valid_to < valid_from:
            raise RuleViolation("valid-period", f"valid_to {valid_to} is before valid_from {valid_from}", "valid_to")
        if effect["kind"] not in ("discount_percent", "fixed_price", "free_goods"):
            raise RuleViolation("promotion-effect", "a promotion gives a discount, a special price or free goods",
                                "effect.kind")
        if not (scope.get("gtins") or scope.get("groups")):
            raise RuleViolation("promotion-products", "name the products it promotes (GTINs or product groups)",
                                "gtins")
        return cls(number=number, name=name, rule_id=rule_id_of(number), budget=budget, valid_from=valid_from,
                   valid_to=valid_to, scope=scope, effect=effect, owner=owner)
