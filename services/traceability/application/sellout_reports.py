"""A distributor's sell-out (流向) report: which hospital received which GTIN/lot/serials, how many, when.

Recorded once per (distributor, report reference): the same report again finds the stored one, the same reference
with other content is refused. Its lines are checked against what the distributor received, as the lineage knows it
when the report arrives: a line taking the distributor's reported total of a lot above it is accepted and flagged
`over_reported` (with the `excess`); so is a line naming an unregistered hospital. The flags are recorded in the
event, so that a replay decides the same.
"""

from datetime import date
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.domain.master_data import registered_distributor
from services.traceability.domain.sellout import (
    ReportedLine, SellOutReport, flagged_lines, sellout_report_id, unmatched_lines,
)
from services.traceability.domain.terminal_matching import Match, match
from shared.domain.rules import NotFound
from shared.platform.idempotency import create_once
from shared.platform.command import Command


class ReportSellOut(Command):
    distributor_id: UUID
    report_reference: str  # the distributor's own: one report per reference
    period: tuple[date, date]  # first and last day, included
    source: str  # api, csv or xlsx
    lines: list[tuple[int, ReportedLine]]  # (line number in the body, or row in the file; the line), each valid


def report_sellout(command: ReportSellOut, uow: TraceabilityUnitOfWork) -> tuple[SellOutReport, bool]:
    """The report, and whether this command recorded it (False: the same report was received before)."""
    registered_distributor(command.distributor_id, uow.master_data)

    def reported() -> SellOutReport:
        lots = sorted({(line.gtin, line.lot) for _, line in command.lines})
        received, reported_before = uow.lineage.distributor_position(command.distributor_id, lots)
        matches = cleansed(command.lines, uow)
        known = uow.master_data.registered_hospitals(
            [line.hospital_id for _, line in command.lines if line.hospital_id is not None]
            + [m.hospital_id for m in matches.values() if m.hospital_id is not None])
        return SellOutReport(distributor_id=command.distributor_id, report_reference=command.report_reference,
                             period={"start": command.period[0], "end": command.period[1]}, source=command.source,
                             lines=flagged_lines(command.lines, received, reported_before, known, matches),
                             unmatched=unmatched_lines(command.lines, matches))

    report, created = create_once(uow, sellout_report_id(command.distributor_id, command.report_reference),
                                  SellOutReport, reported)
    if not created:
        report.check_resubmission(command.period, command.lines)
    return report, created


def cleansed(lines: list[tuple[int, ReportedLine]], uow: TraceabilityUnitOfWork) -> dict[int, Match]:
    """Sell-out cleansing (流向清洗): each line reported by a hospital name, matched to the terminal master (the
    channel's hospitals and their aliases) or left unmatched for review."""
    named = {line_no: line.hospital_name for line_no, line in lines if line.hospital_id is None and line.hospital_name}
    if not named:
        return {}
    terminals = uow.master_data.terminals(sorted(set(named.values())))
    return {line_no: match(name, terminals) for line_no, name in named.items()}


class MatchSellOutLine(Command):
    report_id: UUID
    line_no: int
    hospital_id: UUID  # the person's choice; the reason is the request's


def match_sellout_line(command: MatchSellOutLine, uow: TraceabilityUnitOfWork) -> dict:
    """A person matches a line of the review queue to a hospital: it counts from now, checked against what the
    distributor received as the lineage knows it now."""
    report = sellout_report(uow, command.report_id)
    waiting = next((u for u in report.unmatched if u["line_no"] == command.line_no), None)
    lot = [(waiting["gtin"], waiting["lot"])] if waiting else []
    received, reported_before = uow.lineage.distributor_position(report.distributor_id, lot)
    line = report.match_line(command.line_no, command.hospital_id, received.get(lot[0], 0) if lot else 0,
                             reported_before.get(lot[0], 0) if lot else 0,
                             command.hospital_id in uow.master_data.registered_hospitals([command.hospital_id]))
    uow.collect(report)
    uow.commit()
    return line


def sellout_report(uow: TraceabilityUnitOfWork, report_id: UUID) -> SellOutReport:
    report = uow.get(report_id, SellOutReport)
    if report is None:
        raise NotFound("Sell-out report", report_id)
    return report
