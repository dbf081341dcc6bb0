"""Statements (对账单): issued for a customer and a period from its account (the AR read model: opening balance,
movements, aging at the period's end), sent; the customer confirms it or disputes lines (portal or API), finance
resolves the disputes. Issued once per customer and period (its id comes from them)."""

from datetime import date
from uuid import UUID

from services.billing.application import BillingUnitOfWork
from services.billing.domain import Statement, statement_id_for
from shared.domain.rules import NotFound
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class IssueStatement(Command):
    customer_id: UUID
    period_start: date
    period_end: date


def issue_statement(command: IssueStatement, uow: BillingUnitOfWork) -> tuple[Statement, bool]:
    currency = uow.settings.account_currency

    def issued() -> Statement:
        opening, lines = uow.receivables.statement(command.customer_id, currency, command.period_start,
                                                   command.period_end)
        aging = uow.receivables.aging(command.customer_id, currency, command.period_end)
        return Statement.issue(command.customer_id, currency, command.period_start, command.period_end, opening,
                               lines, aging)

    return create_once(uow, statement_id_for(command.customer_id, command.period_start, command.period_end),
                       Statement, issued)


class AnswerStatement(Command):
    statement_id: UUID
    by: str
    confirm: bool = False
    disputes: tuple[tuple[int, str], ...] = ()  # (line no, reason)


def answer_statement(command: AnswerStatement, uow: BillingUnitOfWork) -> Statement:
    """The customer's answer: the whole statement confirmed, or lines disputed, each with its reason."""
    found = statement_of(uow, command.statement_id)
    changed = found.confirm(command.by) if command.confirm else False
    for line_no, reason in command.disputes:
        changed = found.dispute(line_no, reason) or changed
    if changed:
        uow.collect(found)
    uow.commit()
    return found


class ResolveDispute(Command):
    statement_id: UUID
    line_no: int
    outcome: str  # upheld | rejected
    note: str


def resolve_dispute(command: ResolveDispute, uow: BillingUnitOfWork) -> Statement:
    found = statement_of(uow, command.statement_id)
    if found.resolve(command.line_no, command.outcome, command.note):
        uow.collect(found)
    uow.commit()
    return found


def statement_of(uow: BillingUnitOfWork, statement_id: UUID) -> Statement:
    found = uow.get(statement_id, Statement)
    if found is None:
        raise NotFound("Statement", statement_id)
    return found
