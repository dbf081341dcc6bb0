"""Customer accounts (应收): a customer's balance, open invoices, unapplied cash, aging and DSO; the aging report
across customers (by due date or invoice date, by customer, region or channel), DSO overall, and the dunning list
(overdue, undisputed, with whom to call); statements (对账单) issued by finance, confirmed or disputed by the customer
(portal or API), disputes resolved by finance (application/statements.py)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.billing import queries
from services.billing.application import BillingUnitOfWork, statements
from services.billing.domain.aging import days_sales_outstanding
from shared.domain.business_day import CHINA
from shared.domain.text import Reason
from shared.platform.access import permitted
from shared.platform.api import CallerScope, command_by, command_reason
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["receivables"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]
AccountReader = permitted("invoice:read", scope="customer")
StatementCommand = command_by("statement:issue", scope="customer")
StatementAnswer = command_by("statement:answer", scope="customer")


def _today() -> date:
    return datetime.now(CHINA).date()


class AccountOut(BaseModel):
    customer_id: UUID
    currency: str
    as_of: date
    balance: Decimal = Field(description="invoiced less credited less paid (negative: the customer is owed)")
    aging: dict[str, Decimal] = Field(description="open amounts by days past due, and unapplied cash (negative):"
                                                  " they add up to the balance")
    dso: Decimal | None = Field(description="days sales outstanding over the last BILLING_DSO_DAYS days")


@router.get("/customers/{customer_id}/account", operation_id="get_customer_account")
def customer_account(customer_id: UUID, read: Reads, uow: Work, access: AccountReader,
                     as_of: Annotated[date | None, Query(description="default: today in China")] = None) -> AccountOut:
    queries.customer_within(read, access.scope, customer_id)
    day, settings = as_of or _today(), uow.settings
    balance = queries.customer_balance(read, customer_id, settings.account_currency, day)
    sales = queries.credit_sales(read, customer_id, settings.account_currency,
                                 day - timedelta(days=settings.dso_days - 1), day)
    return AccountOut(customer_id=customer_id, currency=settings.account_currency, as_of=day, balance=balance,
                      aging=queries.customer_aging(read, customer_id, settings.account_currency, day,
                                                   settings.aging_buckets),
                      dso=days_sales_outstanding(balance, sales, settings.dso_days))


class StatementLineOut(BaseModel):
    line_no: int
    kind: str
    document_id: UUID
    number: str
    on: date
    due_on: date | None
    amount: Decimal
    dispute: dict[str, Any] | None = None


class StatementOut(BaseModel):
    statement_id: UUID | None = Field(description="absent for a live statement not yet issued")
    customer_id: UUID
    currency: str
    period_start: date
    period_end: date
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[StatementLineOut]
    aging: dict[str, Decimal]
    status: str = Field(description="live (not issued), sent, confirmed, disputed (lines open), resolved")
    confirmed_by: str | None = None


@router.get("/customers/{customer_id}/statement", operation_id="live_statement")
def live_statement(customer_id: UUID, read: Reads, uow: Work, access: AccountReader,
                   start: Annotated[date | None, Query(alias="from", description="default: the month's first day")]
                   = None,
                   end: Annotated[date | None, Query(alias="to", description="default: today in China")] = None,
                   ) -> StatementOut:
    """The statement the account gives for a period now, without issuing it."""
    queries.customer_within(read, access.scope, customer_id)
    end = end or _today()
    start = start or end.replace(day=1)
    currency = uow.settings.account_currency
    opening, lines = uow.receivables.statement(customer_id, currency, start, end)
    balance, numbered = opening, []
    for n, line in enumerate(lines[:5000], start=1):
        balance += line["amount"]
        numbered.append(StatementLineOut(line_no=n, **line))
    return StatementOut(statement_id=None, customer_id=customer_id, currency=currency, period_start=start,
                        period_end=end, opening_balance=opening, closing_balance=balance, lines=numbered,
                        aging=uow.receivables.aging(customer_id, currency, end), status="live")


class StatementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: UUID
    period_start: date
    period_end: date


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    line_no: int = Field(ge=1, le=5000)
    reason: Reason


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    confirm: bool = Field(False, description="the whole statement agrees with the customer's books")
    disputes: list[DisputeIn] = Field(default_factory=list, max_length=500)


class ResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    outcome: Literal["upheld", "rejected"] = Field(description="upheld: the customer is right (credit the invoice);"
                                                               " rejected: the line stands")
    note: Reason | None = None


def _statement_out(found: statements.Statement) -> StatementOut:
    lines = [StatementLineOut(**{k: v for k, v in line.items() if k in StatementLineOut.model_fields},
                              dispute=found.disputes.get(line["line_no"])) for line in found.lines]
    return StatementOut(statement_id=found.id, customer_id=found.customer_id, currency=found.currency,
                        period_start=found.period_start, period_end=found.period_end,
                        opening_balance=found.opening_balance, closing_balance=found.closing_balance, lines=lines,
                        aging=found.aging, status=found.status, confirmed_by=found.confirmed_by)


@router.post("/statements", status_code=status.HTTP_201_CREATED, operation_id="issue_statement")
def issue_statement(body: StatementIn, response: Response, meta: StatementCommand, uow: Work, read: Reads,
                    scope: CallerScope) -> StatementOut:
    """Issue (send) the customer's statement for a period: once per customer and period (the same again answers 200
    with the one issued)."""
    queries.customer_within(read, scope, body.customer_id)
    found, created = statements.issue_statement(statements.IssueStatement(
        customer_id=body.customer_id, period_start=body.period_start, period_end=body.period_end), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _statement_out(found)


class StatementRow(BaseModel):
    statement_id: UUID
    customer_id: UUID
    customer_name: str | None
    currency: str
    period_start: date
    period_end: date
    closing_balance: Decimal
    lines: int
    status: Literal["sent", "confirmed", "disputed", "resolved"]
    open_disputes: int
    confirmed_by: str | None
    issued_at: datetime


@router.get("/statements", operation_id="list_statements")
def list_statements(read: Reads, uow: Work, access: AccountReader, paging: Paging,
                    customer_id: Annotated[UUID | None, Query()] = None,
                    status: Annotated[Literal["sent", "confirmed", "disputed", "resolved"] | None,
                                      Query(description="sent: awaiting the customer's answer")] = None,
                    ) -> Page[StatementRow]:
    """Statements issued, the newest period first: finance follows up the unanswered and disputed ones; a
    customer's portal users see their own to confirm or dispute."""
    rows, total = queries.statements(read, customer_id, status, access.scope, paging)
    currency = uow.settings.account_currency  # statements are kept in the account's currency
    return Page.of(StatementRow, ([{**row, "currency": currency} for row in rows], total), paging)


@router.get("/statements/{statement_id}", operation_id="get_statement")
def get_statement(statement_id: UUID, uow: Work, read: Reads, access: AccountReader) -> StatementOut:
    found = statements.statement_of(uow, statement_id)
    queries.customer_within(read, access.scope, found.customer_id, what="Statement", key=statement_id)
    return _statement_out(found)


@router.post("/statements/{statement_id}/answer", operation_id="answer_statement")
def answer_statement(statement_id: UUID, body: AnswerIn, meta: StatementAnswer, uow: Work, read: Reads,
                     scope: CallerScope) -> StatementOut:
    """The customer's answer (its portal users, for their own organisation): confirm the whole statement, or
    dispute lines, each with a reason. A disputed invoice stays out of dunning until resolved."""
    found = statements.statement_of(uow, statement_id)
    queries.customer_within(read, scope, found.customer_id, what="Statement", key=statement_id)
    return _statement_out(statements.answer_statement(statements.AnswerStatement(
        statement_id=statement_id, by=meta.actor, confirm=body.confirm,
        disputes=tuple((d.line_no, d.reason) for d in body.disputes)), uow))


@router.post("/statements/{statement_id}/lines/{line_no}/resolve", operation_id="resolve_statement_dispute")
def resolve_dispute(statement_id: UUID, line_no: int, body: ResolutionIn, meta: StatementCommand, uow: Work,
                    read: Reads, scope: CallerScope) -> StatementOut:
    found = statements.statement_of(uow, statement_id)
    queries.customer_within(read, scope, found.customer_id, what="Statement", key=statement_id)
    note = command_reason(body.note, meta)
    return _statement_out(statements.resolve_dispute(statements.ResolveDispute(
        statement_id=statement_id, line_no=line_no, outcome=body.outcome, note=note or ""), uow))


class AgingGroup(BaseModel):
    key: str = Field(description="the customer id, the region, or the channel (direct, distributor)")
    name: str | None = Field(description="the customer's name, when grouped by customer")
    buckets: dict[str, Decimal]
    total: Decimal


class AgingOut(BaseModel):
    as_of: date
    by: str
    group: str
    currency: str
    groups: list[AgingGroup]
    total: Decimal
    receivable: Decimal = Field(description="every customer's balance (open invoices less unapplied cash)")
    dso: Decimal | None = Field(description="overall, over the last BILLING_DSO_DAYS days")


@router.get("/receivables/aging", operation_id="aging_report")
def aging_report(read: Reads, uow: Work, access: AccountReader,
                 as_of: Annotated[date | None, Query(description="default: today in China")] = None,
                 by: Annotated[Literal["due", "invoice"], Query(description="age by due date or invoice date")] = "due",
                 group: Annotated[Literal["customer", "region", "channel"], Query()] = "customer") -> AgingOut:
    """Open receivables by age as of any day, grouped, largest first (buckets: BILLING_AGING_BUCKETS, default 0-30,
    31-60, 61-90, 91-180, 181-365, >365 days; not_due for what is not yet due)."""
    day, settings = as_of or _today(), uow.settings
    groups = queries.aging_report(read, day, settings.aging_buckets, by, group, access.scope,
                                  settings.account_currency)
    receivable = queries.total_receivable(read, settings.account_currency, day) if access.scope.everything else None
    sales = queries.credit_sales(read, None, settings.account_currency, day - timedelta(days=settings.dso_days - 1),
                                 day) if access.scope.everything else Decimal(0)
    total = sum((g["total"] for g in groups), Decimal("0.00"))
    return AgingOut(as_of=day, by=by, group=group, currency=settings.account_currency,
                    groups=[AgingGroup(**g) for g in groups[:1000]], total=total,
                    receivable=receivable if receivable is not None else total,
                    dso=days_sales_outstanding(receivable, sales, settings.dso_days) if receivable is not None
                    else None)


class DunningRow(BaseModel):
    invoice_id: UUID
    number: str | None
    customer_id: UUID
    customer_name: str | None
    contact: dict[str, Any] | None = Field(description="whom to call: name, phone, email")
    issued_on: date
    due_on: date
    days_overdue: int
    gross: Decimal
    open: Decimal


@router.get("/dunning", operation_id="dunning_list")
def dunning_list(read: Reads, access: AccountReader, paging: Paging,
                 as_of: Annotated[date | None, Query(description="overdue on this day (default: today in China):"
                                                                 " a later day plans the calls ahead")] = None,
                 ) -> Page[DunningRow]:
    """Overdue invoices with something open, most overdue first, leaving out those a customer disputes on a
    statement until the dispute is resolved."""
    today = as_of or _today()
    rows, total = queries.dunning(read, today, access.scope, paging)
    return Page[DunningRow](items=[DunningRow(**row, days_overdue=(today - row["due_on"]).days) for row in rows],
                            total=total, limit=paging.limit, offset=paging.offset)
