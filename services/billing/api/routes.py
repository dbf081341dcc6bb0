"""Billing HTTP API: invoices raised from shipments (by reactions.py), read one by one (application/invoicing.py)
or listed (queries.py), and their credit notes (红字, application/credit_notes.py)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.billing import queries
from services.billing.application import BillingUnitOfWork, credit_notes, invoicing
from shared.domain.business_day import CHINA
from shared.domain.text import Note
from shared.platform.access import permitted
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.idempotency import new_aggregate_id
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


class CreditNoteLineOut(BaseModel):
    line_no: int
    gtin: str
    lot: str
    quantity: int
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


class CreditNoteOut(BaseModel):
    credit_note_id: UUID
    number: str
    reason: str
    lines: list[CreditNoteLineOut]
    discounts: list[InvoiceDiscountOut] = Field(default_factory=list, description="a full credit note's reversal of"
                                                                                 " the invoice's 票折 (positive)")
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    issued_on: date
    note: str | None


Source = Literal["shipment", "opening"]
SOURCE = ("shipment: raised by this system for goods shipped; opening: an opening receivable (期初应收), the old"
          " system's invoice taken over at go-live, under its old number, without order, shipment, lines or VAT split")


class InvoiceOut(BaseModel):
    invoice_id: UUID
    source: Source = Field("shipment", description=SOURCE)
    number: str | None = Field(description="from the gap-free series INV-<year>; absent before numbering; an opening"
                                            " receivable's: the old system's")
    issued_on: date | None
    due_on: date | None
    payment_terms_days: int | None
    payment_terms_source: str | None = Field(description="contract:<id>, customer (its default), default, or opening")
    order_id: UUID | None
    shipment_id: UUID | None
    hospital_id: UUID | None
    bill_to_distributor_id: UUID | None = Field(description="invoiced to this distributor, when the goods went"
                                                            " through it; else the hospital is invoiced")
    currency: str
    lines: list[InvoiceLineOut]
    discounts: list[InvoiceDiscountOut] = Field(default_factory=list, description="rebates settled as 票折: negative,"
                                                                                  " one per VAT rate")
    net_total: Decimal | None = Field(description="absent on an opening receivable")
    vat_total: Decimal | None
    gross_total: Decimal = Field(description="an opening receivable's: what was open of it at go-live")
    original_gross: Decimal | None = Field(None, description="an opening receivable's whole amount, when given")
    credit_notes: list[CreditNoteOut] = Field(default_factory=list, description="red-letter credit notes citing it")
    credited: Decimal = Field(description="what its credit notes took back (含税)")
    paid: Decimal = Field(description="what payments paid of it")
    open_amount: Decimal = Field(description="what is still owed on it (negative: owed back)")


class InvoiceRow(BaseModel):
    invoice_id: UUID
    source: Source = Field(description=SOURCE)
    number: str | None = Field(None, description="absent on rows listed before numbers were (until rebuilt)")
    order_id: UUID | None
    shipment_id: UUID | None
    hospital_id: UUID | None
    hospital_name: str | None = Field(description="as the channel registered it")
    bill_to_distributor_id: UUID | None
    distributor_name: str | None
    currency: str
    net_total: Decimal | None
    vat_total: Decimal | None
    gross_total: Decimal
    raised_at: datetime


InvoiceReader = permitted("invoice:read", scope="invoice")


@router.get("/invoices/{invoice_id}", operation_id="get_invoice")
def get_invoice(invoice_id: UUID, uow: Work, read: Reads, access: InvoiceReader) -> InvoiceOut:
    invoice = invoicing.invoice(uow, invoice_id)
    queries.invoice_within(read, access.scope, invoice.id, invoice.hospital_id, invoice.bill_to_distributor_id)
    return _invoice_out(invoice)


def _invoice_out(invoice: invoicing.Invoice) -> InvoiceOut:
    return InvoiceOut(invoice_id=invoice.id, source=invoice.source, number=invoice.number, issued_on=invoice.issued_on,
                      due_on=invoice.due_on, payment_terms_days=invoice.payment_terms_days,
                      payment_terms_source=invoice.payment_terms_source, order_id=invoice.order_id,
                      shipment_id=invoice.shipment_id, hospital_id=invoice.hospital_id,
                      bill_to_distributor_id=invoice.bill_to_distributor_id, currency=invoice.currency,
                      lines=[InvoiceLineOut(**line) for line in invoice.lines],
                      discounts=[InvoiceDiscountOut(**d) for d in invoice.discounts], net_total=invoice.net_total,
                      vat_total=invoice.vat_total, gross_total=invoice.gross_total,
                      original_gross=getattr(invoice, "original_gross", None),
                      credit_notes=[CreditNoteOut(**c) for c in invoice.credit_notes],
                      credited=invoice.credited_total, paid=invoice.paid_total, open_amount=invoice.open_amount)


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


CreditNoteCommand = command_by("invoice:credit", scope="invoice")


class CreditLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, le=1000, description="the invoice line, as numbered on the invoice")
    quantity: int | None = Field(None, ge=1, le=10_000_000, description="units taken back at the line's price")
    net_amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2,
                                       description="or a net amount off the line (an allowance, a price correction)")

    @model_validator(mode="after")
    def _one_of_two(self) -> "CreditLineIn":
        if (self.quantity is None) == (self.net_amount is None):
            raise ValueError("give a quantity or a net amount, one of the two")
        return self


class CreditNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Literal["return", "sales_allowance", "invoicing_error", "other"] = Field(
        description="return (退货), sales allowance (销售折让), invoicing error (开票有误), other")
    full: bool = Field(False, description="credit everything left of the invoice (a full 红冲)")
    lines: list[CreditLineIn] = Field(default_factory=list, max_length=1000)
    note: Note | None = None


@router.post("/invoices/{invoice_id}/credit-notes", status_code=status.HTTP_201_CREATED,
             operation_id="issue_credit_note", responses=REPLAYED)
def issue_credit_note(invoice_id: UUID, body: CreditNoteIn, response: Response, meta: CreditNoteCommand, uow: Work,
                      read: Reads, scope: CallerScope, idempotency_key: IdempotencyKey = None) -> InvoiceOut:
    """A red-letter credit note (红字) against the invoice, in full or for named lines (a quantity back, or a net
    amount off), never beyond what is left of a line (409 `credit-note-over-line`); numbered CN-<year>-…, with the
    reason (X-Reason or `note`). The same Idempotency-Key again issues nothing more."""
    found = invoicing.invoice(uow, invoice_id)
    queries.invoice_within(read, scope, found.id, found.hospital_id, found.bill_to_distributor_id)
    command_reason(body.note, meta)
    credit_note_id = new_aggregate_id("credit-note", meta.actor, idempotency_key)
    before = len(found.credit_notes)
    credited = credit_notes.issue_credit_note(credit_notes.IssueCreditNote(
        credit_note_id=credit_note_id, invoice_id=invoice_id, reason=body.reason, full=body.full,
        lines=tuple(line.model_dump(exclude_none=True) for line in body.lines),
        on=datetime.now(CHINA).date(), note=body.note or meta.reason), uow)
    if len(credited.credit_notes) == before:
        response.status_code = status.HTTP_200_OK
    return _invoice_out(credited)
