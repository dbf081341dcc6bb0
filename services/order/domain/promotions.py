"""A promotion's budget as the order service spends it (the promotion itself is channel's: a pricing rule in the
rulebook, its budget in PromotionCreated). Pure."""

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate


class PromotionBudget(TracedAggregate):
    """What a promotion has given, order by order (kept by the order service, in the order's transaction): an
    amendment re-prices its order and replaces what that order spent; a line whose discount the rest of the budget
    cannot cover is priced without the promotion."""

    @event("Opened")
    def __init__(self, rule_id: str, budget: Decimal) -> None:
        self.rule_id, self.budget = rule_id, budget
        self.spent_by: dict[str, Decimal] = {}

    @staticmethod
    def create_id(rule_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"erp:promotion-budget:{rule_id}")

    def left_for(self, order_id: UUID) -> Decimal:
        """What the order may still be given: the budget less what other orders were given."""
        return self.budget - sum((v for k, v in self.spent_by.items() if k != str(order_id)), Decimal("0.00"))

    def spend(self, order_id: UUID, amount: Decimal) -> bool:
        """Record what the order is given (replacing what it was given before); False when that is so already."""
        if amount > self.left_for(order_id):
            raise RuleViolation("promotion-budget-spent", f"promotion {self.rule_id} has {self.left_for(order_id)}"
                                f" left, not {amount}", "lines")
        if self.spent_by.get(str(order_id), Decimal("0.00")) == amount:
            return False  # so already (an order given nothing records nothing)
        self._spent(order_id=order_id, amount=amount)
        return True

    @event("Spent")
    def _spent(self, order_id: UUID, amount: Decimal) -> None:
        self.spent_by = {**self.spent_by, str(order_id): amount}
