"""The two-invoice rule (两票制): between the manufacturer and a public hospital, at most two invoices — ours to the
distributor (the first), the distributor's to the hospital (the second), which must cite the first for the same
product and lot with enough quantity (the hospital checks a copy of it). Provinces set the rule one by one
(BILLING_TWO_INVOICE_PROVINCES). A second invoice is recorded as the evidence it is, each line flagged where the
chain breaks:

- `no-first-invoice`: it cites no invoice of ours, or one we never raised;
- `third-invoice`: the invoice it cites was raised to another distributor — the goods passed through two
  distributors, three invoices in all;
- `lot-not-on-first-invoice`: the cited invoice did not bill that product and lot;
- `quantity-exceeds-first-invoice`: the cited invoice's line (less what credit notes took back) does not cover it
  with what earlier second invoices cited.

Flags count where the hospital's province applies the rule; elsewhere the lines are kept, unflagged. Pure."""

from datetime import date
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate

MAX_LINES = 500


def second_invoice_id_for(distributor_id: UUID, number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:second-invoice:{distributor_id}:{number}")


class FirstInvoice(Protocol):
    id: UUID
    number: str | None
    bill_to_distributor_id: UUID | None
    lines: list[dict[str, Any]]

    def credited(self, line_no: int) -> dict[str, Any]: ...


def flag_of(distributor_id: UUID, line: dict[str, Any], first: FirstInvoice | None, cited_before: int) -> str | None:
    """Where this line's chain breaks, or None."""
    if first is None:
        return "no-first-invoice"
    if first.bill_to_distributor_id != distributor_id:
        return "third-invoice"
    billed = sum(l["quantity"] - first.credited(n)["quantity"] for n, l in enumerate(first.lines, start=1)
                 if (l["gtin"], l["lot"]) == (line["gtin"], line["lot"]))
    if not any((l["gtin"], l["lot"]) == (line["gtin"], line["lot"]) for l in first.lines):
        return "lot-not-on-first-invoice"
    if cited_before + line["quantity"] > billed:
        return "quantity-exceeds-first-invoice"
    return None


class SecondInvoice(TracedAggregate):
    @event("Recorded")
    def __init__(self, distributor_id: UUID, number: str, hospital_id: UUID, issued_on: date, province: str | None,
                 rule_applies: bool, lines: list[dict[str, Any]]) -> None:
        self.distributor_id, self.number, self.hospital_id = distributor_id, number, hospital_id
        self.issued_on, self.province, self.rule_applies, self.lines = issued_on, province, rule_applies, lines

    @staticmethod
    def create_id(distributor_id: UUID, number: str) -> UUID:
        return second_invoice_id_for(distributor_id, number)

    @property
    def flagged(self) -> bool:
        return self.rule_applies and any(line.get("flag") for line in self.lines)
