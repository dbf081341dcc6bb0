"""Downloads: the regulator reports of a recall case (PDF or Excel), and a recall lookup's full answer as CSV or
Excel (every consignee and lot, not one page), for the people who work from spreadsheets."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from services.traceability.api.recalls import At, case_or_404
from services.traceability.api.routes import lookup_or_422
from services.traceability.documents import Document, DocumentTable, as_csv, as_pdf, as_xlsx, udi_text
from services.traceability.queries import recall_lookup
from services.traceability.recall_view import ALL_CONSIGNEES, recall_consignees
from services.traceability.regulator_reports import implementation_report, recall_event_report
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.platform.auth import CurrentPrincipal

router = APIRouter(tags=["reports"])

MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(content: bytes, name: str, fmt: str) -> Response:
    # Header values are Latin-1: an ASCII file name, and the exact one (lots may hold any character) per RFC 6266.
    plain = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
    disposition = f"attachment; filename=\"{plain}.{fmt}\"; filename*=UTF-8''{quote(name)}.{fmt}"
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})


def _described(*formats: str) -> dict:
    return {200: {"description": "the document", "content": {MEDIA[f].split(";")[0]: {} for f in formats}}}


@router.get("/recalls/{recall_id}/reports/{report}", operation_id="download_recall_report",
            response_class=Response, responses=_described("pdf", "xlsx"))
def download_recall_report(recall_id: UUID, report: Literal["event", "implementation"], request: Request,
                           _: CurrentPrincipal, at: At = None,
                           format_: Annotated[Literal["pdf", "xlsx"], Query(alias="format")] = "pdf") -> Response:
    """`event`: the recall event report; `implementation`: notified vs to notify, recovered vs to recover."""
    case = case_or_404(request, recall_id)
    at = at or datetime.now(UTC)
    schema = request.app.state.schema
    with request.app.state.pool.connection() as conn:
        consignees = recall_consignees(conn, schema, case, at)
        if report == "event":
            lookups = [recall_lookup(conn, schema, gtin=r["gtin"], lot=r["lot"], limit=1) for r in case.lots]
            lookups += [recall_lookup(conn, schema, gtin=r["gtin"], serial=r["serial"], limit=1) for r in case.serials]
            document = recall_event_report(case, lookups, consignees, at)
        else:
            document = implementation_report(case, consignees, at)
    content = as_pdf(document) if format_ == "pdf" else as_xlsx(document)
    return _download(content, f"recall-{recall_id}-{report}", format_)


@router.get("/recalls/lookup/export", operation_id="export_recall_lookup", response_class=Response,
            responses=_described("csv", "xlsx"))
def export_recall_lookup(
        request: Request, _: CurrentPrincipal,
        gtin: Annotated[GTINInput | None, Query()] = None,
        lot: Annotated[LotInput | None, Query()] = None,
        serial: Annotated[SerialInput | None, Query()] = None,
        format_: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv") -> Response:
    """The whole answer of `GET /recalls/lookup` (same parameters), one row per consignee and lot, with its UDI."""
    lookup_or_422(gtin, lot, serial)
    with request.app.state.pool.connection() as conn:
        found = recall_lookup(conn, request.app.state.schema, gtin=gtin, lot=lot, serial=serial, limit=ALL_CONSIGNEES)
    table = DocumentTable("Consignees", ["consignee_id", "kind", "name", "region", "udi", "gtin", "lot", "expiry",
                                         "via", "quantity_shipped", "quantity_returned", "quantity_outstanding"])
    for c in found.consignees:
        for a in c.affected_lots:
            table.rows.append([str(c.consignee_id), c.kind, c.name, c.region,
                               udi_text(a.gtin, a.lot, a.expiry, serial), a.gtin, a.lot, a.expiry,
                               " > ".join(f"{v.gtin}/{v.lot}" for v in a.via), a.quantity_shipped,
                               a.quantity_returned, a.quantity_outstanding])
    name = f"recall-lookup-{gtin or 'any'}-{lot or serial}"
    if format_ == "csv":
        return _download(as_csv(table), name, "csv")
    document = Document("Recall lookup", [("gtin", gtin), ("lot", lot), ("serial", serial),
                                          ("consignees", found.total), ("units outstanding", found.quantity_outstanding)],
                        [table])
    return _download(as_xlsx(document), name, "xlsx")
