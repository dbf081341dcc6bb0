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

from services.traceability.domain.terminal_matching import Match
from shared.domain.rules import NotFound, RuleViolation
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
    """A line as reported: the hospital by its id, or by the name the distributor knows it under (matched to the
    terminal master when the report is recorded: domain/terminal_matching.py)."""

    hospital_id: UUID | None
    gtin: str
    lot: str
    quantity: int
    sold_at: date
    serials: tuple[str, ...] | None = None
    hospital_name: str | None = None

    def as_submitted(self) -> dict[str, Any]:
        """The line as the distributor sent it, without what the checks added: how resubmissions are compared."""
        return {"hospital_id": str(self.hospital_id) if self.hospital_id else None, "gtin": self.gtin, "lot": self.lot,
                "quantity": self.quantity, "sold_at": self.sold_at.isoformat(),
                "serials": list(self.serials) if self.serials else None,
                **({"hospital_name": self.hospital_name} if self.hospital_name else {})}


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
                  reported_before: dict[tuple[str, str], int], known_hospitals: set[UUID],
                  matches: dict[int, Match] | None = None) -> list[dict[str, Any]]:
    """The event's lines whose hospital is known (by id, or by a name `matches` found): each numbered, with what
    the distributor had received and the flags.

    The running total per (GTIN, lot) starts at what the distributor reported before this report, so the line
    that crosses what it received carries the part above (`excess`), and every later line of that lot all of it.
    """
    running = dict(reported_before)
    out = []
    for line_no, line in lines:
        hospital_id, matched_by = line.hospital_id, None
        if hospital_id is None:
            found = (matches or {}).get(line_no)
            if found is None or not found.matched:
                continue  # for review: counted once a person matches it
            hospital_id, matched_by = found.hospital_id, found.how
        key = (line.gtin, line.lot)
        running[key] = running.get(key, 0) + line.quantity
        had = received.get(key, 0)
        excess = min(line.quantity, max(0, running[key] - had))
        out.append({"line_no": line_no, "hospital_id": hospital_id, "gtin": line.gtin, "lot": line.lot,
                    "serials": list(line.serials) if line.serials else None, "quantity": line.quantity,
                    "sold_at": line.sold_at, "received": had, "over_reported": excess > 0, "excess": excess,
                    "unknown_hospital": hospital_id not in known_hospitals, "reported_hospital": line.hospital_name,
                    "matched_by": matched_by})
    return out


def unmatched_lines(lines: list[tuple[int, ReportedLine]], matches: dict[int, Match]) -> list[dict[str, Any]]:
    """The lines reported by a name the terminal master did not match to exactly one hospital: for review."""
    return [{"line_no": line_no, "reported_hospital": line.hospital_name, "gtin": line.gtin, "lot": line.lot,
             "serials": list(line.serials) if line.serials else None, "quantity": line.quantity,
             "sold_at": line.sold_at, "candidates": matches[line_no].candidates[:20]}
            for line_no, line in lines if line.hospital_id is None and not matches[line_no].matched]


class SellOutReport(TracedAggregate):
    @event("Reported")
    def __init__(self, distributor_id: UUID, report_reference: str, period: dict[str, date], source: str,
                 lines: list[dict[str, Any]], unmatched: list[dict[str, Any]] | None = None) -> None:
        self.distributor_id = distributor_id
        self.report_reference = report_reference
        self.period = period
        self.source = source
        self.lines = lines
        self.unmatched = unmatched or []

    def match_line(self, line_no: int, hospital_id: UUID, received: int, reported_before: int,
                   hospital_known: bool) -> dict[str, Any]:
        """A person matches an unmatched line to a hospital (from the review queue): it joins the report's lines,
        checked against what the distributor received as the lineage knows it now."""
        waiting = next((u for u in self.unmatched if u["line_no"] == line_no), None)
        if waiting is None:
            if any(line["line_no"] == line_no for line in self.lines):
                raise RuleViolation("sellout-line-unmatched", f"line {line_no} of report {self.report_reference!r} is"
                                    " matched already", "line_no")
            raise NotFound("Sell-out line", f"{self.id}/{line_no}")
        if not hospital_known:
            raise RuleViolation("registered-hospital", f"no hospital {hospital_id} is registered in the channel",
                                "hospital_id")
        excess = min(waiting["quantity"], max(0, reported_before + waiting["quantity"] - received))
        line = {"line_no": line_no, "hospital_id": hospital_id, "gtin": waiting["gtin"], "lot": waiting["lot"],
                "serials": waiting.get("serials"), "quantity": waiting["quantity"], "sold_at": waiting["sold_at"],
                "received": received, "over_reported": excess > 0, "excess": excess, "unknown_hospital": False,
                "reported_hospital": waiting["reported_hospital"], "matched_by": "review"}
        self._line_matched(distributor_id=self.distributor_id, report_reference=self.report_reference, line=line)
        return line

    @event("LineMatched")
    def _line_matched(self, distributor_id: UUID, report_reference: str, line: dict[str, Any]) -> None:
        self.unmatched = [u for u in self.unmatched if u["line_no"] != line["line_no"]]
        self.lines = sorted([*self.lines, line], key=lambda each: each["line_no"])

    @staticmethod
    def create_id(distributor_id: UUID, report_reference: str) -> UUID:
        return sellout_report_id(distributor_id, report_reference)

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["over_reported"] or line["unknown_hospital"]]

    def submitted(self) -> tuple[dict[str, str], list[dict[str, Any]]]:
        """The period and lines as the distributor sent them: equal for a resubmission of the same report."""
        lines = [ReportedLine(hospital_id=None if line.get("reported_hospital") else line["hospital_id"], gtin=line["gtin"], lot=line["lot"],
                              quantity=line["quantity"], sold_at=line["sold_at"],
                              serials=tuple(line["serials"]) if line.get("serials") else None,
                              hospital_name=line.get("reported_hospital")).as_submitted()
                 for line in sorted([*self.lines, *self.unmatched], key=lambda each: each["line_no"])]
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
