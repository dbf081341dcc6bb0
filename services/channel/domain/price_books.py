"""What the pricing engine (pricing.py) prices from, kept as events: price lists with their list prices, and the
one book of pricing rules, which refuses a rule that would tie with another when it is saved."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.pricing import (
    UNIT_PRICE_PLACES, PricingRule, TenderPrice, Validity, conflicting_rule, rule_of, tender_of,
)
from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

# The company keeps one rule book: a rule is checked against every other when it is saved, in one aggregate, so
# that two officers saving tying rules at the same time cannot both succeed (the second is a version conflict).
RULE_BOOK_ID = uuid5(NAMESPACE_URL, "erp:pricing-rule-book")


class PriceList(TracedAggregate):
    """A price list in one currency: per GTIN, dated list prices, tax-inclusive (含税) unless it says otherwise."""

    @event("Created")
    def __init__(self, price_list_id: UUID, name: str, currency: str, tax_included: bool) -> None:
        self.name, self.currency, self.tax_included = name, currency, tax_included
        self.prices: dict[str, list[dict[str, Any]]] = {}  # GTIN -> [{price, valid_from, valid_to}]

    @staticmethod
    def create_id(price_list_id: UUID) -> UUID:
        return price_list_id

    def set_price(self, gtin: str, price: Decimal, valid_from: date, valid_to: date | None) -> bool:
        """Record a list price for a period; False if this very price is already recorded (a retry). A period that
        overlaps another of the same GTIN is refused: on any day a GTIN has one list price."""
        if valid_to is not None and valid_to < valid_from:
            raise RuleViolation("valid-period", f"valid_to {valid_to} is before valid_from {valid_from}", "valid_to")
        entry = {"price": price.quantize(UNIT_PRICE_PLACES), "valid_from": valid_from, "valid_to": valid_to}
        earlier = self.prices.get(gtin, [])
        if entry in earlier:
            return False
        period = Validity(valid_from, valid_to)
        for other in earlier:
            if period.overlaps(Validity(other["valid_from"], other["valid_to"])):
                raise RuleViolation("list-price-periods-overlap", f"{gtin} already has the list price {other['price']}"
                                    f" from {other['valid_from']} to {other['valid_to'] or 'open end'}: end that period"
                                    " first", "valid_from", gtin=gtin)
        self._price_set(gtin=gtin, **entry)
        return True

    def price_on(self, gtin: str, day: date) -> Decimal | None:
        """The GTIN's list price on the day, if the list has one."""
        return next((e["price"] for e in self.prices.get(gtin, ())
                     if Validity(e["valid_from"], e["valid_to"]).covers(day)), None)

    @event("PriceSet")
    def _price_set(self, gtin: str, price: Decimal, valid_from: date, valid_to: date | None) -> None:
        self.prices.setdefault(gtin, []).append({"price": price, "valid_from": valid_from, "valid_to": valid_to})


class PricingRuleBook(TracedAggregate):
    """The company's pricing rulebook: its rules, and the tender prices (挂网价 ceilings, 中选价 awards) the engine
    applies before and after them."""

    @event("Opened")
    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}  # rule id -> the rule as saved
        self.tenders: dict[str, dict[str, Any]] = {}  # tender price id -> the tender price as recorded

    @staticmethod
    def create_id() -> UUID:
        return RULE_BOOK_ID

    def save_rule(self, rule: dict[str, Any]) -> bool:
        """Add or replace a rule; False if it is saved exactly so already. A rule of the same priority that could
        match the same lines on the same days is refused (409 naming it): the engine's winner is never a tie."""
        rule = {"owner": None, **rule}
        if self.rules.get(rule["rule_id"]) == rule:
            return False
        if rule["valid_to"] is not None and rule["valid_to"] < rule["valid_from"]:
            raise RuleViolation("valid-period", f"valid_to {rule['valid_to']} is before valid_from"
                                f" {rule['valid_from']}", "valid_to")
        if (other := conflicting_rule(rule_of(rule), (rule_of(r) for r in self.rules.values()))) is not None:
            raise RuleViolation("pricing-rule-conflict", f"rule {other.name!r} ({other.rule_id}) has the same priority"
                                f" {other.priority} and could price the same lines on the same days: give one of"
                                " them another priority, or narrow its scope or validity", "priority",
                                conflicting_rule_id=other.rule_id)
        self._rule_saved(**rule)
        return True

    @event("RuleSaved")
    def _rule_saved(self, rule_id: str, name: str, priority: int, scope: dict[str, Any], valid_from: date,
                    valid_to: date | None, effect: dict[str, Any], owner: str | None = None) -> None:
        self.rules[rule_id] = {"rule_id": rule_id, "name": name, "priority": priority, "scope": scope,
                               "valid_from": valid_from, "valid_to": valid_to, "effect": effect, "owner": owner}

    def engine_rules(self) -> list[PricingRule]:
        return [rule_of(r) for r in self.rules.values()]

    @property
    def tender_prices(self) -> dict[str, dict[str, Any]]:
        return self.__dict__.get("tenders", {})  # books opened before tender prices were kept have none

    def record_tender_price(self, tender: dict[str, Any]) -> bool:
        """Record a tender price for a province or named hospitals; False if recorded exactly so already. An award
        (中选价) names the agreed volume per hospital for its cycle (约定采购量), if any; a ceiling (挂网价) has none."""
        tender = {**tender, "price": tender["price"].quantize(UNIT_PRICE_PLACES)}
        if self.tender_prices.get(tender["tender_price_id"]) == tender:
            return False
        if tender["valid_to"] is not None and tender["valid_to"] < tender["valid_from"]:
            raise RuleViolation("valid-period", f"valid_to {tender['valid_to']} is before valid_from"
                                f" {tender['valid_from']}", "valid_to")
        if (tender["province"] is None) == (not tender["hospitals"]):
            raise RuleViolation("tender-applies-to", "a tender price applies to a province or to named hospitals,"
                                " one of the two", "province")
        if tender["kind"] == "ceiling" and tender["agreed_volumes"]:
            raise RuleViolation("agreed-volume-is-an-award's", "only an award (中选价) carries agreed volumes",
                                "agreed_volumes")
        self._tender_price_recorded(**tender)
        return True

    @event("TenderPriceRecorded")
    def _tender_price_recorded(self, tender_price_id: str, gtin: str, kind: str, price: Decimal,
                               province: str | None, hospitals: list[str], valid_from: date, valid_to: date | None,
                               reference: str, agreed_volumes: dict[str, int]) -> None:
        self.__dict__.setdefault("tenders", {})[tender_price_id] = {
            "tender_price_id": tender_price_id, "gtin": gtin, "kind": kind, "price": price, "province": province,
            "hospitals": hospitals, "valid_from": valid_from, "valid_to": valid_to, "reference": reference,
            "agreed_volumes": agreed_volumes}

    def engine_tenders(self) -> list[TenderPrice]:
        return [tender_of(t) for t in self.tender_prices.values()]
