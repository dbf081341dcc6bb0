"""A quote to a hospital or a distributor: lines priced by the rulebook, a price the desk chose approved by a pricing
manager who is not the person who submitted it (four eyes).

draft -> submitted -> approved | rejected; approved -> sent -> accepted. A quote past its `valid_until` that was not
accepted reads as expired and can be neither sent nor accepted (nothing needs to run at midnight for that).
"""

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.approval import second_person
from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

OPEN = ("draft", "submitted", "approved", "sent")


def quote_number(quote_id: UUID) -> str:
    """A number people can say on the phone, unique with the id it is made from."""
    return f"Q-{quote_id.hex[:10].upper()}"


class Quote(TracedAggregate):
    @event("Drafted")
    def __init__(self, quote_id: UUID, number: str, customer_id: UUID, customer_kind: str, currency: str,
                 price_list_id: UUID, valid_until: date, lines: list[dict[str, Any]], note: str | None) -> None:
        self.number, self.customer_id, self.customer_kind = number, customer_id, customer_kind
        self.currency, self.price_list_id, self.valid_until = currency, price_list_id, valid_until
        self.lines, self.note = lines, note
        self.status = "draft"
        self.submitted_by: str | None = None
        self.decided_by: str | None = None
        self.accepted_on: date | None = None

    @staticmethod
    def create_id(quote_id: UUID) -> UUID:
        return quote_id

    @property
    def approval_reasons(self) -> list[str]:
        return [f"line {line['line_no']}: {line['approval_reason']}" for line in self.lines if line["approval_reason"]]

    def status_on(self, day: date) -> str:
        return "expired" if self.status in OPEN and day > self.valid_until else self.status

    def _require(self, day: date, *allowed: str, to: str) -> None:
        status = self.status_on(day)
        if status not in allowed:
            raise RuleViolation("quote-status", f"the quote is {status}; only a {' or '.join(allowed)} quote can be"
                                f" {to}", "status", status=status)

    def submit(self, by: str, day: date) -> None:
        """Submitted for approval; a quote whose every price is within the desk's authority is approved now."""
        self._require(day, "draft", to="submitted")
        self._submitted(submitted_by=by, approval_required=bool(self.approval_reasons))

    @event("Submitted")
    def _submitted(self, submitted_by: str, approval_required: bool) -> None:
        self.submitted_by = submitted_by
        self.status = "submitted" if approval_required else "approved"

    def approve(self, by: str, day: date) -> None:
        self._require(day, "submitted", to="approved")
        second_person(self.submitted_by or "", by, f"quote {self.number}")
        self._approved(approved_by=by)

    @event("Approved")
    def _approved(self, approved_by: str) -> None:
        self.decided_by, self.status = approved_by, "approved"

    def reject(self, by: str, day: date) -> None:
        self._require(day, "submitted", to="rejected")
        second_person(self.submitted_by or "", by, f"quote {self.number}")
        self._rejected(rejected_by=by)

    @event("Rejected")
    def _rejected(self, rejected_by: str) -> None:
        self.decided_by, self.status = rejected_by, "rejected"

    def send(self, day: date) -> bool:
        """False when it was sent already (a retry)."""
        if self.status == "sent":
            return False
        self._require(day, "approved", to="sent")
        self._sent()
        return True

    @event("Sent")
    def _sent(self) -> None:
        self.status = "sent"

    def accept(self, day: date) -> bool:
        """The customer accepted it within its validity; False when accepted already (a retry)."""
        if self.status == "accepted":
            return False
        self._require(day, "sent", to="accepted")
        self._accepted(accepted_on=day)
        return True

    @event("Accepted")
    def _accepted(self, accepted_on: date) -> None:
        self.accepted_on, self.status = accepted_on, "accepted"
