"""Events produced by the billing service (topic `billing.events`)."""

from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import GTIN, CurrencyCode, EventPayload, LotNumber, Money, Quantity, ValueObject


class InvoiceLine(ValueObject):
    gtin: GTIN
    lot: LotNumber
    quantity: Quantity
    unit_price: Money
    net_amount: Money
    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    vat_amount: Money
    gross_amount: Money


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
    net_total: Money
    vat_total: Money
    gross_total: Money
