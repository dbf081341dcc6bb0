"""Events produced by the billing service (topic `billing.events`)."""

from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import (
    GTIN, CurrencyCode, EventPayload, LotNumber, Money, NoneIsEmpty, Quantity, ValueObject,
)


class InvoiceLine(ValueObject):
    gtin: GTIN
    lot: LotNumber
    quantity: Quantity
    unit_price: Money
    net_amount: Money
    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    vat_amount: Money
    gross_amount: Money


class InvoiceDiscount(ValueObject):
    """A rebate settled as an invoice discount (票折): a negative line at one VAT rate, reducing the VAT base."""

    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    net_amount: Money = Field(le=0)
    vat_amount: Money = Field(le=0)
    gross_amount: Money = Field(le=0)
    settlements: list[str] = Field(min_length=1, description="the rebate settlements it pays (account:settlement)")


class InvoiceRaised(EventPayload):
    producer: ClassVar[str] = "billing"
    event_name: ClassVar[str] = "InvoiceRaised"
    subject_field: ClassVar[str] = "invoice_id"

    invoice_id: UUID
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID = Field(description="the hospital the goods are for")
    bill_to_distributor_id: UUID | None = Field(
        None, description="set when the goods went through this distributor: it is invoiced (the first of the"
                          " 两票制 two invoices; it invoices the hospital itself); absent: the hospital is invoiced")
    currency: CurrencyCode
    lines: list[InvoiceLine] = Field(min_length=1)
    discounts: Annotated[list[InvoiceDiscount], NoneIsEmpty] = Field(
        default_factory=list, description="rebates settled as 票折 on this invoice (negative amounts, one per VAT rate):"
                                          " they reduce its VAT base; the totals are net of them")
    net_total: Money
    vat_total: Money
    gross_total: Money


class RebateAllowanceEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "allowance_id"
    allowance_id: UUID = Field(description="one per distributor: its rebates approved as invoice discounts (票折)")
    distributor_id: UUID


class RebateAllowanceOpened(RebateAllowanceEvent):
    event_name: ClassVar[str] = "RebateAllowanceOpened"


class RebateAllowanceGranted(RebateAllowanceEvent):
    """A rebate settlement approved as 票折 (channel's RebateSettlementApproved): deducted from the next invoices."""

    event_name: ClassVar[str] = "RebateAllowanceGranted"
    settlement: str = Field(min_length=1, max_length=200, description="account:settlement number, once")
    amount: Money = Field(gt=0, description="tax-inclusive (含税)")


class RebateAllowanceApplied(RebateAllowanceEvent):
    """Part or all of the allowance deducted on an invoice (its `discounts`)."""

    event_name: ClassVar[str] = "RebateAllowanceApplied"
    invoice_id: UUID
    amount: Money = Field(gt=0)
    settlements: list[str] = Field(min_length=1)
