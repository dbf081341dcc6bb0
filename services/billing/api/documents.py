"""Billing's printable documents: an issued statement (对账单) as PDF or Excel, an invoice as PDF, in Chinese or
English (documents/). Each is refused (404) outside the caller's scope by the same checks as its JSON route
(api/accounts.py, api/routes.py), and sent as an attachment whose file name is plain ASCII whatever the document
holds."""

import re
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response

from services.billing import queries
from services.billing.application import BillingUnitOfWork, invoicing, statements
from services.billing.documents.invoice_pdf import InvoiceDocument, render_invoice_pdf
from services.billing.documents.parties import party_name
from services.billing.documents.statement_pdf import StatementDocument, render_statement_pdf
from services.billing.documents.statement_xlsx import render_statement_xlsx
from shared.platform.access import DataScope, permitted
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["documents"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]
StatementReader = permitted("invoice:read", scope="customer")
InvoiceReader = permitted("invoice:read", scope="invoice")
Lang = Annotated[Literal["zh", "en"], Query(alias="lang", description="zh: Chinese, en: English")]

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _attachment(content: bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{UNSAFE.sub("_", name)}"'})


def _statement(statement_id: UUID, uow: BillingUnitOfWork, read: Reads, scope: DataScope) -> StatementDocument:
    found = statements.statement_of(uow, statement_id)
    queries.customer_within(read, scope, found.customer_id, what="Statement", key=statement_id)
    return StatementDocument.of(found, party_name(read, found.customer_id))


@router.get("/statements/{statement_id}/pdf", operation_id="statement_pdf", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "the statement as a PDF"}})
def statement_pdf(statement_id: UUID, uow: Work, read: Reads, access: StatementReader, language: Lang = "zh"
                  ) -> Response:
    """The issued statement as a PDF, its CJK font embedded: lines with debit, credit and running balance, the
    aging, and disputed lines with their reasons."""
    document = _statement(statement_id, uow, read, access.scope)
    return _attachment(render_statement_pdf(document, language), PDF, f"statement-{statement_id}.pdf")


@router.get("/statements/{statement_id}/xlsx", operation_id="statement_xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}, "description": "the statement as an Excel workbook"}})
def statement_xlsx(statement_id: UUID, uow: Work, read: Reads, access: StatementReader, language: Lang = "zh"
                   ) -> Response:
    """The issued statement as an Excel workbook: dates as dates, amounts as numbers, the aging on a second
    sheet."""
    document = _statement(statement_id, uow, read, access.scope)
    return _attachment(render_statement_xlsx(document, language), XLSX, f"statement-{statement_id}.xlsx")


@router.get("/invoices/{invoice_id}/pdf", operation_id="invoice_pdf", response_class=Response,
            responses={200: {"content": {PDF: {}}, "description": "the invoice as a PDF"}})
def invoice_pdf(invoice_id: UUID, uow: Work, read: Reads, access: InvoiceReader, language: Lang = "zh") -> Response:
    """The invoice as a PDF, its CJK font embedded: the party billed and the hospital the goods are for, lines,
    rebate discounts (票折), totals, and the credit notes citing it with what is left open."""
    invoice = invoicing.invoice(uow, invoice_id)
    queries.invoice_within(read, access.scope, invoice.id, invoice.hospital_id, invoice.bill_to_distributor_id)
    invoice.check_printable()
    distributor = party_name(read, invoice.bill_to_distributor_id) if invoice.bill_to_distributor_id else None
    document = InvoiceDocument.of(invoice, party_name(read, invoice.hospital_id), distributor)
    return _attachment(render_invoice_pdf(document, language), PDF, f"invoice-{invoice.number or invoice_id}.pdf")
