"""Billing HTTP API: invoices raised from shipments (by reactions.py), read one by one (application/invoicing.py)
or listed (queries.py)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.billing import queries
from services.billing.application import BillingUnitOfWork, invoicing
from shared.platform.access import permitted
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["invoices"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]


class InvoiceLineOut(BaseModel):
    gtin: str
    lot: str
    quantity: int
    unit_price: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


class InvoiceDiscountOut(BaseModel):
    vat_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    settlements: list[str]


class InvoiceOut(BaseModel):
    invoice_id: UUID
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID
    bill_to_distributor_id: UUID | None = Field(description="invoiced to this distributor, when the goods went"
                                                            " through it; else the hospital is invoiced")
    currency: str
    lines: list[InvoiceLineOut]
    discounts: list[InvoiceDiscountOut] = Field(default_factory=list, description="rebates settled as 票折: negative,"
                                                                                  " one per VAT rate")
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal


class InvoiceRow(BaseModel):
    invoice_id: UUID
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID
    hospital_name: str | None = Field(description="as the channel registered it")
    bill_to_distributor_id: UUID | None
    distributor_name: str | None
    currency: str
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    raised_at: datetime


InvoiceReader = permitted("invoice:read", scope="invoice")


@router.get("/invoices/{invoice_id}", operation_id="get_invoice")
def get_invoice(invoice_id: UUID, uow: Work, read: Reads, access: InvoiceReader) -> InvoiceOut:
    invoice = invoicing.invoice(uow, invoice_id)
    queries.invoice_within(read, access.scope, invoice.id, invoice.hospital_id, invoice.bill_to_distributor_id)
    return InvoiceOut(invoice_id=invoice.id, order_id=invoice.order_id, shipment_id=invoice.shipment_id,
                      hospital_id=invoice.hospital_id, bill_to_distributor_id=invoice.bill_to_distributor_id,
                      currency=invoice.currency,
                      lines=[InvoiceLineOut(**line) for line in invoice.lines],
                      discounts=[InvoiceDiscountOut(**d) for d in invoice.discounts], net_total=invoice.net_total,
                      vat_total=invoice.vat_total, gross_total=invoice.gross_total)


@router.get("/invoices", operation_id="list_invoices")
def list_invoices(read: Reads, access: InvoiceReader, paging: Paging,
                  order_id: Annotated[UUID | None, Query()] = None,
                  hospital_id: Annotated[UUID | None, Query()] = None,
                  bill_to_distributor_id: Annotated[UUID | None, Query()] = None) -> Page[InvoiceRow]:
    where = queries.InvoiceFilter(order_id, hospital_id, bill_to_distributor_id)
    return Page.of(InvoiceRow, queries.invoices(read, where, access.scope, paging), paging)


class AllowanceOut(BaseModel):
    distributor_id: UUID
    balance: Decimal = Field(description="rebates approved as 票折 not yet deducted from an invoice (含税)")
    open_settlements: list[dict] = Field(description="each settlement with what is left of it, oldest first")
    granted: list[str] = Field(description="every settlement granted (account:settlement number)")


@router.get("/rebate-allowances/{distributor_id}", operation_id="get_rebate_allowance")
def get_rebate_allowance(distributor_id: UUID, uow: Work, read: Reads, access: InvoiceReader) -> AllowanceOut:
    """What the distributor's next invoices will have taken off as rebate discounts (票折)."""
    queries.invoice_within(read, access.scope, distributor_id, distributor_id, distributor_id)
    allowance = invoicing.rebate_allowance(uow, distributor_id)
    if allowance is None:
        return AllowanceOut(distributor_id=distributor_id, balance=Decimal("0.00"), open_settlements=[], granted=[])
    return AllowanceOut(distributor_id=distributor_id, balance=allowance.balance, open_settlements=allowance.open,
                        granted=allowance.granted)
