"""A distributor's sell-out (流向) report: which hospital received which GTIN, lot (and serials), how many, when.

One aggregate per (distributor, report reference): its id is derived from both, so a resubmission with the same
reference stores nothing new, and the same reference with other content is refused. Pure: what the distributor
received and had already reported comes from the lineage read model, asked by the handler through its port.

Over-reporting is not refused (the distributor's books are the record of what it delivered; a recall must still
reach those hospitals) but flagged: a line that takes the distributor's reported total of a (GTIN, lot) above what it
received is accepted with `over_reported` and the `excess`. Lines naming a hospital no one registered are flagged
too. The flags are decided once, when the report arrives, and recorded in the event: a replay decides the same.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

SERIAL_MAX_LENGTH = 20  # GS1 AI (21)
MAX_LINES = 10_000


def sellout_report_id(distributor_id: UUID, report_reference: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:sellout:{distributor_id}:{report_reference}")


@dataclass(frozen=True)
class LineError:
    """A line the report cannot hold: `line` is its position in the JSON body (0-based) or its row in the file."""

    line: int
    field: str
    rule: str
    message: str


@dataclass(frozen=True)
class ReportedLine:
    hospital_id: UUID
    gtin: str
    lot: str
    quantity: int
    sold_at: date
    serials: tuple[str, ...] | None = None

    def as_submitted(self) -> dict[str, Any]:
        """The line as the distributor sent it, without what the checks added: how resubmissions are compared."""
        return {"hospital_id": str(self.hospital_id), "gtin": self.gtin, "lot": self.lot, "quantity": self.quantity,
                "sold_at": self.sold_at.isoformat(), "serials": list(self.serials) if self.serials else None}


def check_period(start: date, end: date) -> str | None:
    return None if start <= end else f"the period starts ({start}) after it ends ({end})"


def line_errors(line: ReportedLine, n: int, period_start: date, period_end: date, today: date) -> list[LineError]:
    """The rules one line must meet, whatever the format it came in (GTIN and types are checked on parsing)."""
    errors = []
    if not period_start <= line.sold_at <= period_end:
        errors.append(LineError(n, "sold_at", "sold-within-period",
                                f"{line.sold_at} is outside the report's period {period_start} to {period_end}"))
    if line.sold_at > today:
        errors.append(LineError(n, "sold_at", "not-in-future", f"{line.sold_at} is in the future"))
    if line.serials is not None:
        if len(line.serials) != line.quantity:
            errors.append(LineError(n, "serials", "one-serial-per-unit",
                                    f"{len(line.serials)} serials for a quantity of {line.quantity}"))
        if len(set(line.serials)) != len(line.serials):
            errors.append(LineError(n, "serials", "serials-unique", "a serial is named twice"))
        if any(not 1 <= len(s) <= SERIAL_MAX_LENGTH for s in line.serials):
            errors.append(LineError(n, "serials", "serial-length", f"a serial is 1 to {SERIAL_MAX_LENGTH} characters"))
    return errors


def flagged_lines(lines: list[tuple[int, ReportedLine]], received: dict[tuple[str, str], int],
                  reported_before: dict[tuple[str, str], int], known_hospitals: set[UUID]) -> list[dict[str, Any]]:
    """The event's lines: each numbered, with what the distributor had received and the flags.

    The running total per (GTIN, lot) starts at what the distributor reported before this report, so the line
    that crosses what it received carries the part above (`excess`), and every later line of that lot all of it.
    """
    running = dict(reported_before)
    out = []
    for line_no, line in lines:
        key = (line.gtin, line.lot)
        running[key] = running.get(key, 0) + line.quantity
        had = received.get(key, 0)
        excess = min(line.quantity, max(0, running[key] - had))
        out.append({"line_no": line_no, "hospital_id": line.hospital_id, "gtin": line.gtin, "lot": line.lot,
                    "serials": list(line.serials) if line.serials else None, "quantity": line.quantity,
                    "sold_at": line.sold_at, "received": had, "over_reported": excess > 0, "excess": excess,
                    "unknown_hospital": line.hospital_id not in known_hospitals})
    return out


class SellOutReport(TracedAggregate):
    @event("Reported")
    def __init__(self, distributor_id: UUID, report_reference: str, period: dict[str, date], source: str,
                 lines: list[dict[str, Any]]) -> None:
        self.distributor_id = distributor_id
        self.report_reference = report_reference
        self.period = period
        self.source = source
        self.lines = lines

    @staticmethod
    def create_id(distributor_id: UUID, report_reference: str) -> UUID:
        return sellout_report_id(distributor_id, report_reference)

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["over_reported"] or line["unknown_hospital"]]

    def submitted(self) -> tuple[dict[str, str], list[dict[str, Any]]]:
        """The period and lines as the distributor sent them: equal for a resubmission of the same report."""
        lines = [ReportedLine(hospital_id=line["hospital_id"], gtin=line["gtin"], lot=line["lot"],
                              quantity=line["quantity"], sold_at=line["sold_at"],
                              serials=tuple(line["serials"]) if line.get("serials") else None).as_submitted()
                 for line in self.lines]
        return {"start": self.period["start"].isoformat(), "end": self.period["end"].isoformat()}, lines

    def check_resubmission(self, period: tuple[date, date], lines: list[tuple[int, ReportedLine]]) -> None:
        """The same report sent again is a retry; other content under its reference is refused."""
        sent = ({"start": period[0].isoformat(), "end": period[1].isoformat()},
                [line.as_submitted() for _, line in lines])
        if self.submitted() != sent:
            raise RuleViolation("sellout-reference-once",
                                f"report {self.report_reference!r} of distributor {self.distributor_id} was already"
                                " received with other content: send corrections as a new report with a reference of"
                                " their own", report_id=str(self.id))
