"""Opening receivables (期初应收): a customer's invoices from the system before go-live, unpaid or partly paid, taken
over so that the account, the aging, dunning, statements and the order service's credit exposure are right from the
first day. Pure.

An opening receivable is an Invoice to everything that settles invoices — payments are allocated to it (oldest due
first among the customer's invoices), reversed, matched by its number on a bank line — but it was raised by the old
system: it has no shipment, order or lines, no net and VAT split to book (the old ledger booked them), and keeps the
old system's number, so the gap-free INV series is not touched. Its own event (OpeningReceivableRecorded), not
InvoiceRaised, so that whoever counts sales (rebate basis, analytics, order history) does not count migrated debt.

Its id comes from the customer and the old number: the same invoice recorded again is found, not doubled."""

import re
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.billing.domain.invoice import Invoice
from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

CUSTOMER_KINDS = ("hospital", "distributor")
# This system's own numbers (domain/numbering.py): an old invoice under one would be mistaken for one of ours.
_OUR_NUMBERS = re.compile(r"(INV|CN)-\d{4}-\d+", re.IGNORECASE)


def opening_receivable_id(customer_id: UUID, legacy_number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:opening-receivable:{customer_id}:{legacy_number.strip().upper()}")


class OpeningReceivable(Invoice):
    """What was open of an old invoice at go-live (`gross_total`: what payments may still settle), with what the
    old invoice said (`original_gross`, when given)."""

    class Recorded(TracedAggregate.Created):
        customer_id: UUID
        customer_kind: str
        legacy_number: str
        currency: str
        issued_on: date
        due_on: date
        payment_terms_days: int | None
        outstanding: Decimal
        original_gross: Decimal | None
        note: str | None

    @staticmethod
    def create_id(customer_id: UUID, legacy_number: str) -> UUID:  # type: ignore[override]
        return opening_receivable_id(customer_id, legacy_number)

    @event(Recorded)
    def __init__(self, customer_id: UUID, customer_kind: str, legacy_number: str, currency: str, issued_on: date,
                 due_on: date, payment_terms_days: int | None, outstanding: Decimal, original_gross: Decimal | None,
                 note: str | None) -> None:
        # What an Invoice holds, as far as an old invoice has it: the party billed in the field that says so (a
        # distributor is billed as through 两票制, a hospital directly), no shipment, order, lines or VAT split.
        self.customer_kind = customer_kind
        self.hospital_id = customer_id if customer_kind == "hospital" else None
        self.bill_to_distributor_id = customer_id if customer_kind == "distributor" else None
        self.shipment_id = self.order_id = None
        self.currency, self.lines, self.discounts = currency, [], []
        self.net_total = self.vat_total = None
        self.gross_total, self.original_gross, self.note = outstanding, original_gross, note
        self.number, self.issued_on, self.due_on = legacy_number, issued_on, due_on
        self.payment_terms_days, self.payment_terms_source = payment_terms_days, "opening"
        self.credit_notes: list[dict[str, Any]] = []
        self.payments: dict[str, Decimal] = {}

    source = "opening"

    @classmethod
    def record(cls, customer_id: UUID, customer_kind: str, legacy_number: str, currency: str, issued_on: date,
               due_on: date, outstanding: Decimal, original_gross: Decimal | None = None,
               payment_terms_days: int | None = None, note: str | None = None, *,
               today: date) -> "OpeningReceivable":
        check_opening(customer_kind, legacy_number, issued_on, due_on, outstanding, original_gross, today)
        return cls(customer_id=customer_id, customer_kind=customer_kind, legacy_number=legacy_number.strip(),
                   currency=currency, issued_on=issued_on, due_on=due_on, payment_terms_days=payment_terms_days,
                   outstanding=outstanding, original_gross=original_gross, note=note)

    @property
    def customer_id(self) -> UUID:
        return self.bill_to_distributor_id or self.hospital_id  # type: ignore[return-value]

    def facts(self) -> dict[str, Any]:
        """What a row recording it says: recording it again with other facts is refused, not silently ignored."""
        return {"currency": self.currency, "issued_on": self.issued_on, "due_on": self.due_on,
                "outstanding": self.gross_total, "original_gross": self.original_gross}

    def check_printable(self) -> None:
        # The old system issued and printed it (a tax document of its own); here it is a line of the account.
        raise RuleViolation("opening-receivable-print", f"{self.number} is an opening receivable: the old system"
                            " printed it; the customer's statement shows what is open of it", "invoice_id")

    def credit_note_lines(self, wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A credit note cites lines of this system's invoice; the old invoice's lines are in the old system.
        raise RuleViolation("opening-receivable-credit", f"{self.number} is an opening receivable: it has no lines"
                            " of this system to credit (credit it in the old system, or settle it by payment)",
                            "lines")


def check_opening(customer_kind: str, legacy_number: str, issued_on: date, due_on: date, outstanding: Decimal,
                  original_gross: Decimal | None, today: date) -> None:
    """`today`: the business day in China: an invoice the old system issued is issued by now."""
    if customer_kind not in CUSTOMER_KINDS:
        raise RuleViolation("opening-receivable-customer", "the customer billed is a hospital or a distributor",
                            "customer_id")
    if _OUR_NUMBERS.fullmatch(legacy_number.strip()):
        raise RuleViolation("opening-receivable-number", f"{legacy_number} is a number of this system's series:"
                            " give the old system's number", "legacy_number")
    if outstanding <= 0 or outstanding != outstanding.quantize(Decimal("0.01")):
        raise RuleViolation("opening-receivable-amount", "what is open is above 0, in cents", "outstanding")
    if original_gross is not None and original_gross < outstanding:
        raise RuleViolation("opening-receivable-original", f"the invoice's whole amount ({original_gross}) is not"
                            f" less than what is open of it ({outstanding})", "original_gross")
    if issued_on > today:
        raise RuleViolation("opening-receivable-issued", f"an old invoice was issued by today ({today}), not on"
                            f" {issued_on}", "issued_on")
    if due_on < issued_on:
        raise RuleViolation("opening-receivable-due", f"it falls due on or after it was issued ({issued_on})", "due_on")
