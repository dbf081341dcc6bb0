"""The ledger export (凭证导出, application/ledger.py): a month's journal as a file for the accounting system,
marked exported; again only on purpose, with a reason."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from services.billing.application import BillingUnitOfWork, ledger
from services.billing.documents import ledger_file
from shared.domain.text import Reason
from shared.platform.access import COMPANY
from shared.platform.api import command_by, command_reason
from shared.platform.service_state import unit_of_work

router = APIRouter(tags=["ledger"])
Work = Annotated[BillingUnitOfWork, Depends(unit_of_work)]
LedgerCommand = command_by("ledger:export", scope=COMPANY)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LedgerExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the month, YYYY-MM")
    format: Literal["csv", "xlsx"] = "xlsx"
    again: bool = Field(False, description="export a month exported before, on purpose (with a reason)")
    reason: Reason | None = None


@router.post("/ledger-exports", operation_id="export_ledger", response_class=Response, responses={
    200: {"content": {"text/csv": {}, XLSX: {}}, "description": "the month's vouchers"}})
def export_ledger(body: LedgerExportIn, meta: LedgerCommand, uow: Work) -> Response:
    """The month's journal — invoices, credit notes in red, payments, reversals — as vouchers in the 金蝶/用友 import
    layout. The month is marked exported; again, it is a 409 `ledger-period-exported` unless `again` with a
    reason. A journal that does not balance is refused (409 `ledger-balanced`)."""
    reason = command_reason(body.reason, meta, required=body.again)
    exported = ledger.export_ledger(ledger.ExportLedger(period=body.period, again=body.again, reason=reason), uow)
    last = exported.period.exports[-1]
    headers = {"Content-Disposition": f'attachment; filename="ledger-{body.period}.{body.format}"',
               "X-Ledger-Digest": last["digest"], "X-Ledger-Exports": str(len(exported.period.exports))}
    if body.format == "csv":
        return Response(ledger_file.as_csv_bytes(exported.rows), media_type="text/csv; charset=utf-8",
                        headers=headers)
    return Response(ledger_file.as_xlsx(exported.rows, body.period), media_type=XLSX, headers=headers)
