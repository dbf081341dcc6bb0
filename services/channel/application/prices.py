"""Commands and questions on prices: create a price list, set a list price, save a pricing rule; and price a line for
a customer, explained (the engine: shared/domain/pricing.py)."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.channel.domain import Distributor, Hospital
from services.channel.domain.price_books import RULE_BOOK_ID, PriceList, PricingRuleBook
from services.channel.domain.promotions import PROMOTION_RULE_PREFIX
from shared.domain.pricing import Line, PriceExplanation, PriceLookup, PricingEngine, Validity
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.command import Command
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork


class CreatePriceList(Command):
    price_list_id: UUID
    name: str
    currency: str
    tax_included: bool = True


class SetListPrice(Command):
    price_list_id: UUID
    gtin: str
    price: Decimal
    valid_from: date
    valid_to: date | None = None


class SavePricingRule(Command):
    rule_id: str
    name: str
    priority: int
    scope: dict[str, Any]  # lists of accepted values per dimension; min_quantity, max_quantity
    valid_from: date
    valid_to: date | None
    effect: dict[str, Any]  # {"kind": fixed_price | discount_percent | price_list | minimum_price | free_goods, ...}
    owner: str


class RecordTenderPrice(Command):
    tender_price_id: str
    gtin: str
    kind: str  # ceiling (挂网价) or award (中选价)
    price: Decimal
    province: str | None
    hospitals: tuple[UUID, ...]
    valid_from: date
    valid_to: date | None
    reference: str
    agreed_volumes: tuple[tuple[UUID, int], ...] = ()


class PriceLine(Command):
    """Price one line for a customer (a hospital or a distributor) on a day, from a price list."""

    price_list_id: UUID
    customer_id: UUID
    gtin: str
    quantity: int
    on: date
    channel: str = "direct"
    product_groups: tuple[str, ...] = ()


def create_price_list(command: CreatePriceList, uow: UnitOfWork) -> tuple[PriceList, bool]:
    return create_once(uow, command.price_list_id, PriceList, lambda: PriceList(
        price_list_id=command.price_list_id, name=command.name, currency=command.currency,
        tax_included=command.tax_included))


def set_list_price(command: SetListPrice, uow: UnitOfWork) -> PriceList:
    price_list = price_list_of(uow, command.price_list_id)
    if price_list.set_price(command.gtin, command.price, command.valid_from, command.valid_to):
        uow.collect(price_list)
    uow.commit()
    return price_list


def save_pricing_rule(command: SavePricingRule, uow: UnitOfWork) -> PricingRuleBook:
    """Add or replace a rule in the company's rule book (opened with its first rule). A promotion's rule is the
    promotion's: it is not changed here."""
    if command.rule_id.startswith(PROMOTION_RULE_PREFIX):
        raise RuleViolation("promotion-rule", f"{command.rule_id} is a promotion's rule: promotions are launched with"
                            " POST /promotions", "rule_id")
    effect = command.effect
    if effect["kind"] == "price_list" and uow.get(UUID(str(effect["value"])), PriceList) is None:
        raise InvalidReference("effect.value", "known-price-list", "name a price list that exists",
                               f"no price list {effect['value']}")
    book = rule_book(uow) or PricingRuleBook()
    if book.save_rule({"rule_id": command.rule_id, "name": command.name, "priority": command.priority,
                       "scope": command.scope, "valid_from": command.valid_from, "valid_to": command.valid_to,
                       "effect": {"kind": effect["kind"], "value": str(effect["value"])}, "owner": command.owner}):
        uow.collect(book)
    uow.commit()
    return book


def record_tender_price(command: RecordTenderPrice, uow: UnitOfWork) -> PricingRuleBook:
    """Record a tender price in the rulebook (opened by its first rule or tender price); the hospitals it names and
    those with agreed volumes must be registered."""
    named = {*command.hospitals, *(hospital for hospital, _ in command.agreed_volumes)}
    for hospital_id in sorted(named):
        if uow.get(hospital_id, Hospital) is None:
            raise InvalidReference("hospitals", "registered-hospital", "name registered hospitals",
                                   f"no hospital {hospital_id}")
    book = rule_book(uow) or PricingRuleBook()
    if book.record_tender_price({
            "tender_price_id": command.tender_price_id, "gtin": command.gtin, "kind": command.kind,
            "price": command.price, "province": command.province, "hospitals": [str(h) for h in command.hospitals],
            "valid_from": command.valid_from, "valid_to": command.valid_to, "reference": command.reference,
            "agreed_volumes": {str(h): quantity for h, quantity in command.agreed_volumes}}):
        uow.collect(book)
    uow.commit()
    return book


def price_line(command: PriceLine, uow: UnitOfWork, scope: DataScope = EVERYTHING) -> PriceExplanation:
    """The line's price and how it was found: the customer's facts (grade and province of a hospital, tier and
    region of a distributor) select the rules; the price list gives the list prices. A customer outside the caller's
    data scope is answered as unknown: a price is the customer's data."""
    price_list = price_list_of(uow, command.price_list_id)
    customer = uow.get(command.customer_id, Hospital) or uow.get(command.customer_id, Distributor)
    if customer is not None and not scope.covers(
            hospitals=[command.customer_id], distributors=[command.customer_id],
            regions=[customer.province if isinstance(customer, Hospital) else customer.region]):
        customer = None
    if customer is None:
        raise InvalidReference("customer", "registered-customer", "name a registered hospital or distributor",
                               f"no hospital or distributor {command.customer_id}")
    hospital = isinstance(customer, Hospital)
    line = Line(gtin=command.gtin, quantity=command.quantity, on=command.on, customer_id=str(command.customer_id),
                hospital_grade=customer.grade if hospital else None,
                distributor_tier=None if hospital else customer.tier, channel=command.channel,  # type: ignore[arg-type]
                province=customer.province if hospital else customer.region,
                city=getattr(customer, "city", None) if hospital else None,
                product_groups=frozenset(command.product_groups))
    book = rule_book(uow)
    engine = PricingEngine(book.engine_rules() if book else [], book.engine_tenders() if book else [],
                           _lookup(uow, price_list, book), str(price_list.id))
    return engine.price(line, explain=True)


def _lookup(uow: UnitOfWork, base: PriceList, book: PricingRuleBook | None) -> PriceLookup:
    """The list prices of the base list and of every list a rule prices from."""
    lists = {str(base.id): base}
    for rule in book.rules.values() if book else ():
        if rule["effect"]["kind"] == "price_list" and rule["effect"]["value"] not in lists:
            other = uow.get(UUID(rule["effect"]["value"]), PriceList)
            if other is not None:
                lists[rule["effect"]["value"]] = other
    return PriceLookup((list_id, gtin, Validity(e["valid_from"], e["valid_to"]), e["price"])
                       for list_id, price_list in lists.items()
                       for gtin, entries in price_list.prices.items() for e in entries)


def price_list_of(uow: UnitOfWork, price_list_id: UUID) -> PriceList:
    found = uow.get(price_list_id, PriceList)
    if found is None:
        raise NotFound("Price list", price_list_id)
    return found


def rule_book(uow: UnitOfWork) -> PricingRuleBook | None:
    return uow.get(RULE_BOOK_ID, PricingRuleBook)
