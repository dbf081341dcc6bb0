"""Pricing a line for a customer with the order service's own copy of the rulebook (projections/price_book.py) and
the shared engine (shared/domain/pricing.py): the same price `GET /prices/quote` explains in channel.

`PriceFacts` (domain/price_facts.py) is the port the handlers ask; queries.py answers it on the read models, unit
tests in memory."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from services.order.domain.price_facts import Customer, PriceFacts
from shared.domain.pricing import DEFAULT_VAT_RATE, Line, PriceExplanation, PricingEngine
from shared.domain.rules import InvalidReference, NotFound
from shared.platform.access import EVERYTHING, DataScope, outside_scope


def known_customer(facts: PriceFacts, customer_id: UUID, scope: DataScope = EVERYTHING,
                   field: str = "customer_id") -> Customer:
    """The customer, or 422: unknown, or outside the caller's scope (answered alike, revealing nothing)."""
    customer = facts.customer(customer_id)
    if customer is not None and not scope.covers(hospitals=[customer_id], distributors=[customer_id],
                                                 regions=[customer.province]):
        customer = None
    if customer is None:
        raise InvalidReference(field, "registered-customer", "name a registered hospital or distributor",
                               f"no hospital or distributor {customer_id}")
    return customer


def customer_of(facts: PriceFacts, customer_id: UUID, scope: DataScope = EVERYTHING) -> Customer:
    """The customer a path names, or 404: unknown, or outside the caller's scope (answered alike)."""
    customer = facts.customer(customer_id)
    if customer is None:
        raise NotFound("Customer", customer_id)
    if not scope.covers(hospitals=[customer_id], distributors=[customer_id], regions=[customer.province]):
        raise outside_scope("Customer", customer_id)
    return customer


def price_list_for(facts: PriceFacts, currency: str, price_list_id: UUID | None) -> UUID:
    """The list named (it must be in the document's currency), else the standard list of the currency."""
    if price_list_id is not None:
        if facts.list_currency(price_list_id) != currency:
            raise InvalidReference("price_list_id", "price-list-in-currency", f"name a price list in {currency}",
                                   f"no price list {price_list_id} in {currency}")
        return price_list_id
    found = facts.base_list(currency)
    if found is None:
        raise InvalidReference("currency", "price-list-in-currency", f"create a price list in {currency} first",
                               f"there is no price list in {currency}")
    return found


def vat_rate_of(facts: PriceFacts, gtin: str) -> Decimal:
    return facts.vat_rate(gtin) or DEFAULT_VAT_RATE


def priced(engine: PricingEngine, customer: Customer, gtin: str, quantity: int, day: date,
           through_distributor: bool = False, groups: frozenset[str] = frozenset(),
           spent: frozenset[str] = frozenset()) -> PriceExplanation:
    """The rulebook's price of a line for the customer, explained. A hospital served through a distributor is priced
    on the distributor channel; a distributor buying is too. `groups`: the item's product groups; `spent`: the rules
    of promotions whose budget is spent for this line."""
    channel = "distributor" if through_distributor or customer.kind == "distributor" else "direct"
    return engine.price(Line(gtin=gtin, quantity=quantity, on=day, customer_id=str(customer.customer_id),
                             hospital_grade=customer.grade, distributor_tier=customer.tier, channel=channel,
                             province=customer.province, city=customer.city, product_groups=groups), explain=True,
                       spent=spent)
