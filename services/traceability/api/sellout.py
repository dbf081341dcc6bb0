"""Distributor sell-out (流向) reports: which hospital received which GTIN/lot/serials, how many, when.

A report arrives as JSON (`POST /sellout-reports`: every line must be valid, or nothing is stored) or as an uploaded
CSV or Excel file (`POST /sellout-reports/upload`: the valid rows make the report, each bad row is answered with its
row number, field and rule). Either way the routes read the lines and the handler records the report once per
(distributor, report reference) (application/sellout_reports.py): the same report again answers 200 with the stored
one; the same reference with other content is a 409. `GET /sellout-lines?flagged=true` lists the flagged lines.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from services.traceability.api.work import Work
from services.traceability.application import sellout_reports
from services.traceability.domain.sellout import (
    MAX_LINES, LineError, ReportedLine, SellOutReport, check_period, line_errors,
)
from services.traceability.domain.sellout_file import UnreadableFile, parse_file
from services.traceability.queries import sellout
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Reference
from shared.platform.api import REPLAYED, CommandMeta
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Page, Paging
from shared.platform.problems import Problem, invalid_field
from shared.platform.service_state import Reads

router = APIRouter(tags=["sell-out reports"])

MAX_FILE_BYTES = 5 * 1024 * 1024


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    end: date = Field(description="the last day of the period, included")


class SellOutLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    hospital_id: UUID
    gtin: GTINInput
    lot: LotInput
    serials: list[SerialInput] | None = Field(None, max_length=100_000, description="one per unit, when serialised")
    quantity: int = Field(gt=0, le=100_000)
    sold_at: date = Field(description="the day the units were delivered to the hospital, within the period")


class ReportSellOut(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    distributor_id: UUID
    report_reference: Reference = Field(description="the distributor's own reference of the report: one report per"
                                                    " reference")
    period: Period
    lines: list[SellOutLineIn] = Field(min_length=1, max_length=MAX_LINES)


class SellOutLineOut(BaseModel):
    line_no: int = Field(description="the line's position in the JSON report, or its row in the uploaded file")
    hospital_id: UUID
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    received: int = Field(description="units of the lot the distributor had received (shipped to it minus returned)")
    over_reported: bool
    excess: int = Field(description="the units of this line above what the distributor received")
    unknown_hospital: bool


class SellOutReportOut(BaseModel):
    report_id: UUID
    distributor_id: UUID
    report_reference: str
    period: Period
    source: Literal["api", "csv", "xlsx"]
    reported_at: datetime
    units: int
    flagged_lines: int = Field(description="lines over-reported or naming an unknown hospital")
    lines: list[SellOutLineOut]
    version: int


class RowError(BaseModel):
    row: int = Field(description="the row in the file as a spreadsheet numbers it (the header is row 1)")
    field: str
    rule: str
    message: str


class SellOutUploadOut(BaseModel):
    report: SellOutReportOut
    rows_accepted: int
    rows_rejected: list[RowError] = Field(description="the rows left out of the report, each with why")


class SellOutReportRow(BaseModel):
    report_id: UUID
    distributor_id: UUID
    distributor_name: str | None = Field(description="as the channel registered it")
    report_reference: str
    period_start: date
    period_end: date
    source: str
    line_count: int
    units: int
    flagged_lines: int
    reported_at: datetime


class SellOutLineRow(BaseModel):
    report_id: UUID
    report_reference: str
    line_no: int
    distributor_id: UUID
    distributor_name: str | None
    hospital_id: UUID
    hospital_name: str | None = Field(description="null for a hospital the channel never registered (flagged)")
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    received: int
    over_reported: bool
    excess: int
    unknown_hospital: bool
    reported_at: datetime


def _report_out(report: SellOutReport) -> SellOutReportOut:
    return SellOutReportOut(
        report_id=report.id, distributor_id=report.distributor_id, report_reference=report.report_reference,
        period=Period(**report.period), source=report.source, reported_at=report.created_on,
        units=sum(line["quantity"] for line in report.lines), flagged_lines=len(report.flagged),
        lines=[SellOutLineOut(**line) for line in report.lines], version=report.version)


def _invalid(errors: list[dict[str, str]]) -> Problem:
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


def _check_period(period: Period, field: str) -> None:
    problem = check_period(period.start, period.end)
    if problem:
        raise invalid_field(field, "period-order", problem)


def _today() -> date:
    return datetime.now(UTC).date()


@router.post("/sellout-reports", status_code=status.HTTP_201_CREATED, operation_id="report_sellout",
             responses=REPLAYED)
def report_sellout(body: ReportSellOut, response: Response, meta: CommandMeta, uow: Work) -> SellOutReportOut:
    """A distributor's sell-out report as JSON: every line valid, or nothing stored (422 naming `lines[i].field`).

    The report reference makes it idempotent: the same report again answers 200 with the stored one."""
    _check_period(body.period, "period")
    lines = [(n, ReportedLine(hospital_id=line.hospital_id, gtin=line.gtin, lot=line.lot, quantity=line.quantity,
                              sold_at=line.sold_at, serials=tuple(line.serials) if line.serials is not None else None))
             for n, line in enumerate(body.lines, start=1)]
    errors = [e for n, line in lines for e in line_errors(line, n, body.period.start, body.period.end, _today())]
    if errors:
        raise _invalid([{"field": f"lines[{e.line - 1}].{e.field}", "rule": e.rule, "message": e.message}
                        for e in errors])
    return _report_out(_record(uow, response, body.distributor_id, body.report_reference, body.period, "api", lines))


@router.post("/sellout-reports/upload", status_code=status.HTTP_201_CREATED, operation_id="upload_sellout_report",
             responses=REPLAYED)
def upload_sellout_report(
        response: Response, meta: CommandMeta, uow: Work,
        file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or Excel .xlsx; the first row names the"
                                                     " columns hospital_id, gtin, lot, quantity, sold_at[, serials]")],
        distributor_id: Annotated[UUID, Form()],
        report_reference: Annotated[Reference, Form()],
        period_start: Annotated[date, Form()],
        period_end: Annotated[date, Form()],
) -> SellOutUploadOut:
    """A sell-out report as a file: the valid rows make the report; each bad row is answered in `rows_rejected`
    (row number, field, rule). No valid row at all: 422 listing them. Same reference again: 200, nothing new."""
    period = Period(start=period_start, end=period_end)
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
        raise _invalid([{"field": f"rows[{e.row}].{e.field}", "rule": e.rule, "message": e.message}
                        for e in rows_rejected])
    report = _record(uow, response, distributor_id, report_reference.strip(), period, source, lines)
    return SellOutUploadOut(report=_report_out(report), rows_accepted=len(lines), rows_rejected=rows_rejected)


@router.get("/sellout-reports/{report_id}", operation_id="get_sellout_report")
def get_sellout_report(report_id: UUID, uow: Work, _: CurrentPrincipal) -> SellOutReportOut:
    return _report_out(sellout_reports.sellout_report(uow, report_id))


@router.get("/sellout-reports", operation_id="list_sellout_reports")
def list_sellout_reports(read: Reads, _: CurrentPrincipal, paging: Paging,
                         distributor_id: Annotated[UUID | None, Query()] = None,
                         flagged: Annotated[bool | None, Query(description="only reports with (true) or without"
                                                                           " (false) flagged lines")] = None,
                         ) -> Page[SellOutReportRow]:
    """Reports as received, newest first."""
    where = sellout.SellOutFilter(distributor_id=distributor_id, flagged=flagged)
    return Page.of(SellOutReportRow, sellout.reports(read, where, paging), paging)


@router.get("/sellout-lines", operation_id="list_sellout_lines")
def list_sellout_lines(read: Reads, _: CurrentPrincipal, paging: Paging,
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
    return Page.of(SellOutLineRow, sellout.lines(read, where, paging), paging)
