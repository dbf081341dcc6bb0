"""What pricing asks of the order service's copies of other services' data: the customer's facts that rules select
by, the rulebook, items' VAT rates, and the customer's signed contracts. A port: queries.py answers it on the read
models, unit tests in memory."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol
from uuid import UUID

from shared.domain.pricing import PricingEngine


@dataclass(frozen=True)
class Customer:
    customer_id: UUID
    kind: Literal["hospital", "distributor"]
    name: str
    province: str
    city: str | None = None
    grade: str | None = None
    tier: str | None = None


class PriceFacts(Protocol):
    def customer(self, customer_id: UUID) -> Customer | None: ...

    def base_list(self, currency: str) -> UUID | None:
        """The company's standard price list in the currency (the first created): what rules discount from."""

    def list_currency(self, price_list_id: UUID) -> str | None: ...

    def engine(self, base_list_id: UUID) -> PricingEngine: ...

    def product_groups(self, gtin: str) -> frozenset[str]:
        """The groups pricing rules may select the item by (empty: none)."""

    def vat_rate(self, gtin: str) -> Decimal | None:
        """The item's VAT rate; None when the item does not say (the devices' 13% applies)."""

    def promotion_budget(self, rule_id: str) -> Decimal | None:
        """The budget of the promotion whose rule this is; None when the rule is not a promotion's."""

    def active_contracts(self, customer_id: UUID) -> list[UUID]:
        """The customer's signed contracts, newest first (whether one covers a day is the contract's to say)."""
