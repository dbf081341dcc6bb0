"""Distributor sell-out (流向) reports: which hospital received which GTIN/lot/serials, how many, when.

A report arrives as JSON (`POST /sellout-reports`: every line must be valid, or nothing is stored) or as an uploaded
CSV or Excel file (`POST /sellout-reports/upload`: the valid rows make the report, each bad row is answered with its
row number, field and rule). Either way it is recorded once per (distributor, report reference): sending the same
report again answers 200 with the stored one; the same reference with other content is a 409.

Lines are checked against what the distributor received, as the lineage knows it when the report arrives: a line
taking the distributor's reported total of a lot above it is accepted and flagged `over_reported` (with the
`excess`); so is a line naming an unregistered hospital. `GET /sellout-lines?flagged=true` lists them for review.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from services.traceability.domain.sellout import (
    MAX_LINES, LineError, ReportedLine, SellOutPosition, SellOutReport, check_period, line_errors,
)
from services.traceability.domain.sellout_file import UnreadableFile, parse_file
from services.traceability.queries import distributor_position, registered
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Reference
from shared.platform.api import REPLAYED, CommandMeta
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import Problem, invalid_field, not_found, rule_violated

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


def _record(request: Request, response: Response, distributor_id: UUID, reference: str, period: Period, source: str,
            lines: list[tuple[int, ReportedLine]]) -> SellOutReport:
    """Store the report once; answer 200 with the stored one for the same report again, 409 for other content."""
    app, pool, schema = request.app.state.application, request.app.state.pool, request.app.state.schema
    with pool.connection() as conn:
        if not registered(conn, schema, "distributor", [distributor_id]):
            raise invalid_field("distributor_id", "registered-distributor",
                                "register the distributor in the channel service first",
                                detail=f"no distributor {distributor_id} is registered in the channel")

    def read_position() -> SellOutPosition:
        keys = sorted({(line.gtin, line.lot) for _, line in lines})
        with pool.connection() as conn:
            received, reported = distributor_position(conn, schema, distributor_id, keys)
            known = registered(conn, schema, "hospital", [line.hospital_id for _, line in lines])
        return received, reported, known

    report, created = app.report_sellout(distributor_id, reference, (period.start, period.end), source, lines,
                                         read_position)
    if not created:
        submitted = ({"start": period.start.isoformat(), "end": period.end.isoformat()},
                     [line.as_submitted() for _, line in lines])
        if report.submitted() != submitted:
            raise rule_violated("sellout-reference-once",
                                f"report {reference!r} of distributor {distributor_id} was already received with other"
                                " content: send corrections as a new report with a reference of their own",
                                report_id=str(report.id))
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
def report_sellout(body: ReportSellOut, request: Request, response: Response,
                   meta: CommandMeta) -> SellOutReportOut:
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
    return _report_out(_record(request, response, body.distributor_id, body.report_reference, body.period, "api",
                               lines))


@router.post("/sellout-reports/upload", status_code=status.HTTP_201_CREATED, operation_id="upload_sellout_report",
             responses=REPLAYED)
def upload_sellout_report(
        request: Request, response: Response, meta: CommandMeta,
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
    report = _record(request, response, distributor_id, report_reference.strip(), period, source, lines)
    return SellOutUploadOut(report=_report_out(report), rows_accepted=len(lines), rows_rejected=rows_rejected)


@router.get("/sellout-reports/{report_id}", operation_id="get_sellout_report")
def get_sellout_report(report_id: UUID, request: Request, _: CurrentPrincipal) -> SellOutReportOut:
    report = request.app.state.application.get_sellout_report(report_id)
    if report is None:
        raise not_found("Sell-out report", report_id)
    return _report_out(report)


@router.get("/sellout-reports", operation_id="list_sellout_reports")
def list_sellout_reports(request: Request, _: CurrentPrincipal, paging: Paging,
                         distributor_id: Annotated[UUID | None, Query()] = None,
                         flagged: Annotated[bool | None, Query(description="only reports with (true) or without"
                                                                           " (false) flagged lines")] = None,
                         ) -> Page[SellOutReportRow]:
    """Reports as received, newest first."""
    schema = request.app.state.schema
    rows, total = fetch_page(request.app.state.pool, f"{schema}.sellout_reports r LEFT JOIN {schema}.consignees d"
                             " ON d.consignee_id = r.distributor_id", paging,
                             columns="r.*, d.name AS distributor_name", order_by="r.reported_at DESC, r.report_id",
                             where={"r.distributor_id = %s": distributor_id, "(r.flagged_lines > 0) = %s": flagged})
    return Page(items=[SellOutReportRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/sellout-lines", operation_id="list_sellout_lines")
def list_sellout_lines(request: Request, _: CurrentPrincipal, paging: Paging,
                       distributor_id: Annotated[UUID | None, Query()] = None,
                       hospital_id: Annotated[UUID | None, Query()] = None,
                       gtin: Annotated[GTINInput | None, Query()] = None,
                       lot: Annotated[LotInput | None, Query()] = None,
                       flagged: Annotated[bool | None, Query(description="only lines over-reported or naming an"
                                                                         " unknown hospital (true), or only the others"
                                                                         " (false)")] = None,
                       ) -> Page[SellOutLineRow]:
    """Sell-out lines of every report, newest first: `flagged=true` is the review list of over-reports."""
    schema = request.app.state.schema
    rows, total = fetch_page(request.app.state.pool,
                             f"{schema}.sellout_lines l LEFT JOIN {schema}.consignees d ON d.consignee_id = l.distributor_id"
                             f" LEFT JOIN {schema}.consignees h ON h.consignee_id = l.hospital_id", paging,
                             order_by="l.reported_at DESC, l.report_id, l.line_no",
                             columns="l.*, l.gtin::text AS gtin, d.name AS distributor_name, h.name AS hospital_name",
                             where={"l.distributor_id = %s": distributor_id, "l.hospital_id = %s": hospital_id,
                                    "l.gtin = %s": gtin, "l.lot = %s": lot,
                                    "(l.over_reported OR l.unknown_hospital) = %s": flagged})
    return Page(items=[SellOutLineRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)
