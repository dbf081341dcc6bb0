"""Statements (对账单): what a customer's account says for a period — the opening balance, each invoice, credit
note, payment and reversal in it, the closing balance and its aging — sent to the customer, who confirms it or
disputes lines of it. A disputed invoice stays out of dunning until finance resolves the dispute. Pure."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

MAX_LINES = 5000  # a statement is a month or a quarter of one customer's documents; beyond this, a shorter period


def statement_id_for(customer_id: UUID, period_start: date, period_end: date) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:statement:{customer_id}:{period_start}:{period_end}")


class Statement(TracedAggregate):
    @event("Issued")
    def __init__(self, customer_id: UUID, currency: str, period_start: date, period_end: date,
                 opening_balance: Decimal, closing_balance: Decimal, lines: list[dict[str, Any]],
                 aging: dict[str, Decimal]) -> None:
        self.customer_id, self.currency = customer_id, currency
        self.period_start, self.period_end = period_start, period_end
        self.opening_balance, self.closing_balance = opening_balance, closing_balance
        self.lines, self.aging = lines, aging
        self.confirmed_by: str | None = None
        self.disputes: dict[int, dict[str, Any]] = {}  # line no -> {reason, status, outcome}

    @staticmethod
    def create_id(customer_id: UUID, period_start: date, period_end: date) -> UUID:
        return statement_id_for(customer_id, period_start, period_end)

    @classmethod
    def issue(cls, customer_id: UUID, currency: str, period_start: date, period_end: date, opening: Decimal,
              lines: list[dict[str, Any]], aging: dict[str, Decimal]) -> "Statement":
        if period_end < period_start:
            raise RuleViolation("valid-period", f"period_end {period_end} is before period_start {period_start}",
                                "period_end")
        if len(lines) > MAX_LINES:
            raise RuleViolation("statement-size", f"{len(lines)} documents in the period, more than {MAX_LINES}: state"
                                " a shorter period", "period_start")
        numbered = [{**line, "line_no": n} for n, line in enumerate(lines, start=1)]
        closing = opening + sum((line["amount"] for line in lines), Decimal("0.00"))
        return cls(customer_id=customer_id, currency=currency, period_start=period_start, period_end=period_end,
                   opening_balance=opening, closing_balance=closing, lines=numbered, aging=aging)

    @property
    def status(self) -> str:
        if self.confirmed_by:
            return "confirmed"
        if any(d["status"] == "open" for d in self.disputes.values()):
            return "disputed"
        return "resolved" if self.disputes else "sent"

    def confirm(self, by: str) -> bool:
        """The customer agrees with the whole statement; False when it did already."""
        if self.confirmed_by:
            return False
        if self.disputes:
            raise RuleViolation("statement-disputed", "lines of this statement are disputed: resolve them, then a new"
                                " statement is confirmed", "statement_id")
        self._confirmed(confirmed_by=by)
        return True

    @event("Confirmed")
    def _confirmed(self, confirmed_by: str) -> None:
        self.confirmed_by = confirmed_by

    def dispute(self, line_no: int, reason: str) -> bool:
        """The customer disputes a line; False when it is disputed already."""
        if self.confirmed_by:
            raise RuleViolation("statement-confirmed", "the statement was confirmed: it is no longer disputed",
                                "line_no")
        line = self._line(line_no)
        if line_no in self.disputes and self.disputes[line_no]["status"] == "open":
            return False
        self._disputed(line_no=line_no, document_id=line["document_id"], reason=reason)
        return True

    @event("LineDisputed")
    def _disputed(self, line_no: int, document_id: UUID, reason: str) -> None:
        self.disputes = {**self.disputes, line_no: {"document_id": document_id, "reason": reason, "status": "open",
                                                    "outcome": None}}

    def resolve(self, line_no: int, outcome: str, note: str) -> bool:
        """Finance resolves a disputed line: `upheld` (the customer was right: a credit note follows) or `rejected`
        (the line stands); False when it is resolved so already."""
        if line_no not in self.disputes:
            raise RuleViolation("statement-line-disputed", f"line {line_no} is not disputed", "line_no")
        if self.disputes[line_no]["status"] == "resolved":
            if self.disputes[line_no]["outcome"] == outcome:
                return False
            raise RuleViolation("statement-dispute-resolved", f"line {line_no} was resolved as"
                                f" {self.disputes[line_no]['outcome']}", "outcome")
        self._resolved(line_no=line_no, document_id=self.disputes[line_no]["document_id"], outcome=outcome,
                       note=note)
        return True

    @event("DisputeResolved")
    def _resolved(self, line_no: int, document_id: UUID, outcome: str, note: str) -> None:
        self.disputes = {**self.disputes, line_no: {**self.disputes[line_no], "status": "resolved",
                                                    "outcome": outcome}}

    def _line(self, line_no: int) -> dict[str, Any]:
        if not 1 <= line_no <= len(self.lines):
            raise RuleViolation("statement-line", f"the statement has lines 1 to {len(self.lines)}, not {line_no}",
                                "line_no")
        return self.lines[line_no - 1]
