"""Distributor sell-out (流向) reports: which hospital received which GTIN/lot/serials, how many, when.

A report arrives as JSON (`POST /sellout-reports`: every line must be valid, or nothing is stored) or as an uploaded
CSV or Excel file (`POST /sellout-reports/upload`: the valid rows make the report, each bad row is answered with its
row number, field and rule). Either way the routes read the lines and the handler records the report once per
(distributor, report reference) (application/sellout_reports.py): the same report again answers 200 with the stored
one; the same reference with other content is a 409. `GET /sellout-lines?flagged=true` lists the flagged lines.
"""

from datetime import date, datetime
from shared.domain.business_day import CHINA
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status

from services.traceability.api.sellout_models import (
    MatchLineIn, Period, ReportSellOut, RowError, SellOutLineOut, SellOutLineRow, SellOutReportOut, SellOutReportRow,
    SellOutUploadOut, UnmatchedLineRow, report_out,
)
from services.traceability.api.work import Work
from services.traceability.application import sellout_reports
from services.traceability.domain.sellout import LineError, ReportedLine, SellOutReport, check_period, line_errors
from services.traceability.domain.sellout_file import UnreadableFile, parse_file
from services.traceability.queries import sellout
from shared.domain.gtin import GTINInput, LotInput
from shared.domain.text import Reference
from services.traceability.domain.master_data import unregistered_distributor
from shared.platform.access import DataScope, outside_scope, permitted
from shared.platform.api import REPLAYED, CallerScope, command_by, command_reason
from shared.platform.read_models import ReadModels
from shared.platform.paging import Page, Paging
from shared.platform.problems import Problem, invalid_field
from shared.platform.service_state import Reads

router = APIRouter(tags=["sell-out reports"])
# A distributor's user submits and reads its own distributor's reports; a regional manager those of its regions.
SellOutCommand = command_by("sellout:submit", scope="sellout")
SellOutReader = permitted("sellout:read", scope="sellout")
# Matching a reported name to a hospital decides whom the units count for (rebates, scorecards): channel staff.
SellOutReviewCommand = command_by("sellout:review", scope="sellout")

MAX_FILE_BYTES = 5 * 1024 * 1024


def invalid_rows(errors: list[dict[str, str]]) -> Problem:
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return Problem(422, "Invalid input", detail, errors=errors)


def _record(uow: Work, response: Response, distributor_id: UUID, reference: str, period: Period, source: str,
            lines: list[tuple[int, ReportedLine]]) -> SellOutReport:
    """Store the report once; answer 200 with the stored one for the same report again (409 for other content)."""
    report, created = sellout_reports.report_sellout(sellout_reports.ReportSellOut(
        distributor_id=distributor_id, report_reference=reference, period=(period.start, period.end), source=source,
        lines=lines), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return report


def reporting_for(read: ReadModels, scope: DataScope, distributor_id: UUID) -> None:
    """A distributor's user reports for its own distributor only; another looks unregistered (it must not learn
    which exist)."""
    if not sellout.distributor_within(read, scope, distributor_id):
        raise unregistered_distributor(distributor_id)


def _check_period(period: Period, field: str) -> None:
    problem = check_period(period.start, period.end)
    if problem:
        raise invalid_field(field, "period-order", problem)


def _today() -> date:
    """The distributor's today, against which a sale "in the future" is judged: China's (at 07:00 in Shanghai it is
    still yesterday in UTC, and a sale delivered this morning is not in the future)."""
    return datetime.now(CHINA).date()


@router.post("/sellout-reports", status_code=status.HTTP_201_CREATED, operation_id="report_sellout",
             responses=REPLAYED)
def report_sellout(body: ReportSellOut, response: Response, meta: SellOutCommand, uow: Work, read: Reads,
                   scope: CallerScope) -> SellOutReportOut:
    """A distributor's sell-out report as JSON: every line valid, or nothing stored (422 naming `lines[i].field`).

    The report reference makes it idempotent: the same report again answers 200 with the stored one."""
    _check_period(body.period, "period")
    reporting_for(read, scope, body.distributor_id)
    lines = [(n, ReportedLine(hospital_id=line.hospital_id, gtin=line.gtin, lot=line.lot, quantity=line.quantity,
                              sold_at=line.sold_at, serials=tuple(line.serials) if line.serials is not None else None,
                              hospital_name=line.hospital_name))
             for n, line in enumerate(body.lines, start=1)]
    errors = [e for n, line in lines for e in line_errors(line, n, body.period.start, body.period.end, _today())]
    if errors:
        raise invalid_rows([{"field": f"lines[{e.line - 1}].{e.field}", "rule": e.rule, "message": e.message}
                        for e in errors])
    return report_out(_record(uow, response, body.distributor_id, body.report_reference, body.period, "api", lines))


@router.post("/sellout-reports/upload", status_code=status.HTTP_201_CREATED, operation_id="upload_sellout_report",
             responses=REPLAYED)
def upload_sellout_report(
        response: Response, meta: SellOutCommand, uow: Work, read: Reads, scope: CallerScope,
        file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or Excel .xlsx; the first row names the"
                                                     " columns hospital_id or hospital_name (医院名称), gtin, lot,"
                                                     " quantity, sold_at[, serials]")],
        distributor_id: Annotated[UUID, Form()],
        report_reference: Annotated[Reference, Form()],
        period_start: Annotated[date, Form()],
        period_end: Annotated[date, Form()],
) -> SellOutUploadOut:
    """A sell-out report as a file: the valid rows make the report; each bad row is answered in `rows_rejected`
    (row number, field, rule). No valid row at all: 422 listing them. Same reference again: 200, nothing new."""
    period = Period(start=period_start, end=period_end)
    reporting_for(read, scope, distributor_id)
    _check_period(period, "period_end")
    content = file.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise invalid_field("file", "max-file-size", f"a report file is at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        source, parsed = parse_file(file.filename, content)
    except UnreadableFile as error:
        refused = invalid_field("file", error.rule, str(error))
        if error.status == 413:  # bounded before it cost much: too much to read, not wrong content
            refused = Problem(413, "Content too large", refused.detail, **refused.extensions, rule=error.rule)
        raise refused from None
    today = _today()
    rejected: list[LineError] = list(parsed.errors)
    lines = []
    for row, line in parsed.lines:
        errors = line_errors(line, row, period.start, period.end, today)
        rejected.extend(errors)
        if not errors:
            lines.append((row, line))
    rows_rejected = [RowError(row=e.line, field=e.field, rule=e.rule, message=e.message)
                     for e in sorted(rejected, key=lambda e: e.line)]
    if not lines:
        if not rows_rejected:
            raise invalid_field("file", "at-least-one-row", "the file has a header row but no lines")
        raise invalid_rows([{"field": f"rows[{e.row}].{e.field}", "rule": e.rule, "message": e.message}
                        for e in rows_rejected])
    report = _record(uow, response, distributor_id, report_reference.strip(), period, source, lines)
    return SellOutUploadOut(report=report_out(report), rows_accepted=len(lines), rows_rejected=rows_rejected)


@router.get("/sellout-reports/{report_id}", operation_id="get_sellout_report")
def get_sellout_report(report_id: UUID, uow: Work, read: Reads, access: SellOutReader) -> SellOutReportOut:
    report = sellout_reports.sellout_report(uow, report_id)
    if not sellout.distributor_within(read, access.scope, report.distributor_id):
        raise outside_scope("Sell-out report", report_id)
    return report_out(report)


@router.get("/sellout-reports", operation_id="list_sellout_reports")
def list_sellout_reports(read: Reads, access: SellOutReader, paging: Paging,
                         distributor_id: Annotated[UUID | None, Query()] = None,
                         flagged: Annotated[bool | None, Query(description="only reports with (true) or without"
                                                                           " (false) flagged lines")] = None,
                         ) -> Page[SellOutReportRow]:
    """Reports as received, newest first."""
    where = sellout.SellOutFilter(distributor_id=distributor_id, flagged=flagged)
    return Page.of(SellOutReportRow, sellout.reports(read, where, access.scope, paging), paging)


@router.get("/sellout-lines", operation_id="list_sellout_lines")
def list_sellout_lines(read: Reads, access: SellOutReader, paging: Paging,
                       distributor_id: Annotated[UUID | None, Query()] = None,
                       hospital_id: Annotated[UUID | None, Query()] = None,
                       gtin: Annotated[GTINInput | None, Query()] = None,
                       lot: Annotated[LotInput | None, Query()] = None,
                       flagged: Annotated[bool | None, Query(description="only lines over-reported or naming an"
                                                                         " unknown hospital (true), or only the others"
                                                                         " (false)")] = None,
                       ) -> Page[SellOutLineRow]:
    """Sell-out lines of every report, newest first: `flagged=true` is the review list of over-reports."""
    where = sellout.SellOutFilter(distributor_id=distributor_id, flagged=flagged, hospital_id=hospital_id, gtin=gtin,
                                  lot=lot)
    return Page.of(SellOutLineRow, sellout.lines(read, where, access.scope, paging), paging)


@router.get("/sellout-review", operation_id="list_unmatched_sellout_lines")
def list_unmatched_sellout_lines(read: Reads, access: SellOutReader, paging: Paging,
                                 distributor_id: Annotated[UUID | None, Query()] = None) -> Page[UnmatchedLineRow]:
    """The review queue of sell-out cleansing (流向清洗): lines whose hospital name matched no single hospital of the
    terminal master, oldest first, with the candidates an ambiguous name fits. They count for nothing (lineage,
    rebates, scorecards) until matched."""
    return Page.of(UnmatchedLineRow, sellout.unmatched(read, distributor_id, access.scope, paging), paging)


@router.post("/sellout-reports/{report_id}/unmatched/{line_no}/match", operation_id="match_sellout_line")
def match_sellout_line(report_id: UUID, line_no: Annotated[int, Path(ge=1, le=1_000_000)], body: MatchLineIn,
                       meta: SellOutReviewCommand, uow: Work, read: Reads, scope: CallerScope) -> SellOutLineOut:
    """Match a line of the review queue to a registered hospital, with a reason: it counts from now. To have the
    next report match the name by itself, record it as the hospital's alias (channel: POST /hospitals/{id}/aliases)."""
    command_reason(body.reason, meta)
    report = sellout_reports.sellout_report(uow, report_id)
    if not sellout.distributor_within(read, scope, report.distributor_id):
        raise outside_scope("Sell-out report", report_id)
    return SellOutLineOut(**sellout_reports.match_sellout_line(sellout_reports.MatchSellOutLine(
        report_id=report_id, line_no=line_no, hospital_id=body.hospital_id), uow))
