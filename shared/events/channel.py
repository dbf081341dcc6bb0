"""Events produced by the channel service (topic `channel.events`)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import GTIN, EventPayload, Money, NoneIsEmpty, ValueObject

UnitPrice4 = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4)]


class ChannelEvent(EventPayload):
    producer: ClassVar[str] = "channel"


class Contact(ValueObject):
    """Whom a recall officer calls: the person responsible for devices (e.g. 设备科 at a hospital)."""

    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 ()-]{4,28}[0-9]$", description="digits, spaces, ( ) -,"
                                                                                       " an optional leading +")
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


HospitalGrade = Literal["3A", "3B", "3C", "2A", "2B", "2C", "1A", "1B", "1C", "ungraded"]


class HospitalRegistered(ChannelEvent):
    """A hospital the manufacturer may sell to. Version 2 names its province instead of v1's free-text
    region, because channel policies in China (e.g. the two-invoice rule) are set per province."""

    event_name: ClassVar[str] = "HospitalRegistered"
    schema_version: ClassVar[int] = 2
    subject_field: ClassVar[str] = "hospital_id"

    hospital_id: UUID
    name: str = Field(min_length=1, max_length=200)
    province: str = Field(min_length=1, max_length=100,
                          description="provincial-level division, e.g. 上海市, 四川省 (the API takes at most 50;"
                                      " 100 because upcast v1 regions could be that long)")
    city: str | None = Field(None, min_length=1, max_length=50, description="e.g. 成都市; absent when not known")
    grade: HospitalGrade
    contact: Contact | None = Field(None, description="absent when none was given (and before contacts existed)")


def hospital_registered_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 recorded a region that was, in practice, the province (e.g. 上海市); v1 never knew the city."""
    upcast = {key: value for key, value in data.items() if key != "region"}
    return {**upcast, "province": data["region"], "city": None}


class DistributorRegistered(ChannelEvent):
    event_name: ClassVar[str] = "DistributorRegistered"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=100)
    tier: Literal["platinum", "gold", "silver", "standard"]
    contact: Contact | None = Field(None, description="absent when none was given (and before contacts existed)")


class HospitalContactChanged(ChannelEvent):
    event_name: ClassVar[str] = "HospitalContactChanged"
    subject_field: ClassVar[str] = "hospital_id"

    hospital_id: UUID
    contact: Contact


class DistributorContactChanged(ChannelEvent):
    event_name: ClassVar[str] = "DistributorContactChanged"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    contact: Contact


DistributorDocumentType = Literal["business_licence", "distribution_licence", "filing_certificate"]


class DistributorLicenceRecorded(ChannelEvent):
    """A distributor's qualification document (合规准入): its business licence (营业执照), its distribution licence
    (医疗器械经营许可证, needed to sell class III devices) or its filing certificate (第二类医疗器械经营备案凭证, class II).
    A later document of the same type and number replaces the earlier one (a renewal)."""

    event_name: ClassVar[str] = "DistributorLicenceRecorded"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    document_type: DistributorDocumentType
    number: str = Field(min_length=1, max_length=100)
    valid_from: date
    valid_to: date
    scope: str | None = Field(None, max_length=2000, description="经营范围 as the document states it")


HospitalDocumentType = Literal["practice_licence"]


class HospitalLicenceRecorded(ChannelEvent):
    """A hospital's practice licence (医疗机构执业许可证), which the manufacturer checks before selling to it (GSP 购货
    者资格审核). A later document of the same type and number replaces the earlier one (a renewal)."""

    event_name: ClassVar[str] = "HospitalLicenceRecorded"
    subject_field: ClassVar[str] = "hospital_id"

    hospital_id: UUID
    document_type: HospitalDocumentType
    number: str = Field(min_length=1, max_length=100)
    valid_from: date
    valid_to: date
    scope: str | None = Field(None, max_length=2000, description="诊疗科目 as the document states it")


class HospitalAliasAdded(ChannelEvent):
    """Another name a hospital is known by (e.g. 华西医院 for 四川大学华西医院): distributors' sell-out reports naming it
    are matched to the hospital (流向清洗)."""

    event_name: ClassVar[str] = "HospitalAliasAdded"
    subject_field: ClassVar[str] = "hospital_id"

    hospital_id: UUID
    alias: str = Field(min_length=1, max_length=200)


class HospitalStatusChanged(ChannelEvent):
    """A hospital deactivated (no new orders; the reason is the event's) or reactivated."""

    event_name: ClassVar[str] = "HospitalStatusChanged"
    subject_field: ClassVar[str] = "hospital_id"

    hospital_id: UUID
    active: bool


class DistributorStatusChanged(ChannelEvent):
    """A distributor deactivated (no new orders through it; the reason is the event's) or reactivated."""

    event_name: ClassVar[str] = "DistributorStatusChanged"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    active: bool


class AuthorizedCity(ValueObject):
    province: str = Field(min_length=1, max_length=50)
    city: str = Field(min_length=1, max_length=50)


class DistributorAuthorized(ChannelEvent):
    """An authorization (授权书): the distributor may sell these products (GTINs, product groups) in this territory
    (provinces, hospitals) from valid_from to valid_to. Orders through it are refused for anything it does not
    cover."""

    event_name: ClassVar[str] = "DistributorAuthorized"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    number: str = Field(min_length=1, max_length=100, description="the letter's number")
    gtins: list[GTIN] = Field(default_factory=list, max_length=1000)
    product_groups: list[str] = Field(default_factory=list, max_length=100)
    provinces: list[str] = Field(default_factory=list, max_length=40)
    hospitals: list[UUID] = Field(default_factory=list, max_length=1000)
    valid_from: date
    valid_to: date
    exclusive: bool = Field(False, description="no other distributor may be authorized for these products in this"
                                               " territory over any of these days")
    cities: Annotated[list[AuthorizedCity], NoneIsEmpty] = Field(default_factory=list, max_length=400,
                                                                 description="cities, each with its province")


class DistributorAuthorizationRevoked(ChannelEvent):
    """An authorization withdrawn (the reason is the event's): no new orders under it."""

    event_name: ClassVar[str] = "DistributorAuthorizationRevoked"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    number: str = Field(min_length=1, max_length=100)


class TerritoryRegisterEvent(ChannelEvent):
    subject_field: ClassVar[str] = "register_id"
    register_id: UUID = Field(description="the company's one register of authorized territories")


class TerritoryRegisterOpened(TerritoryRegisterEvent):
    event_name: ClassVar[str] = "TerritoryRegisterOpened"


class AuthorizedTerritoryClaimed(TerritoryRegisterEvent):
    """A distributor's authorization registered against every other's: refused (nothing recorded) where it would
    overlap another distributor's where either is exclusive."""

    event_name: ClassVar[str] = "AuthorizedTerritoryClaimed"
    distributor_id: UUID
    grant: dict[str, Any] = Field(description="number, products, provinces, hospitals (with their provinces), period,"
                                              " exclusive")


class AuthorizedTerritoryReleased(TerritoryRegisterEvent):
    event_name: ClassVar[str] = "AuthorizedTerritoryReleased"
    distributor_id: UUID
    number: str = Field(min_length=1, max_length=100)


# --- prices: price lists and the pricing rule book (services/channel/domain/price_books.py) ----------------------

class PriceListCreated(ChannelEvent):
    """A price list in one currency; its prices are tax-inclusive (含税) unless `tax_included` is false."""

    event_name: ClassVar[str] = "PriceListCreated"
    subject_field: ClassVar[str] = "price_list_id"

    price_list_id: UUID
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    tax_included: bool = True


class ListPriceSet(ChannelEvent):
    """A GTIN's list price on a price list for a period (first and last day included; open-ended without an end).
    The periods of one GTIN on one list never overlap."""

    event_name: ClassVar[str] = "ListPriceSet"
    subject_field: ClassVar[str] = "price_list_id"

    price_list_id: UUID
    gtin: str = Field(pattern=r"^\d{14}$")
    price: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    valid_from: date
    valid_to: date | None = None


class PricingRuleBookOpened(ChannelEvent):
    """The company's one book of pricing rules came to exist (with its first rule)."""

    event_name: ClassVar[str] = "PricingRuleBookOpened"
    subject_field: ClassVar[str] = "book_id"

    book_id: UUID


class PricingRuleSaved(ChannelEvent):
    """A pricing rule added or replaced (same `rule_id`). It selects lines by its scope (each list empty meaning any)
    and quantity tier, within its validity; of the rules that match a line, the one of highest priority prices it
    (shared/domain/pricing.py). No other rule of its priority can match the same lines."""

    event_name: ClassVar[str] = "PricingRuleSaved"
    subject_field: ClassVar[str] = "book_id"

    book_id: UUID
    rule_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(ge=0, le=1_000_000)
    scope: dict[str, Any] = Field(description="customers, grades, tiers, channels, provinces, cities, gtins, groups"
                                              " (lists), min_quantity, max_quantity")
    valid_from: date
    valid_to: date | None = None
    effect: dict[str, Any] = Field(description="kind: fixed_price | discount_percent | price_list | minimum_price (a"
                                               " floor, in force beside the rule that prices a line) | free_goods"
                                               " (买赠, value N+M); value")
    owner: str | None = Field(None, max_length=200, description="who answers for the rule (a regional policy's"
                                                                " owner); absent on rules saved before owners")


class TenderPriceRecorded(ChannelEvent):
    """A tender price in the rulebook: the ceiling listed on a provincial platform (挂网价) or the award price of
    volume-based procurement (中选价, mandatory), for a province or named hospitals, dated. An award may carry the
    volume each hospital agreed to buy in the cycle (约定采购量), which its completion rate is judged against."""

    event_name: ClassVar[str] = "TenderPriceRecorded"
    subject_field: ClassVar[str] = "book_id"

    book_id: UUID
    tender_price_id: str = Field(min_length=1, max_length=100)
    gtin: str = Field(pattern=r"^\d{14}$")
    kind: Literal["ceiling", "award"]
    price: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    province: str | None = Field(None, max_length=50)
    hospitals: list[str] = Field(default_factory=list, description="hospital ids, when it names hospitals")
    valid_from: date
    valid_to: date | None = None
    reference: str = Field(min_length=1, max_length=200, description="the platform's listing or the award's number")
    agreed_volumes: dict[str, int] = Field(default_factory=dict, description="hospital id -> units agreed (awards)")


# --- diversion (窜货) alerts on distributors' sell-out (services/channel/domain/diversion.py) ------------------------

class DiversionAlertEvent(ChannelEvent):
    subject_field: ClassVar[str] = "alert_id"
    alert_id: UUID


class DiversionAlertRaised(DiversionAlertEvent):
    """A sell-out line no authorization (授权书) of its distributor covers on the day of the sale: diversion."""

    event_name: ClassVar[str] = "DiversionAlertRaised"

    report_id: UUID
    line_no: int = Field(ge=1)
    report_reference: str = Field(min_length=1, max_length=100)
    distributor_id: UUID
    hospital_id: UUID
    province: str = Field(min_length=1, max_length=50, description="the hospital's")
    gtin: GTIN
    lot: str = Field(min_length=1, max_length=20)
    serials: list[str] | None = Field(None, description="the units, when the distributor reported serials")
    quantity: int = Field(gt=0)
    sold_at: date
    authorizations: list[str] = Field(description="the numbers of the distributor's authorizations for this product"
                                                  " valid that day, whose territory the sale falls outside")
    problem: str = Field(max_length=500)


class DiversionAlertResolved(DiversionAlertEvent):
    """A person closed the alert, with a reason (the event's): diversion confirmed, or a false alarm."""

    event_name: ClassVar[str] = "DiversionAlertResolved"

    outcome: Literal["confirmed", "false_alarm"]
    resolution: str = Field(min_length=1, max_length=500)


# --- rebates (返利): programmes and each distributor's settlements (services/channel/domain/rebate_programmes.py) ---

class RebateTier(ValueObject):
    start: Decimal = Field(description="where the band starts (included)")
    end: Decimal | None = Field(None, description="where it ends (excluded); absent on the last, open band")
    rate: Decimal = Field(ge=0, description="percent of the amount, or money per unit")


class RebateProgrammeCreated(ChannelEvent):
    """A rebate programme (返利政策): whom it rewards, for which products, on what basis, with which tiers."""

    event_name: ClassVar[str] = "RebateProgrammeCreated"
    subject_field: ClassVar[str] = "programme_id"

    programme_id: UUID
    number: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    basis: Literal["sell_in", "sell_through"] = Field(description="sell_in: invoiced to the distributor (net of VAT);"
                                                                  " sell_through: its cleansed sell-out")
    measure: Literal["amount", "units"]
    kind: Literal["whole_volume", "marginal"]
    retroactive: bool = Field(description="judged on the volume to date: reaching a higher band pays the difference"
                                          " on what came before")
    period: Literal["month", "quarter"]
    valid_from: date
    valid_to: date
    distributors: list[UUID] = Field(default_factory=list, max_length=1000)
    distributor_tiers: list[Literal["platinum", "gold", "silver", "standard", "tier_1", "tier_2", "delivery"]] = Field(
        default_factory=list, max_length=20, description="pricing tiers, or channel levels (tier_1 一级, tier_2 二级,"
                                                         " delivery 配送商), whose distributors it rewards")
    gtins: list[GTIN] = Field(default_factory=list, max_length=1000)
    product_groups: list[str] = Field(default_factory=list, max_length=100)
    tiers: list[RebateTier] = Field(min_length=1, max_length=20)


class RebateAccountEvent(ChannelEvent):
    subject_field: ClassVar[str] = "account_id"
    account_id: UUID = Field(description="one per (programme, distributor)")


class RebateAccountOpened(RebateAccountEvent):
    event_name: ClassVar[str] = "RebateAccountOpened"
    programme_id: UUID
    distributor_id: UUID


class RebateSettlementProposed(RebateAccountEvent):
    """What is due through a period: earned to date less what earlier settlements paid (netting)."""

    event_name: ClassVar[str] = "RebateSettlementProposed"
    settlement_no: str = Field(min_length=1, max_length=100)
    through_period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")
    entitled: Money = Field(description="earned to date through the period")
    settled_before: Money
    amount: Money = Field(gt=0, description="entitled less settled_before")
    mode: Literal["invoice_discount", "free_goods"] = Field(description="票折 on a later invoice, or 货补")
    proposed_by: str = Field(min_length=1, max_length=200)
    free_goods_gtin: GTIN | None = None
    free_goods_quantity: int | None = Field(None, gt=0, description="货补: the whole units given (amount = units"
                                                                    " × unit price; the remainder stays due)")
    free_goods_unit_price: UnitPrice4 | None = Field(None, description="货补: each unit's value, the valuation"
                                                                       " list's price (含税)")


class RebateSettlementApproved(RebateAccountEvent):
    """A settlement approved by another person: billing deducts it from the distributor's next invoices as a discount
    (票折, reducing their VAT base), or it is given as free goods (货补)."""

    event_name: ClassVar[str] = "RebateSettlementApproved"
    settlement_no: str = Field(min_length=1, max_length=100)
    distributor_id: UUID
    amount: Money = Field(gt=0, description="tax-inclusive (含税), in the invoices' currency")
    mode: Literal["invoice_discount", "free_goods"]
    free_goods_gtin: GTIN | None = None
    free_goods_quantity: int | None = Field(None, gt=0, description="货补: the units the order service ships free")
    free_goods_unit_price: UnitPrice4 | None = Field(None, description="货补: each unit's value (含税)")


class RebateSettlementRejected(RebateAccountEvent):
    event_name: ClassVar[str] = "RebateSettlementRejected"
    settlement_no: str = Field(min_length=1, max_length=100)


# --- channel structure and targets (services/channel/domain/parties.py) ------------------------------------------

class DistributorPlaced(ChannelEvent):
    """Where the distributor stands in the channel: 一级经销商 (buys from the manufacturer), 二级经销商 (buys from its
    tier-1 parent) or 配送商 (delivers for others)."""

    event_name: ClassVar[str] = "DistributorPlaced"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    level: Literal["tier_1", "tier_2", "delivery"]
    parent_distributor_id: UUID | None = Field(None, description="a tier-2's tier-1 supplier")


class DistributorTargetSet(ChannelEvent):
    """The distributor's target for a period (replacing an earlier one for it): scorecards measure attainment."""

    event_name: ClassVar[str] = "DistributorTargetSet"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")
    amount: Money | None = Field(None, ge=0, description="sell-in, net of VAT")
    units: int | None = Field(None, ge=0)


# --- promotions (services/channel/domain/promotions.py) ----------------------------------------------------------

class PromotionCreated(ChannelEvent):
    """A promotion (促销活动): a pricing rule in the rulebook (`rule_id`, saved in the same transaction) with a budget
    — the discount it may give in all, tax-inclusive — that the order service spends order by order."""

    event_name: ClassVar[str] = "PromotionCreated"
    subject_field: ClassVar[str] = "promotion_id"

    promotion_id: UUID
    number: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    rule_id: str = Field(min_length=1, max_length=120)
    budget: Money = Field(gt=0)
    valid_from: date
    valid_to: date
    scope: dict[str, Any] = Field(description="the rule's scope: provinces, cities, customers, tiers, grades, channels,"
                                              " gtins, groups")
    effect: dict[str, Any] = Field(description="discount_percent or fixed_price, and its value")
    owner: str = Field(min_length=1, max_length=200, description="who answers for it")
