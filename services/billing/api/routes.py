"""Billing HTTP API: invoices raised from shipments."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from pydantic import BaseModel, Field

from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import not_found

router = APIRouter(tags=["invoices"])


class InvoiceLineOut(BaseModel):
    gtin: str
    lot: str
    quantity: int
    unit_price: Decimal
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


class InvoiceOut(BaseModel):
    invoice_id: UUID
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID
    bill_to_distributor_id: UUID | None = Field(description="invoiced to this distributor, when the goods went"
                                                            " through it; else the hospital is invoiced")
    currency: str
    lines: list[InvoiceLineOut]
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


@router.get("/invoices/{invoice_id}", operation_id="get_invoice")
def get_invoice(invoice_id: UUID, request: Request, _: CurrentPrincipal) -> InvoiceOut:
    invoice = request.app.state.application.get_invoice(invoice_id)
    if invoice is None:
        raise not_found("Invoice", invoice_id)
    return InvoiceOut(invoice_id=invoice.id, order_id=invoice.order_id, shipment_id=invoice.shipment_id,
                      hospital_id=invoice.hospital_id, bill_to_distributor_id=invoice.bill_to_distributor_id,
                      currency=invoice.currency,
                      lines=[InvoiceLineOut(**line) for line in invoice.lines], net_total=invoice.net_total,
                      vat_total=invoice.vat_total, gross_total=invoice.gross_total)


@router.get("/invoices", operation_id="list_invoices")
def list_invoices(request: Request, _: CurrentPrincipal, paging: Paging,
                  order_id: Annotated[UUID | None, Query()] = None,
                  hospital_id: Annotated[UUID | None, Query()] = None,
                  bill_to_distributor_id: Annotated[UUID | None, Query()] = None) -> Page[InvoiceRow]:
    schema = request.app.state.schema
    rows, total = fetch_page(request.app.state.pool,
                             f"{schema}.invoice_list i LEFT JOIN {schema}.known_parties h ON h.party_id = i.hospital_id"
                             f" LEFT JOIN {schema}.known_parties d ON d.party_id = i.bill_to_distributor_id", paging,
                             columns="i.*, h.name AS hospital_name, d.name AS distributor_name",
                             order_by="i.raised_at DESC, i.invoice_id",
                             where={"i.order_id = %s": order_id, "i.hospital_id = %s": hospital_id,
                                    "i.bill_to_distributor_id = %s": bill_to_distributor_id})
    return Page(items=[InvoiceRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)
