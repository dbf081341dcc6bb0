"""The order service's price facts (services/order/domain/price_facts.py) in memory, for unit tests: what its
projections would hold of customers, the rulebook, items' VAT rates and signed contracts."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from services.order.domain.price_facts import Customer
from shared.domain.pricing import PriceLookup, PricingEngine, PricingRule, TenderPrice, Validity


@dataclass
class InMemoryPriceFacts:
    customers: dict[UUID, Customer] = field(default_factory=dict)
    lists: dict[UUID, str] = field(default_factory=dict)  # price list id -> currency, in creation order
    list_prices: list[tuple[str, str, Validity, Decimal]] = field(default_factory=list)
    rules: list[PricingRule] = field(default_factory=list)
    tenders: list[TenderPrice] = field(default_factory=list)
    vat_rates: dict[str, Decimal] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # GTIN -> product group
    contracts: dict[UUID, list[UUID]] = field(default_factory=dict)  # customer -> signed contracts, newest first
    promotions: dict[str, Decimal] = field(default_factory=dict)  # a promotion's rule id -> its budget

    def price_list(self, currency: str = "CNY", **prices: Decimal) -> UUID:
        """A new price list with these prices (keyword: 'g' + GTIN) valid from 2000-01-01."""
        list_id = uuid4()
        self.lists[list_id] = currency
        for key, price in prices.items():
            self.list_prices.append((str(list_id), key.removeprefix("g"), Validity(date(2000, 1, 1)), price))
        return list_id

    def customer(self, customer_id: UUID) -> Customer | None:
        return self.customers.get(customer_id)

    def base_list(self, currency: str) -> UUID | None:
        return next((list_id for list_id, c in self.lists.items() if c == currency), None)

    def list_currency(self, price_list_id: UUID) -> str | None:
        return self.lists.get(price_list_id)

    def engine(self, base_list_id: UUID) -> PricingEngine:
        return PricingEngine(self.rules, self.tenders, PriceLookup(self.list_prices), str(base_list_id))

    def product_groups(self, gtin: str) -> frozenset[str]:
        return frozenset({self.groups[gtin]}) if gtin in self.groups else frozenset()

    def vat_rate(self, gtin: str) -> Decimal | None:
        return self.vat_rates.get(gtin)

    def active_contracts(self, customer_id: UUID) -> list[UUID]:
        return self.contracts.get(customer_id, [])

    def promotion_budget(self, rule_id: str) -> Decimal | None:
        return self.promotions.get(rule_id)


@dataclass
class InMemoryCreditFacts:
    """The order service's credit exposure per customer, as its read model would hold it."""

    exposures: dict[UUID, "Exposure"] = field(default_factory=dict)
    asked: list[tuple] = field(default_factory=list)
    groups: dict[UUID, list[UUID]] = field(default_factory=dict)  # customer -> the credit groups it is in

    def groups_of(self, customer_id: UUID) -> list[UUID]:
        return self.groups.get(customer_id, [])

    lapsed: list[UUID] = field(default_factory=list)  # orders whose credit release expired (the order list's)

    def lapsed_credit_releases(self, day: date, limit: int = 500) -> list[UUID]:
        return self.lapsed[:limit]

    def exposure(self, customer_id: UUID, currency: str, day: date, payment_terms_days: int,
                 overdue_days: int) -> "Exposure":
        from services.order.domain.credit import Exposure

        self.asked.append((customer_id, currency, day, payment_terms_days, overdue_days))
        return self.exposures.get(customer_id, Exposure())
