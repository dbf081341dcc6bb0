"""The two-invoice chain (两票制, application/two_invoices.py): a distributor records its invoices to hospitals,
citing ours (the first); `GET /invoices/{id}/chain` shows an invoice's evidence — what it billed, what its credit
notes took back, and each second invoice citing it, flagged where the chain breaks."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.billing import queries
from services.billing.application import BillingUnitOfWork, invoicing, two_invoices
from shared.domain.gtin import GTINInput, LotInput
from shared.domain.text import Reference
from shared.platform.access import permitted
from shared.platform.api import CallerScope, command_by
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["invoices"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]
SecondInvoiceCommand = command_by("second-invoice:submit", scope="distributor")
ChainReader = permitted("invoice:read", scope="invoice")
SecondInvoiceReader = permitted("invoice:read", scope="distributor")


class SecondLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    quantity: int = Field(ge=1, le=10_000_000)
    first_invoice_number: str | None = Field(None, max_length=40, description="our invoice it cites (INV-…)")


class SecondInvoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    distributor_id: UUID
    number: Reference = Field(description="the distributor's invoice number (its 数电票 number)")
    hospital_id: UUID
    issued_on: date
    lines: list[SecondLineIn] = Field(min_length=1, max_length=500)


class SecondLineOut(BaseModel):
    line_no: int
    gtin: str
    lot: str
    quantity: int
    first_invoice_number: str | None
    first_invoice_id: UUID | None
    flag: str | None


class SecondInvoiceOut(BaseModel):
    second_invoice_id: UUID
    distributor_id: UUID
    number: str
    hospital_id: UUID
    issued_on: date
    province: str | None
    rule_applies: bool
    flagged: bool
    lines: list[SecondLineOut]


@router.post("/second-invoices", status_code=status.HTTP_201_CREATED, operation_id="record_second_invoice")
def record_second_invoice(body: SecondInvoiceIn, response: Response, meta: SecondInvoiceCommand, uow: Work,
                          read: Reads, scope: CallerScope) -> SecondInvoiceOut:
    """A distributor's invoice to a hospital, each line citing our invoice (the first): recorded with its flags
    (`no-first-invoice`, `third-invoice`, `lot-not-on-first-invoice`, `quantity-exceeds-first-invoice`) where the
    hospital's province applies the rule. The same number again answers 200."""
    queries.customer_within(read, scope, body.distributor_id)
    found, created = two_invoices.record_second_invoice(two_invoices.RecordSecondInvoice(
        distributor_id=body.distributor_id, number=body.number, hospital_id=body.hospital_id,
        issued_on=body.issued_on, lines=tuple(line.model_dump() for line in body.lines)), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return SecondInvoiceOut(second_invoice_id=found.id, distributor_id=found.distributor_id, number=found.number,
                            hospital_id=found.hospital_id, issued_on=found.issued_on, province=found.province,
                            rule_applies=found.rule_applies, flagged=found.flagged,
                            lines=[SecondLineOut(**line) for line in found.lines])


class ChainLineOut(BaseModel):
    line_no: int
    gtin: str
    lot: str
    billed: int
    credited: int
    cited: int = Field(description="cited by second invoices")


class CitationOut(BaseModel):
    second_invoice_id: UUID
    distributor_id: UUID
    number: str
    hospital_id: UUID
    hospital_name: str | None
    issued_on: date
    province: str | None
    rule_applies: bool
    line_no: int
    gtin: str
    lot: str
    quantity: int
    flag: str | None


class ChainOut(BaseModel):
    invoice_id: UUID
    number: str | None
    bill_to_distributor_id: UUID | None
    issued_on: date | None
    lines: list[ChainLineOut]
    second_invoices: list[CitationOut]
    flagged: bool


@router.get("/invoices/{invoice_id}/chain", operation_id="invoice_chain")
def invoice_chain(invoice_id: UUID, uow: Work, read: Reads, access: ChainReader) -> ChainOut:
    invoice = invoicing.invoice(uow, invoice_id)
    queries.invoice_within(read, access.scope, invoice.id, invoice.hospital_id, invoice.bill_to_distributor_id)
    citations = queries.chain_of(read, invoice_id)
    cited: dict[tuple[str, str], int] = {}
    for c in citations:
        cited[(c["gtin"], c["lot"])] = cited.get((c["gtin"], c["lot"]), 0) + c["quantity"]
    lines = [ChainLineOut(line_no=n, gtin=line["gtin"], lot=line["lot"], billed=line["quantity"],
                          credited=invoice.credited(n)["quantity"], cited=cited.get((line["gtin"], line["lot"]), 0))
             for n, line in enumerate(invoice.lines, start=1)]
    return ChainOut(invoice_id=invoice.id, number=invoice.number, bill_to_distributor_id=invoice.bill_to_distributor_id,
                    issued_on=invoice.issued_on, lines=lines, second_invoices=[CitationOut(**c) for c in citations],
                    flagged=any(c["flag"] and c["rule_applies"] for c in citations))


class SecondInvoiceRow(BaseModel):
    second_invoice_id: UUID
    distributor_id: UUID
    distributor_name: str | None
    number: str
    hospital_id: UUID
    hospital_name: str | None
    issued_on: date
    province: str | None
    rule_applies: bool
    flagged: bool
    recorded_at: datetime


@router.get("/second-invoices", operation_id="list_second_invoices")
def list_second_invoices(read: Reads, access: SecondInvoiceReader, paging: Paging,
                         flagged: Annotated[bool | None, Query()] = None,
                         province: Annotated[str | None, Query(max_length=50)] = None,
                         distributor_id: Annotated[UUID | None, Query()] = None) -> Page[SecondInvoiceRow]:
    """Second invoices, newest first: `flagged=true` lists the broken chains, by province."""
    return Page.of(SecondInvoiceRow, queries.second_invoices(read, flagged, province, distributor_id, access.scope,
                                                             paging), paging)
