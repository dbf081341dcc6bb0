"""Opening receivables (期初应收, domain/opening.py): the old system's unpaid invoices, recorded once per customer and
old number. The same invoice recorded again with the same facts records nothing; with other facts it is refused, so
that a corrected file is not silently ignored (a wrong amount on record is put right by a payment or in the old
system, not by importing over it)."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from services.billing.application import BillingUnitOfWork
from services.billing.domain import OpeningReceivable, opening_receivable_id
from shared.domain.business_day import business_today
from shared.domain.rules import InvalidReference, RuleViolation
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class RecordOpeningReceivable(Command):
    customer_id: UUID
    legacy_number: str
    currency: str
    issued_on: date
    outstanding: Decimal
    due_on: date | None = None  # or, without it, after payment_terms_days
    payment_terms_days: int | None = None
    original_gross: Decimal | None = None
    note: str | None = None


def record_opening_receivable(command: RecordOpeningReceivable,
                              uow: BillingUnitOfWork) -> tuple[OpeningReceivable, bool]:
    """The opening receivable, and whether this command recorded it (False: it was on record, as it says)."""
    kind = uow.receivables.customer_kind(command.customer_id)
    if kind is None:
        raise InvalidReference("customer_id", "known-customer", "name a hospital or a distributor the channel"
                               " registered (billing learns them from the channel's events)",
                               f"billing knows no customer {command.customer_id}")
    if (command.due_on is None) == (command.payment_terms_days is None):
        raise RuleViolation("opening-receivable-due", "give the due date or the payment terms in days, one of the"
                            " two", "due_on")
    due = command.due_on or command.issued_on + timedelta(days=command.payment_terms_days or 0)
    found, created = create_once(
        uow, opening_receivable_id(command.customer_id, command.legacy_number), OpeningReceivable,
        lambda: OpeningReceivable.record(command.customer_id, kind, command.legacy_number, command.currency,
                                         command.issued_on, due, command.outstanding, command.original_gross,
                                         command.payment_terms_days, command.note, today=business_today()))
    asked = {"currency": command.currency, "issued_on": command.issued_on, "due_on": due,
             "outstanding": command.outstanding, "original_gross": command.original_gross}
    if not created:
        differing = [name for name, value in asked.items() if found.facts()[name] != value]
        if differing:
            raise RuleViolation("opening-receivable-on-record", f"{found.number} of this customer is on record with"
                                f" other {', '.join(differing)}: {', '.join(str(found.facts()[n]) for n in differing)}",
                                "legacy_number", differing=differing)
    return found, created
