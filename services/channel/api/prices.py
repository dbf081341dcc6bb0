"""Prices HTTP API: price lists and their list prices, the pricing rule book, and a line priced for a customer with
the explanation of every rule considered (application/prices.py; the engine: shared/domain/pricing.py)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.channel import queries
from services.channel.application import prices
from services.channel.domain.price_books import PriceList
from shared.domain.gtin import GTINInput
from shared.domain.money import ListUnitPrice
from shared.domain.pricing import effect_of
from shared.domain.text import Name
from shared.platform.access import COMPANY, permitted
from shared.platform.api import REPLAYED, IdempotencyKey, command_by
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work
from shared.platform.unit_of_work import UnitOfWork
from shared.domain.business_day import business_today

router = APIRouter(tags=["prices"])
Work = Annotated[UnitOfWork, Depends(unit_of_work)]
# Price lists and rules are the company's rulebook; who may see a customer's price is narrowed by the customer.
PriceCommand = command_by("price:manage", scope=COMPANY)
PriceReader = permitted("price:read", scope=COMPANY)
CustomerPriceReader = permitted("price:read", scope="customer")

Code = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[^\s,]+(?: [^\s,]+)*$")]


class PriceListIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    tax_included: bool = Field(True, description="prices include VAT (含税), as Chinese B2B prices are quoted")


class ListPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: GTINInput
    price: ListUnitPrice
    valid_from: date
    valid_to: date | None = Field(None, description="last day included; open-ended if absent")


class PriceListOut(BaseModel):
    price_list_id: UUID
    name: str
    currency: str
    tax_included: bool
    prices: dict[str, list[dict[str, Any]]]
    version: int


class RuleScopeIn(BaseModel):
    """What the rule selects; each list empty (or absent) means any."""

    model_config = ConfigDict(extra="forbid")
    customers: list[UUID] = Field(default_factory=list, max_length=1000)
    grades: list[Code] = Field(default_factory=list, max_length=20)
    tiers: list[Code] = Field(default_factory=list, max_length=20)
    channels: list[Literal["direct", "distributor", "platform"]] = Field(default_factory=list, max_length=3)
    provinces: list[Code] = Field(default_factory=list, max_length=40)
    cities: list[Code] = Field(default_factory=list, max_length=400)
    gtins: list[GTINInput] = Field(default_factory=list, max_length=1000)
    groups: list[Code] = Field(default_factory=list, max_length=100)
    min_quantity: int = Field(1, ge=1, le=1_000_000)
    max_quantity: int | None = Field(None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _tier_in_order(self) -> "RuleScopeIn":
        if self.max_quantity is not None and self.max_quantity < self.min_quantity:
            raise ValueError("max_quantity is below min_quantity")
        return self


class RuleEffectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["fixed_price", "discount_percent", "price_list", "minimum_price", "free_goods"] = Field(
        description="minimum_price: a floor (a regional policy's 最低限价), in force beside the rule that prices the"
                    " line; free_goods: 买赠, of every N+M units M free")
    value: str = Field(min_length=1, max_length=64, description="the price, the percent (0-100, exclusive), the"
                                                                  " id of the price list to price from, or N+M")

    @model_validator(mode="after")
    def _value_fits_kind(self) -> "RuleEffectIn":
        if self.kind == "price_list":
            UUID(self.value)
        effect_of(self.kind, self.value)  # ValueError saying what is wrong
        return self


class PricingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name
    priority: int = Field(ge=0, le=1_000_000, description="the highest priority that matches a line prices it")
    scope: RuleScopeIn = Field(default_factory=RuleScopeIn)
    valid_from: date
    valid_to: date | None = None
    effect: RuleEffectIn
    owner: Name | None = Field(None, description="who answers for the rule (a regional policy's owner); absent: who"
                                                 " saves it")


class PricingRuleOut(BaseModel):
    rule_id: str
    name: str
    priority: int
    scope: dict[str, Any]
    valid_from: date
    valid_to: date | None
    effect: dict[str, Any]
    owner: str | None = Field(None, description="who answers for it (absent on rules saved before owners)")


class TenderPriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    kind: Literal["ceiling", "award"] = Field(description="ceiling: 挂网价, the most a line may cost; award: 中选价 of"
                                                          " volume-based procurement, the price")
    price: ListUnitPrice
    province: Code | None = Field(None, description="the province it applies to; or name hospitals")
    hospitals: list[UUID] = Field(default_factory=list, max_length=1000)
    valid_from: date
    valid_to: date | None = None
    reference: Name = Field(description="the platform's listing or the award's number")
    agreed_volumes: dict[UUID, Annotated[int, Field(gt=0, le=100_000_000)]] = Field(
        default_factory=dict, max_length=5000, description="hospital id -> units agreed for the cycle (约定采购量)")


class TenderPriceOut(BaseModel):
    tender_price_id: str
    gtin: str
    kind: str
    price: Decimal
    province: str | None
    hospitals: list[str]
    valid_from: date
    valid_to: date | None
    reference: str
    agreed_volumes: dict[str, int]


class ConsideredOut(BaseModel):
    rule_id: str
    name: str
    priority: int
    matched: bool
    why_not: str | None


class PriceQuoteOut(BaseModel):
    gtin: str
    quantity: int
    on: date
    price: Decimal | None = Field(description="per unit, in the list's terms (tax-inclusive unless it says otherwise)")
    source: Literal["award", "rule", "list", "none"]
    list_price: Decimal | None
    winner: str | None = Field(description="the rule that priced the line")
    award: str | None = Field(None, description="the award (中选价) that priced the line: it admits no rule")
    ceiling: Decimal | None = Field(None, description="the platform ceiling (挂网价) on the line's price, if any")
    capped: bool = Field(False, description="the price was lowered to the ceiling")
    floor: Decimal | None = Field(None, description="the highest minimum price (a regional policy) in force, if any")
    floor_rule: str | None = Field(None, description="the rule that sets that floor")
    floored: bool = Field(False, description="the price was raised to the floor")
    free_units: int = Field(0, description="of the line's units, how many its promotion gives (买赠); the price is"
                                           " spread over all of them")
    considered: list[ConsideredOut] = Field(description="every candidate rule, highest priority first, and why it"
                                                        " did not match")


def _list_out(price_list: PriceList) -> PriceListOut:
    return PriceListOut(price_list_id=price_list.id, name=price_list.name, currency=price_list.currency,
                        tax_included=price_list.tax_included, prices=price_list.prices, version=price_list.version)


@router.post("/price-lists", status_code=status.HTTP_201_CREATED, operation_id="create_price_list",
             responses=REPLAYED)
def create_price_list(body: PriceListIn, response: Response, meta: PriceCommand, uow: Work,
                      idempotency_key: IdempotencyKey = None) -> PriceListOut:
    price_list, created = prices.create_price_list(prices.CreatePriceList(
        price_list_id=new_aggregate_id("price-list", meta.actor, idempotency_key), name=body.name,
        currency=body.currency, tax_included=body.tax_included), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _list_out(price_list)


class PriceListRow(BaseModel):
    price_list_id: UUID
    name: str
    currency: str
    tax_included: bool
    gtins: int = Field(description="how many GTINs it prices")
    created_at: datetime
    created_by: str


@router.get("/price-lists", operation_id="list_price_lists")
def list_price_lists(read: Reads, _: PriceReader, paging: Paging,
                     name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
                     currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
                     gtin: Annotated[GTINInput | None, Query(description="lists that price this GTIN")] = None,
                     ) -> Page[PriceListRow]:
    return Page.of(PriceListRow, queries.price_lists(read, name, currency, gtin, paging), paging)


@router.get("/price-lists/{price_list_id}", operation_id="get_price_list")
def get_price_list(price_list_id: UUID, uow: Work, _: PriceReader) -> PriceListOut:
    return _list_out(prices.price_list_of(uow, price_list_id))


@router.post("/price-lists/{price_list_id}/prices", operation_id="set_list_price")
def set_list_price(price_list_id: UUID, body: ListPriceIn, meta: PriceCommand, uow: Work) -> PriceListOut:
    """A GTIN's list price for a period; a period overlapping another of the same GTIN is a 409
    (`list-price-periods-overlap`); the same price again records nothing."""
    return _list_out(prices.set_list_price(prices.SetListPrice(
        price_list_id=price_list_id, gtin=body.gtin, price=body.price, valid_from=body.valid_from,
        valid_to=body.valid_to), uow))


@router.put("/pricing-rules/{rule_id}", operation_id="save_pricing_rule")
def save_pricing_rule(rule_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")], body: PricingRuleIn,
                      meta: PriceCommand, uow: Work) -> PricingRuleOut:
    """Add or replace a rule. A rule of the same priority that could price the same lines on the same days is a
    409 (`pricing-rule-conflict`, naming it), found now rather than at order entry."""
    scope = body.scope.model_dump(mode="json")
    book = prices.save_pricing_rule(prices.SavePricingRule(
        rule_id=rule_id, name=body.name, priority=body.priority, scope=scope, valid_from=body.valid_from,
        valid_to=body.valid_to, effect=body.effect.model_dump(), owner=body.owner or meta.actor), uow)
    return PricingRuleOut(**book.rules[rule_id])


@router.get("/pricing-rules", operation_id="list_pricing_rules")
def list_pricing_rules(uow: Work, _: PriceReader, paging: Paging,
                       gtin: Annotated[GTINInput | None, Query()] = None,
                       valid_on: Annotated[date | None, Query(description="only rules valid on this day")] = None,
                       ) -> Page[PricingRuleOut]:
    """The rule book, highest priority first; filtered by a GTIN the rule names and a day it is valid on."""
    book = prices.rule_book(uow)
    rules = sorted(book.rules.values() if book else [], key=lambda r: (-r["priority"], r["rule_id"]))
    chosen = [r for r in rules if (gtin is None or gtin in (r["scope"].get("gtins") or []))
              and (valid_on is None or (r["valid_from"] <= valid_on and (r["valid_to"] is None
                                                                          or valid_on <= r["valid_to"])))]
    window = chosen[paging.offset:paging.offset + paging.limit]
    return Page[PricingRuleOut](items=[PricingRuleOut(**r) for r in window], total=len(chosen), limit=paging.limit,
                                offset=paging.offset)


@router.put("/tender-prices/{tender_price_id}", operation_id="record_tender_price")
def record_tender_price(tender_price_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")], body: TenderPriceIn,
                        meta: PriceCommand, uow: Work) -> TenderPriceOut:
    """A tender price for a province or named hospitals: an award (中选价) is the price of the lines it covers, a
    ceiling (挂网价) caps whatever else priced them. The same price again records nothing."""
    book = prices.record_tender_price(prices.RecordTenderPrice(
        tender_price_id=tender_price_id, gtin=body.gtin, kind=body.kind, price=body.price, province=body.province,
        hospitals=tuple(body.hospitals), valid_from=body.valid_from, valid_to=body.valid_to, reference=body.reference,
        agreed_volumes=tuple(body.agreed_volumes.items())), uow)
    return TenderPriceOut(**book.tender_prices[tender_price_id])


@router.get("/tender-prices", operation_id="list_tender_prices")
def list_tender_prices(uow: Work, _: PriceReader, paging: Paging, gtin: Annotated[GTINInput | None, Query()] = None,
                       province: Annotated[Code | None, Query()] = None,
                       kind: Annotated[Literal["ceiling", "award"] | None, Query()] = None) -> Page[TenderPriceOut]:
    """Tender prices of the rulebook, by GTIN, then validity."""
    book = prices.rule_book(uow)
    chosen = sorted((t for t in (book.tender_prices.values() if book else [])
                     if (gtin is None or t["gtin"] == gtin) and (province is None or t["province"] == province)
                     and (kind is None or t["kind"] == kind)), key=lambda t: (t["gtin"], t["valid_from"],
                                                                              t["tender_price_id"]))
    window = chosen[paging.offset:paging.offset + paging.limit]
    return Page[TenderPriceOut](items=[TenderPriceOut(**t) for t in window], total=len(chosen), limit=paging.limit,
                                offset=paging.offset)


@router.get("/prices/quote", operation_id="price_quote")
def price_quote(uow: Work, access: CustomerPriceReader, price_list: Annotated[UUID, Query()],
                customer: Annotated[UUID, Query(description="a hospital or a distributor")],
                gtin: Annotated[GTINInput, Query()], quantity: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                on: Annotated[date | None, Query(description="the day priced (default today)")] = None,
                channel: Annotated[Literal["direct", "distributor", "platform"], Query()] = "direct",
                group: Annotated[list[Code] | None, Query(max_length=20, description="the product's groups")] = None,
                ) -> PriceQuoteOut:
    """The price of a line for a customer on a day, explained: the list price, every rule considered and why it did
    or did not match, the winner."""
    day = on or business_today()
    explained = prices.price_line(prices.PriceLine(
        price_list_id=price_list, customer_id=customer, gtin=gtin, quantity=quantity, on=day, channel=channel,
        product_groups=tuple(group or ())), uow, access.scope)
    return PriceQuoteOut(gtin=gtin, quantity=quantity, on=day, price=explained.price, source=explained.source,
                         list_price=explained.list_price, winner=explained.winner, award=explained.award,
                         ceiling=explained.ceiling, capped=explained.capped, floor=explained.floor,
                         floor_rule=explained.floor_rule, floored=explained.floored, free_units=explained.free_units,
                         considered=[ConsideredOut(**vars(c)) for c in explained.considered])
