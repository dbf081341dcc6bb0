"""What billing imports from a company's existing files (shared/platform/imports.py): open receivables (期初应收), the
old system's invoices its customers have not paid (or paid in part) at go-live, so that accounts, the aging, dunning,
statements, payment allocation and the order service's credit exposure are right from the first day. Each row goes
through application/opening.py (domain/opening.py): one opening receivable per customer and old invoice number.

The customer billed is a hospital or a distributor the channel registered, named by its id or by its registered
name: billing keeps the channel's names (projections/parties.py) and matches them as it matches a bank's payer
(normalised: full-width to half-width, no blanks); a name of no party, or of several, is the row's error. The same
row again records nothing; the same customer and number with other facts is the row's error.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from services.billing.application import BillingUnitOfWork
from services.billing.application.opening import RecordOpeningReceivable, record_opening_receivable
from services.billing.domain.bank_statement import normalized_name
from shared.domain.text import single_line
from shared.platform.access import COMPANY
from shared.platform.imports import Column, ImportKind, ImportRow, Outcome, RowError, validated

OPEN_RECEIVABLE_COLUMNS = (
    Column("invoice_number", "the old system's invoice number (发票号码); with the customer, what finds it again",
           True, ("发票号码", "发票号", "legacy_number"), "04457821"),
    Column("customer", "the party billed, a hospital or a distributor registered in the channel: its registered"
                       " name or its id", True, ("客户名称", "客户", "customer_name", "customer_id"),
           "上海市第一人民医院"),
    Column("issued_on", "the day the invoice was issued (YYYY-MM-DD), not after today", True, ("开票日期",),
           "2026-09-15"),
    Column("due_on", "the day it falls due (YYYY-MM-DD); or give payment_terms_days", False, ("到期日", "到期日期"),
           "2026-12-14"),
    Column("payment_terms_days", "days after issued_on it falls due, when due_on is not given", False,
           ("账期天数", "账期"), ""),
    Column("currency", "ISO currency code; CNY when empty", False, ("币种",), "CNY"),
    Column("outstanding", "what is still unpaid of it, tax-inclusive (含税), above 0, in cents", True,
           ("未收金额", "未收款金额", "应收余额"), "14464.00"),
    Column("original_gross", "the invoice's whole amount, tax-inclusive, optional; not less than outstanding", False,
           ("发票金额", "价税合计", "原发票金额"), "28928.00"),
    Column("note", "a remark, optional", False, ("备注",), ""),
)

Amount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=2)]
InvoiceNumber = single_line(40, "the old system's invoice number")
Customer = single_line(200, "the customer's registered name or id")
Remark = single_line(500)


class OpenReceivableRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    invoice_number: InvoiceNumber  # type: ignore[valid-type]
    customer: Customer  # type: ignore[valid-type]
    issued_on: date
    due_on: date | None = None
    payment_terms_days: int | None = Field(None, ge=0, le=720)
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    outstanding: Amount
    original_gross: Amount | None = None
    note: Remark | None = None  # type: ignore[valid-type]


# The handler's fields, as the file's columns name them (so that an error names the column).
FIELD_COLUMNS = {"legacy_number": "invoice_number", "customer_id": "customer", "outstanding": "outstanding",
                 "original_gross": "original_gross", "issued_on": "issued_on", "due_on": "due_on",
                 "currency": "currency", "payment_terms_days": "payment_terms_days"}


def import_open_receivable(row: ImportRow, uow: BillingUnitOfWork) -> Outcome:
    values = dict(row.values)
    if "currency" in values:  # cny is CNY
        values["currency"] = values["currency"].upper()
    line = validated(OpenReceivableRow, values)
    _, created = record_opening_receivable(RecordOpeningReceivable(
        customer_id=_customer(line.customer, uow), legacy_number=line.invoice_number, currency=line.currency,
        issued_on=line.issued_on, due_on=line.due_on, payment_terms_days=line.payment_terms_days,
        outstanding=line.outstanding, original_gross=line.original_gross, note=line.note), uow)
    return "created" if created else "unchanged"


def _customer(named: str, uow: BillingUnitOfWork) -> UUID:
    """The customer by its id, else by its registered name, as billing knows the channel's parties."""
    try:
        return UUID(named)
    except ValueError:
        pass
    found = uow.receivables.customer_named(normalized_name(named))
    if found is None:
        raise RowError("customer", "registered-customer", f"{named!r} is no hospital or distributor billing knows,"
                                                          " or several: name it as the channel registered it, or"
                                                          " give its id")
    return found


OPEN_RECEIVABLES = ImportKind(
    name="open-receivables", service="billing", permission="payment:record", scope=COMPANY,
    columns=OPEN_RECEIVABLE_COLUMNS, apply=import_open_receivable, field_columns=FIELD_COLUMNS,  # type: ignore[arg-type]
    description="customers' unpaid invoices from the system before go-live (期初应收), so that accounts, aging,"
                " dunning and credit exposure are right from the first day")

IMPORTS: tuple[ImportKind, ...] = (OPEN_RECEIVABLES,)
