"""Distributors' inventory reports (进销存) and channel inventory reconciliation: a report as JSON (every line valid,
or nothing stored) or as a CSV/Excel upload (the valid rows make the report, each bad row answered); the
reconciliation per lot on the latest report's day, variances flagged."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from services.traceability.api.sellout import (
    MAX_FILE_BYTES, SellOutCommand, SellOutReader, invalid_rows, reporting_for,
)
from services.traceability.api.sellout_models import RowError
from services.traceability.api.work import Work
from services.traceability.application import channel_stock
from services.traceability.domain.channel_stock import MAX_STOCK_LINES, MAX_STOCK_QUANTITY, StockLine
from services.traceability.domain.stock_file import parse_stock_file
from shared.domain.workbook import UnreadableFile
from services.traceability.queries import channel_stock as reconciled
from shared.domain.gtin import GTINInput, LotInput
from shared.domain.text import Reference
from shared.platform.api import REPLAYED, CallerScope
from shared.platform.problems import Problem, invalid_field
from shared.platform.service_state import Reads

router = APIRouter(tags=["channel inventory"])


class StockLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    quantity: int = Field(ge=0, le=MAX_STOCK_QUANTITY, description="on hand on the report's day")


class StockReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    distributor_id: UUID
    report_reference: Reference
    as_of: date = Field(description="the day the stock was counted")
    lines: list[StockLineIn] = Field(min_length=1, max_length=MAX_STOCK_LINES)


class StockReportOut(BaseModel):
    report_id: UUID
    distributor_id: UUID
    report_reference: str
    as_of: date
    source: str
    lines: list[dict]
    rows_rejected: list[RowError] = Field(default_factory=list)


class ReconciledLot(BaseModel):
    gtin: str
    lot: str
    received: int = Field(description="shipped to the distributor by the report's day")
    returned: int
    sold: int = Field(description="reported sold on by the report's day")
    expected: int = Field(description="received − returned − sold (the records start with nothing on hand)")
    reported: int = Field(description="what the report says it holds (0 for a lot it does not name)")
    variance: int = Field(description="reported − expected: not 0 is flagged")
    flagged: bool


class ReconciliationOut(BaseModel):
    distributor_id: UUID
    as_of: date | None = Field(description="the latest inventory report's day; null: none reported")
    report_reference: str | None
    lots: list[ReconciledLot]
    variances: int = Field(description="lots whose reported stock differs from the expected")


def _recorded(uow: Work, response: Response, distributor_id: UUID, reference: str, as_of: date, source: str,
              lines: list[tuple[int, StockLine]], rejected: list[RowError]) -> StockReportOut:
    report, created = channel_stock.report_channel_stock(channel_stock.ReportChannelStock(
        distributor_id=distributor_id, report_reference=reference, as_of=as_of, source=source, lines=lines), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return StockReportOut(report_id=report.id, distributor_id=report.distributor_id,
                          report_reference=report.report_reference, as_of=report.as_of, source=report.source,
                          lines=report.lines, rows_rejected=rejected)


@router.post("/channel-inventory-reports", status_code=status.HTTP_201_CREATED, operation_id="report_channel_stock",
             responses=REPLAYED)
def report_channel_stock(body: StockReportIn, response: Response, meta: SellOutCommand, uow: Work, read: Reads,
                         scope: CallerScope) -> StockReportOut:
    """A distributor's inventory report (进销存) as JSON: what it holds of each lot on `as_of`. Recorded once per
    reference (the same again answers 200; other content 409)."""
    reporting_for(read, scope, body.distributor_id)
    lines = [(n, StockLine(gtin=line.gtin, lot=line.lot, quantity=line.quantity))
             for n, line in enumerate(body.lines, start=1)]
    return _recorded(uow, response, body.distributor_id, body.report_reference, body.as_of, "api", lines, [])


@router.post("/channel-inventory-reports/upload", status_code=status.HTTP_201_CREATED,
             operation_id="upload_channel_stock", responses=REPLAYED)
def upload_channel_stock(
        response: Response, meta: SellOutCommand, uow: Work, read: Reads, scope: CallerScope,
        file: Annotated[UploadFile, File(description="CSV or .xlsx; the first row names gtin (产品标识), lot (批号)"
                                                     " and quantity (库存数量)")],
        distributor_id: Annotated[UUID, Form()], report_reference: Annotated[Reference, Form()],
        as_of: Annotated[date, Form()]) -> StockReportOut:
    """An inventory report as a file: the valid rows make the report, each bad row comes back in `rows_rejected`."""
    reporting_for(read, scope, distributor_id)
    content = file.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        raise invalid_field("file", "max-file-size", f"a report file is at most {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        source, lines, errors = parse_stock_file(file.filename, content)
    except UnreadableFile as error:
        refused = invalid_field("file", error.rule, str(error))
        if error.status == 413:
            refused = Problem(413, "Content too large", refused.detail, **refused.extensions, rule=error.rule)
        raise refused from None
    rejected = [RowError(row=e.line, field=e.field, rule=e.rule, message=e.message) for e in errors]
    if not lines:
        raise invalid_rows([{"field": f"rows[{e.row}].{e.field}", "rule": e.rule, "message": e.message} for e in rejected]
                       or [{"field": "file", "rule": "at-least-one-row", "message": "the file has no lines"}])
    return _recorded(uow, response, distributor_id, report_reference.strip(), as_of, source, lines, rejected)


@router.get("/channel-inventory/reconciliation", operation_id="reconcile_channel_inventory")
def reconcile_channel_inventory(read: Reads, access: SellOutReader, distributor_id: Annotated[UUID, Query()],
                                flagged: Annotated[bool | None, Query(description="only lots with a variance")] = None,
                                ) -> ReconciliationOut:
    """Per lot, on the day of the distributor's latest inventory report: received − returned − reported sold =
    expected, against what it reported holding; a difference is flagged (sold and not reported, lost, diverted)."""
    reporting_for(read, access.scope, distributor_id)
    rows = reconciled.reconciliation(read, distributor_id)
    lots = [ReconciledLot(**{k: v for k, v in r.items() if k in ReconciledLot.model_fields}, flagged=r["variance"] != 0)
            for r in rows]
    return ReconciliationOut(distributor_id=distributor_id, as_of=rows[0]["as_of"] if rows else None,
                             report_reference=rows[0]["report_reference"] if rows else None,
                             lots=[lot for lot in lots if flagged is None or lot.flagged == flagged],
                             variances=sum(1 for lot in lots if lot.flagged))
