"""A distributor's inventory report (进销存 / 库存报表): what it holds of each lot on a day. Reconciled against what the
lineage says it should hold (channel inventory reconciliation): opening (none: the system's records start empty) +
received (shipped to it by the day) − returned − reported sold (sold by the day) = expected; the reported stock is
compared with it and a variance is flagged (a unit unaccounted for: sold and not reported, lost, or diverted).

One aggregate per (distributor, report reference), as sell-out reports are: the same report again is a retry, other
content under its reference is refused. Pure."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.traceability.domain.sellout import LineError
from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

MAX_STOCK_LINES = 10_000
MAX_STOCK_QUANTITY = 1_000_000


def stock_report_id(distributor_id: UUID, report_reference: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:channel-stock:{distributor_id}:{report_reference}")


@dataclass(frozen=True)
class StockLine:
    gtin: str
    lot: str
    quantity: int  # on hand on the report's day: 0 says the lot is gone


def stock_line_errors(lines: list[tuple[int, StockLine]]) -> list[LineError]:
    """A lot is reported once per report (two lines for one lot would be added up by nobody)."""
    seen: dict[tuple[str, str], int] = {}
    errors = []
    for n, line in lines:
        key = (line.gtin, line.lot)
        if key in seen:
            errors.append(LineError(n, "lot", "lot-once", f"lot {line.lot} of {line.gtin} is reported on line"
                                                          f" {seen[key]} already"))
        else:
            seen[key] = n
    return errors


class ChannelInventoryReport(TracedAggregate):
    @event("Reported")
    def __init__(self, distributor_id: UUID, report_reference: str, as_of: date, source: str,
                 lines: list[dict[str, Any]]) -> None:
        self.distributor_id, self.report_reference, self.as_of = distributor_id, report_reference, as_of
        self.source, self.lines = source, lines

    @staticmethod
    def create_id(distributor_id: UUID, report_reference: str) -> UUID:
        return stock_report_id(distributor_id, report_reference)

    def check_resubmission(self, as_of: date, lines: list[tuple[int, StockLine]]) -> None:
        sent = [{"gtin": line.gtin, "lot": line.lot, "quantity": line.quantity} for _, line in lines]
        kept = [{"gtin": line["gtin"], "lot": line["lot"], "quantity": line["quantity"]} for line in self.lines]
        if (as_of, sent) != (self.as_of, kept):
            raise RuleViolation("report-reference-once", f"inventory report {self.report_reference!r} was already"
                                " received with other content: send a correction under a reference of its own",
                                report_id=str(self.id))
