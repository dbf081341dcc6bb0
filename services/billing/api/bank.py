"""Bank statements (银行流水, application/bank_statements.py): uploaded by finance, each credit line matched to a
customer (an invoice number in its memo, else the payer's name) and recorded as a payment; what matches nobody waits
for finance to name the customer. A statement holds many customers' money: finance's alone (company-wide)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from services.billing import queries
from services.billing.application import BillingUnitOfWork, bank_statements
from services.billing.domain.bank_statement import BankStatement
from shared.domain.rules import NotFound
from shared.domain.text import Reason
from shared.domain.workbook import UnreadableFile
from shared.platform.access import COMPANY, permitted
from shared.platform.api import command_by, command_reason
from shared.platform.problems import Problem, invalid_field
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["payments"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]
BankCommand = command_by("payment:record", scope=COMPANY)
BankReader = permitted("payment:record", scope=COMPANY)
MAX_FILE_BYTES = 5 * 1024 * 1024


class BankLineOut(BaseModel):
    line_no: int
    row: int
    on: date
    amount: Decimal
    payer: str
    memo: str
    bank_reference: str
    customer_id: UUID | None = Field(description="absent: matched to nobody, waiting for review")
    matched_by: str | None = Field(description="invoice_number, payer, or review")
    invoice_ids: list[UUID] = Field(default_factory=list)


class RejectedRow(BaseModel):
    row: int
    field: str
    rule: str
    message: str


class BankStatementOut(BaseModel):
    statement_id: UUID
    filename: str
    lines: list[BankLineOut]
    unmatched: int = Field(description="lines waiting for finance to name the customer")
    rows_rejected: list[RejectedRow] = Field(default_factory=list, description="rows not read, on upload")


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer_id: UUID
    reason: Reason | None = None


def _out(statement: BankStatement, rejected: list | None = None, status_: str | None = None) -> BankStatementOut:
    lines = [line for line in statement.lines if status_ is None or (line.get("customer_id") is None) == (
        status_ == "unmatched")]
    return BankStatementOut(statement_id=statement.id, filename=statement.filename,
                            lines=[BankLineOut(**line) for line in lines],
                            unmatched=sum(1 for line in statement.lines if line.get("customer_id") is None),
                            rows_rejected=[RejectedRow(row=e.row, field=e.field, rule=e.rule, message=e.detail)
                                           for e in rejected or []])


@router.post("/bank-statements/upload", status_code=status.HTTP_201_CREATED, operation_id="upload_bank_statement")
def upload_bank_statement(response: Response, meta: BankCommand, uow: Work, file: Annotated[UploadFile, File(
        description="CSV or .xlsx; the first row names date (交易日期), amount (金额), payer (付款人), bank_reference"
                    " (流水号) and, optionally, memo (摘要/附言)")]) -> BankStatementOut:
    """Import a statement: valid rows are kept (bad ones come back in `rows_rejected`), matched lines become payments
    allocated to the invoices their memo names, then oldest due first. The same file again records nothing more."""
    content = file.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise invalid_field("file", "max-file-size", f"a statement is at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        imported = bank_statements.import_bank_statement(bank_statements.ImportBankStatement(
            filename=file.filename or "statement", content=content), uow)
    except UnreadableFile as error:
        refused = invalid_field("file", error.rule, str(error))
        if error.status == 413:
            refused = Problem(413, "Content too large", refused.detail, **refused.extensions, rule=error.rule)
        raise refused from None
    if not imported.created:
        response.status_code = status.HTTP_200_OK
    return _out(imported.statement, imported.rejected)


class BankLineRow(BaseModel):
    statement_id: UUID
    line_no: int
    filename: str
    imported_at: datetime
    on: date
    amount: Decimal
    payer: str
    memo: str
    bank_reference: str
    customer_id: UUID | None
    customer_name: str | None
    matched_by: str | None


@router.get("/bank-statement-lines", operation_id="list_bank_lines")
def list_bank_lines(read: Reads, _: BankReader, paging: Paging,
                    matched: Annotated[bool | None, Query(description="false: the review queue, across statements")]
                    = None, statement_id: Annotated[UUID | None, Query()] = None) -> Page[BankLineRow]:
    """Imported bank lines, oldest first: `matched=false` is every line still waiting for finance to name its
    customer, whichever statement it came in."""
    rows, total = queries.bank_lines(read, matched, statement_id, paging)
    return Page.of(BankLineRow, ([{**row, "on": row["on_date"]} for row in rows], total), paging)


class BankStatementRow(BaseModel):
    statement_id: UUID
    filename: str
    imported_at: datetime
    first_day: date
    last_day: date
    lines: int
    amount: Decimal
    unmatched: int


@router.get("/bank-statements", operation_id="list_bank_statements")
def list_bank_statements(read: Reads, _: BankReader, paging: Paging) -> Page[BankStatementRow]:
    """The statements imported, newest first, with what each still waits for."""
    return Page.of(BankStatementRow, queries.bank_statements(read, paging), paging)


@router.get("/bank-statements/{statement_id}", operation_id="get_bank_statement")
def get_bank_statement(statement_id: UUID, uow: Work, _: BankReader,
                       status_: Annotated[Literal["matched", "unmatched"] | None,
                                          Query(alias="status", description="unmatched: the review queue")] = None,
                       ) -> BankStatementOut:
    found = uow.get(statement_id, BankStatement)
    if found is None:
        raise NotFound("Bank statement", statement_id)
    return _out(found, status_=status_)


@router.post("/bank-statements/{statement_id}/lines/{line_no}/match", operation_id="match_bank_line")
def match_bank_line(statement_id: UUID, line_no: int, body: MatchIn, meta: BankCommand, uow: Work) -> BankStatementOut:
    """Name the customer of a line nobody matched (with a reason): it is recorded as the customer's payment and
    allocated oldest due first."""
    command_reason(body.reason, meta)
    return _out(bank_statements.match_bank_line(bank_statements.MatchBankLine(
        statement_id=statement_id, line_no=line_no, customer_id=body.customer_id), uow))
