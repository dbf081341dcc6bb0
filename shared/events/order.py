"""Events produced by the order service (topic `order.events`): sales orders, quotes and contracts.

Prices: a quote's and a contract's `unit_price` is tax-inclusive (含税, as Chinese B2B prices are quoted), with the
net price beside it; an order line's `unit_price` is net (what billing adds VAT to, as since the first order), with
`gross_unit_price` beside it when the system priced it."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator

from shared.events.base import GTIN, CurrencyCode, EventPayload, LotNumber, Money, NoneIsEmpty, Quantity, ValueObject


UnitPrice4 = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
VatRate = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]
PriceSource = Literal["contract", "award", "rule", "list", "manual"]


class OrderEvent(EventPayload):
    producer: ClassVar[str] = "order"
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID


SalesOrderType = Literal["standard", "consignment", "loaner", "consumption", "free_goods"]
OrderStatusAfter = Literal["on_hold", "placed", "reserved", "partially_reserved", "backordered", "partially_shipped",
                           "shipped", "price_rejected", "cancelled", "closed"]


class PlannedQuantity(ValueObject):
    date: date
    quantity: Quantity


class OrderLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity
    unit_price: Money = Field(ge=0)
    min_remaining_shelf_life_days: int | None = Field(
        None, ge=0, description="only lots with at least this many days of shelf life left on delivery")
    # Since orders are priced by the system (absent on older orders, typed by the desk):
    gross_unit_price: UnitPrice4 | None = Field(None, description="tax-inclusive (含税) unit price")
    vat_rate: VatRate | None = Field(None, description="the item's VAT rate, e.g. 0.13")
    price_source: PriceSource | None = Field(
        None, description="what priced the line: the hospital's contract, a VBP award (中选价), a pricing rule, the"
                          " list price, or a price the desk typed (manual: held for a pricing manager's approval)")
    contract_id: UUID | None = Field(None, description="the contract that priced the line and whose volume it uses")
    price_explanation: dict[str, Any] | None = Field(
        None, description="how the rulebook priced it: list price, every rule considered, the winner, the ceiling")
    deliveries: list[PlannedQuantity] | None = Field(
        None, description="its delivery plan (交付计划): scheduled deliveries adding up to the quantity")


OrderHold = Literal["price_approval", "credit", "compliance", "manual"]


class OrderPlaced(OrderEvent):
    event_name: ClassVar[str] = "OrderPlaced"

    hospital_id: UUID
    customer_reference: str | None = Field(None, max_length=100)
    currency: CurrencyCode
    lines: list[OrderLine] = Field(min_length=1)
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = Field(
        None, description="the order is delivered through this distributor (配送商): goods ship to the distributor,"
                          " who delivers to the hospital and reports it in its sell-out (流向); absent: shipped direct")
    holds: list[OrderHold] = Field(
        default_factory=list, description="why the order waits before fulfilment (price_approval: a typed price;"
                                          " credit: a failed credit check); fulfilment starts with OrderReleased."
                                          " Empty: fulfilment starts now")
    hold_reasons: dict[str, str] | None = Field(None, description="hold -> why, as the checks said it")
    ship_complete: bool = Field(False, description="deliver only complete (no partial deliveries); absent (false)"
                                                   " before partial deliveries existed")
    order_type: SalesOrderType = Field("standard", description="consignment (寄售 replenishment) and loaner (跟台"
                                                               " set) orders ship uninvoiced to a consignment location;"
                                                               " consumption: consigned units used (ConsignmentUsed),"
                                                               " invoiced, nothing to ship; free_goods: a rebate"
                                                               " settled as 货补, zero-priced, to the distributor"
                                                               " itself (hospital_id names it), never invoiced")
    usage_id: UUID | None = Field(None, description="a consumption order's usage report")
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")
    legacy_reference: str | None = Field(None, max_length=100, description="an order migrated from the company's"
                                                                           " old system (an import of open orders):"
                                                                           " its order number there; absent"
                                                                           " otherwise")
    legacy_order_date: date | None = Field(None, description="a migrated order's date in the old system, when"
                                                             " given")

    @field_validator("holds", mode="before")
    @classmethod
    def _none_is_no_hold(cls, value: object) -> object:
        return [] if value is None else value  # the aggregate records None when placed without holds


class OrderPriceApproved(OrderEvent):
    """A pricing manager (not the person who typed it) accepted the order's typed prices; the reason is the event's."""

    event_name: ClassVar[str] = "OrderPriceApproved"
    approved_by: str


class OrderPriceRejected(OrderEvent):
    """A pricing manager refused the typed prices: the order is not fulfilled (the desk places it again)."""

    event_name: ClassVar[str] = "OrderPriceRejected"
    rejected_by: str


class OrderHeld(OrderEvent):
    """A person put a hold on the order (manual, compliance); one already in fulfilment is not dispatched until it
    is released. The reason is the event's."""

    event_name: ClassVar[str] = "OrderHeld"
    hold: OrderHold


class OrderHoldReleased(OrderEvent):
    """The role that owns the hold released it, with a reason (the event's); a credit release says until when."""

    event_name: ClassVar[str] = "OrderHoldReleased"
    hold: OrderHold
    released_by: str
    expires_on: date | None = None


class OrderAmendmentRequested(OrderEvent):
    """New lines and delivery date for an order in fulfilment, checked and priced as placing does (the reason is the
    event's): inventory re-plans the reservation unless something has shipped (FulfilmentAmended /
    FulfilmentAmendmentRefused)."""

    event_name: ClassVar[str] = "OrderAmendmentRequested"
    amendment: int = Field(ge=1)
    lines: list[OrderLine] = Field(min_length=1)
    requested_delivery_date: date | None = None
    holds: list[OrderHold] = Field(default_factory=list, description="the holds the new lines call for")
    credit_reason: str | None = Field(None, max_length=1000)
    amended_by: str
    cancelled_lines: Annotated[list[int], NoneIsEmpty] = Field(default_factory=list, max_length=1000,
                                       description="the lines this amendment cancels (what is left of them)")
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")
    request_key: str | None = Field(None, max_length=200, description="the request's Idempotency-Key")


class OrderAmended(OrderEvent):
    """The order's lines and delivery date from now on (the earlier ones stay in the log); billing invoices what
    ships from now at these prices."""

    event_name: ClassVar[str] = "OrderAmended"
    amendment: int = Field(ge=1)
    hospital_id: UUID
    lines: list[OrderLine] = Field(min_length=1)
    requested_delivery_date: date | None = None
    amended_by: str
    cancelled_lines: Annotated[list[int], NoneIsEmpty] = Field(default_factory=list, max_length=1000,
                                       description="the lines this amendment cancels: a line that shipped nothing"
                                                   " is gone from `lines`; one that shipped part keeps that part")
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")
    request_key: str | None = Field(None, max_length=200, description="the request's Idempotency-Key")
    status: OrderStatusAfter | None = Field(None, description="the order's status after this event; absent before"
                                                              " partial deliveries existed")


class OrderAmendmentRefused(OrderEvent):
    event_name: ClassVar[str] = "OrderAmendmentRefused"
    amendment: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=500)


class OrderCancellationRequested(OrderEvent):
    """The desk asked to cancel an order already in fulfilment (the reason is the event's): inventory cancels it and
    releases its stock unless something has shipped (FulfilmentCancelled / FulfilmentCancellationRefused)."""

    event_name: ClassVar[str] = "OrderCancellationRequested"


class OrderCancelled(OrderEvent):
    """The order is cancelled: nothing more of it ships, its reservations are released, its contract volume not
    shipped is free again. `closed`: part of it had shipped (that stays shipped and invoiced)."""

    event_name: ClassVar[str] = "OrderCancelled"
    closed: bool = Field(False, description="cancelled after a partial delivery; absent (false) before those existed")


class OrderCancellationRefused(OrderEvent):
    event_name: ClassVar[str] = "OrderCancellationRefused"
    reason: str = Field(min_length=1, max_length=500)


class OrderReleased(OrderEvent):
    """A held order's holds are all lifted: fulfilment starts, with what OrderPlaced would have told it."""

    event_name: ClassVar[str] = "OrderReleased"
    hospital_id: UUID
    lines: list[OrderLine] = Field(min_length=1)
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = None
    ship_complete: bool = False
    order_type: SalesOrderType = "standard"
    delivery_address: str | None = Field(None, max_length=300, description="where to deliver, when not the"
                                                                  " customer's registered address")


class AllocatedLot(ValueObject):
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    line_no: int | None = Field(None, ge=1, description="the order line; absent before partial deliveries existed")


class OpenQuantity(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity


class OrderReserved(OrderEvent):
    """Stock reserved for the order (a later reservation, when released stock covers a backorder, adds to it)."""

    event_name: ClassVar[str] = "OrderReserved"

    allocations: list[AllocatedLot] = Field(min_length=1)
    backordered: Annotated[list[OpenQuantity], NoneIsEmpty] = Field(default_factory=list,
                                            description="still short after it, waiting for stock (empty: all reserved)")
    status: OrderStatusAfter | None = Field(None, description="the order's status after this event; absent before"
                                                              " partial deliveries existed")


class OrderBackordered(OrderEvent):
    event_name: ClassVar[str] = "OrderBackordered"

    reason: str
    status: OrderStatusAfter | None = Field(None, description="the order's status after this event; absent before"
                                                              " partial deliveries existed")


class OrderShipped(OrderEvent):
    event_name: ClassVar[str] = "OrderShipped"

    shipment_id: UUID
    lines: list[OpenQuantity] | None = Field(None, description="units shipped per order line; absent before partial"
                                                               " deliveries (the whole order shipped then)")
    status: OrderStatusAfter | None = Field(None, description="the order's status after this event; absent before"
                                                              " partial deliveries existed")


class PlatformAcceptanceRecorded(OrderEvent):
    """The hospital accepted (验收/入库确认) goods of an order placed from its procurement platform (阳光采购), as
    the platform reported it: once per acceptance (the platform's 验收单号)."""

    event_name: ClassVar[str] = "PlatformAcceptanceRecorded"

    platform: str = Field(min_length=1, max_length=100, description="the platform's short name, e.g. zj-yxcg")
    acceptance_id: str = Field(min_length=1, max_length=200, description="the platform's 验收单号")
    platform_order_id: str = Field(min_length=1, max_length=200, description="the platform's 订单编号")
    delivery_no: str | None = Field(None, max_length=200, description="the delivery it accepts (配送单号: our"
                                                                     " shipment id, as the delivery was confirmed)")
    accepted_quantity: int | None = Field(None, ge=0, description="units accepted (验收数量); absent: not given")
    rejected_quantity: int = Field(0, ge=0, description="units refused (拒收数量)")
    accepted_at: AwareDatetime = Field(description="when the hospital accepted, as the platform says")


# --- quotes (services/order/domain/quotes.py) -------------------------------------------------------------------

class QuoteEvent(EventPayload):
    producer: ClassVar[str] = "order"
    subject_field: ClassVar[str] = "quote_id"
    quote_id: UUID


class QuoteLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity
    unit_price: UnitPrice4 = Field(description="the quoted tax-inclusive (含税) unit price")
    net_unit_price: UnitPrice4
    vat_rate: VatRate
    computed_price: UnitPrice4 | None = Field(description="what the rulebook priced it at (None: it has no price)")
    price_source: PriceSource
    price_explanation: dict[str, Any]
    approval_reason: str | None = Field(None, max_length=500,
                                        description="why this line's price needs a pricing manager's approval")


class QuoteDrafted(QuoteEvent):
    event_name: ClassVar[str] = "QuoteDrafted"
    number: str = Field(min_length=1, max_length=40)
    customer_id: UUID
    customer_kind: Literal["hospital", "distributor"]
    currency: CurrencyCode
    price_list_id: UUID
    valid_until: date
    lines: list[QuoteLine] = Field(min_length=1)
    note: str | None = Field(None, max_length=2000)


class QuoteSubmitted(QuoteEvent):
    event_name: ClassVar[str] = "QuoteSubmitted"
    submitted_by: str
    approval_required: bool = Field(description="False: every price is within the desk's authority (approved now)")


class QuoteApproved(QuoteEvent):
    event_name: ClassVar[str] = "QuoteApproved"
    approved_by: str


class QuoteRejected(QuoteEvent):
    event_name: ClassVar[str] = "QuoteRejected"
    rejected_by: str


class QuoteSent(QuoteEvent):
    event_name: ClassVar[str] = "QuoteSent"


class QuoteAccepted(QuoteEvent):
    event_name: ClassVar[str] = "QuoteAccepted"
    accepted_on: date


# --- contracts (services/order/domain/contracts.py) -------------------------------------------------------------

class ContractEvent(EventPayload):
    producer: ClassVar[str] = "order"
    subject_field: ClassVar[str] = "contract_id"
    contract_id: UUID


class ContractLine(ValueObject):
    gtin: GTIN
    unit_price: UnitPrice4 = Field(description="the agreed tax-inclusive (含税) unit price")
    net_unit_price: UnitPrice4
    vat_rate: VatRate
    committed_quantity: Quantity = Field(description="units committed for the contract's period")


class ContractTerms(ValueObject):
    valid_from: date
    valid_to: date
    payment_terms_days: int = Field(ge=0, le=720)
    delivery_terms: str = Field(min_length=1, max_length=500)
    min_remaining_shelf_life_days: int = Field(ge=0, le=3650)
    over_delivery_allowance_percent: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    authorized_distributor_id: UUID | None = Field(None, description="the delivering distributor (配送商) it names")
    lines: list[ContractLine] = Field(min_length=1)


class ContractDrafted(ContractEvent):
    event_name: ClassVar[str] = "ContractDrafted"
    number: str = Field(min_length=1, max_length=40)
    template: Literal["framework", "vbp", "distribution"] = Field(
        description="年度供货协议 (framework supply), 带量采购协议 (VBP), 经销协议 (distribution)")
    customer_id: UUID
    customer_kind: Literal["hospital", "distributor"]
    currency: CurrencyCode
    terms: ContractTerms
    from_quote_id: UUID | None = None


class ContractSigned(ContractEvent):
    event_name: ClassVar[str] = "ContractSigned"
    signed_on: date


class ContractAmended(ContractEvent):
    """A new version of the terms (the earlier ones stay in the log); orders already placed keep their prices."""

    event_name: ClassVar[str] = "ContractAmended"
    amendment: int = Field(ge=1)
    terms: ContractTerms


class ContractTerminated(ContractEvent):
    event_name: ClassVar[str] = "ContractTerminated"
    effective_on: date


class CalledOffLine(ValueObject):
    gtin: GTIN
    quantity: Quantity


class ContractCallOffReleased(ContractEvent):
    """A cancelled order's call-off is free again."""

    event_name: ClassVar[str] = "ContractCallOffReleased"
    order_id: UUID
    lines: list[CalledOffLine] = Field(min_length=1)


class ContractCalledOff(ContractEvent):
    """An order took quantities under the contract (checked against its committed volume plus allowance)."""

    event_name: ClassVar[str] = "ContractCalledOff"
    order_id: UUID
    lines: list[CalledOffLine] = Field(min_length=1)


# --- credit limits (services/order/domain/credit.py) -------------------------------------------------------------

class CreditTerms(ValueObject):
    currency: CurrencyCode
    limit: Money = Field(ge=0)
    valid_from: date
    valid_to: date | None = None
    max_order_value: Money | None = Field(None, gt=0, description="the largest single order allowed")
    overdue_days: int = Field(ge=0, le=3650, description="receivables this many days past due count as overdue")
    overdue_share_percent: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    payment_terms_days: int = Field(ge=0, le=720, description="the customer's default: invoices fall due after it")
    group_name: str | None = Field(None, max_length=200, description="a credit group's name (集团授信)")
    members: list[UUID] | None = Field(None, max_length=100, description="a credit group's customers: their"
                                                                         " exposures add up against its limit")


class CreditLimitSet(EventPayload):
    """A customer's credit terms, as set (or changed) by finance; the reason is the event's."""

    producer: ClassVar[str] = "order"
    event_name: ClassVar[str] = "CreditLimitSet"
    subject_field: ClassVar[str] = "credit_limit_id"
    credit_limit_id: UUID
    customer_id: UUID
    terms: CreditTerms


# Promotion budgets (services/order/domain/promotions.py) ----------------------------------------------------------

class PromotionBudgetEvent(EventPayload):
    producer: ClassVar[str] = "order"
    subject_field: ClassVar[str] = "budget_id"
    budget_id: UUID = Field(description="one per promotion (its rule)")


class PromotionBudgetOpened(PromotionBudgetEvent):
    event_name: ClassVar[str] = "PromotionBudgetOpened"
    rule_id: str = Field(min_length=1, max_length=120)
    budget: Money = Field(gt=0)


class PromotionBudgetSpent(PromotionBudgetEvent):
    """What a promotion gives an order (tax-inclusive discount), replacing what it gave the order before (an
    amendment re-prices it)."""

    event_name: ClassVar[str] = "PromotionBudgetSpent"
    order_id: UUID
    amount: Money = Field(ge=0)
