"""Promotions: launched as a pricing rule of the rulebook and a budget, in one transaction (domain/promotions.py)."""

from datetime import date
from decimal import Decimal
from typing import Any

from services.channel.application.prices import rule_book
from services.channel.domain.price_books import PricingRuleBook
from services.channel.domain.promotions import Promotion, promotion_id_for
from shared.domain.rules import RuleViolation
from shared.platform.command import Command
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork


class LaunchPromotion(Command):
    number: str
    name: str
    budget: Decimal
    valid_from: date
    valid_to: date
    priority: int
    scope: dict[str, Any]
    effect: dict[str, Any]
    owner: str


def launch_promotion(command: LaunchPromotion, uow: UnitOfWork) -> tuple[Promotion, bool]:
    """The promotion under its number, and whether this command launched it. Its rule is saved like any other: one of
    the same priority that could price the same lines on the same days is refused, naming it."""
    def launched() -> Promotion:
        promotion = Promotion.launch(command.number, command.name, command.budget, command.valid_from,
                                     command.valid_to, command.scope, command.effect, command.owner)
        book = rule_book(uow) or PricingRuleBook()
        if book.save_rule({"rule_id": promotion.rule_id, "name": f"促销 {command.name}", "priority": command.priority,
                           "scope": command.scope, "valid_from": command.valid_from, "valid_to": command.valid_to,
                           "effect": {"kind": command.effect["kind"], "value": str(command.effect["value"])},
                           "owner": command.owner}):
            uow.collect(book)
        return promotion

    promotion, created = create_once(uow, promotion_id_for(command.number), Promotion, launched)
    if not created and (promotion.budget, promotion.scope, promotion.effect) != (command.budget, command.scope,
                                                                                 command.effect):
        raise RuleViolation("promotion-number-unique", f"promotion {command.number} exists with other terms",
                            "number", promotion_id=str(promotion.id))
    return promotion, created
