"""Importing a bank statement (application of domain/bank_statement.py): its lines matched to customers and
invoices, recorded once (its id is the file's digest), then each matched line recorded as a payment (its id is the
bank transaction's, so a statement imported twice records nothing twice) and allocated — to the invoices its memo
names first, then oldest due first. Finance matches the rest from the review queue."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.billing.application import BillingUnitOfWork, payments
from services.billing.domain import Invoice
from services.billing.domain.bank_statement import (
    BankStatement, RowError, invoice_numbers_in, normalized_name, parse_bank_file, payment_id_for, statement_id_for,
)
from shared.domain.rules import InvalidReference, NotFound
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class ImportBankStatement(Command):
    filename: str
    content: bytes


@dataclass(frozen=True)
class Imported:
    statement: BankStatement
    created: bool
    rejected: list[RowError]


def import_bank_statement(command: ImportBankStatement, uow: BillingUnitOfWork) -> Imported:
    lines, rejected = parse_bank_file(command.filename, command.content)
    digest = hashlib.sha256(command.content).hexdigest()

    def imported() -> BankStatement:
        return BankStatement.import_lines(digest, command.filename, [_matched(line, uow) for line in lines])

    statement, created = create_once(uow, statement_id_for(digest), BankStatement, imported)
    for line in statement.lines:
        if line.get("customer_id") is not None:
            _record(statement, line, uow)
    return Imported(statement, created, rejected)


def _matched(line: dict[str, Any], uow: BillingUnitOfWork) -> dict[str, Any]:
    """The line with its customer and the invoices its memo names, and how it was matched (None: for review)."""
    numbers = invoice_numbers_in(line["memo"])
    named = uow.receivables.invoices_numbered(numbers) if numbers else {}
    customers = {customer for _, customer in named.values()}
    if len(customers) == 1:
        customer = customers.pop()
        return {**line, "customer_id": customer, "matched_by": "invoice_number",
                "invoice_ids": [invoice for invoice, owner in named.values() if owner == customer]}
    payer = uow.receivables.customer_named(normalized_name(line["payer"]))
    if payer is not None:
        return {**line, "customer_id": payer, "matched_by": "payer", "invoice_ids": []}
    return {**line, "customer_id": None, "matched_by": None, "invoice_ids": []}


def _record(statement: BankStatement, line: dict[str, Any], uow: BillingUnitOfWork) -> None:
    payment, created = payments.record_payment(payments.RecordPayment(
        payment_id=payment_id_for(line["bank_reference"]), customer_id=line["customer_id"], amount=line["amount"],
        currency=uow.settings.account_currency, received_on=line["on"], bank_reference=line["bank_reference"],
        payer=line["payer"], source="bank_statement"), uow)
    if not created:
        return
    named: list[tuple[UUID, Decimal]] = []
    left = payment.unapplied
    for invoice_id in line.get("invoice_ids") or []:
        target = uow.get(invoice_id, Invoice)
        take = min(left, target.open_amount) if target is not None else Decimal(0)
        if take > 0:
            named.append((invoice_id, take))
            left -= take
    if named:
        payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=tuple(named),
                                                           on=line["on"]), uow)
    if left > 0:
        payments.allocate_payment(payments.AllocatePayment(payment_id=payment.id, allocations=(), on=line["on"]),
                                  uow)


class MatchBankLine(Command):
    statement_id: UUID
    line_no: int
    customer_id: UUID


def match_bank_line(command: MatchBankLine, uow: BillingUnitOfWork) -> BankStatement:
    statement = uow.get(command.statement_id, BankStatement)
    if statement is None:
        raise NotFound("Bank statement", command.statement_id)
    if uow.receivables.customer_kind(command.customer_id) is None:
        raise InvalidReference("customer_id", "registered-customer", "name a registered hospital or distributor",
                               f"no customer {command.customer_id}")
    if statement.match(command.line_no, command.customer_id):
        uow.collect(statement)
        uow.commit()
    _record(statement, statement.lines[command.line_no - 1], uow)
    return statement
