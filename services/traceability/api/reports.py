"""Downloads: the regulator reports of a recall case (PDF or Excel), and a recall lookup's full answer as CSV or
Excel (every consignee and lot, not one page), for the people who work from spreadsheets.

Every CSV and Excel file is written by documents.py, which neutralises text a spreadsheet would run as a formula."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from services.traceability.api.recalls import At, case_number, case_or_404
from services.traceability.api.routes import lookup_or_422
from services.traceability.documents import Document, DocumentTable, as_csv, as_pdf, as_xlsx, udi_text
from services.traceability.holdings import held, sold_on, sold_on_per_lot
from services.traceability.master_data import products
from services.traceability.queries import RecallLookup, recall_lookup
from services.traceability.recall_view import ALL_CONSIGNEES, case_consignees, scope_lookups
from services.traceability.regulator_reports import contact_text, implementation_report, recall_event_report
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.platform.auth import CurrentPrincipal

router = APIRouter(tags=["reports"])

MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(content: bytes, name: str, fmt: str) -> Response:
    # Header values are Latin-1: an ASCII file name, and the exact one per RFC 6266, every reserved character encoded
    # (a lot may hold quotes, semicolons, percent signs and slashes).
    plain = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
    disposition = f"attachment; filename=\"{plain}.{fmt}\"; filename*=UTF-8''{quote(name, safe='')}.{fmt}"
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
        lookups = scope_lookups(conn, schema, case)
        consignees = case_consignees(lookups, case, at)
        items = products(conn, schema, gtins_of(lookups))
    if report == "event":
        document = recall_event_report(case, lookups, consignees, items, at)
    else:
        document = implementation_report(case, consignees, items, at)
    content = as_pdf(document) if format_ == "pdf" else as_xlsx(document)
    return _download(content, f"recall-{case_number(case)}-{report}", format_)


def gtins_of(lookups: list[RecallLookup]) -> list[str]:
    """The items the lookups reach, in the order they first appear."""
    found = [a.gtin for lookup in lookups for a in lookup.affected_lots]
    return list(dict.fromkeys(found + [lookup.gtin for lookup in lookups if lookup.serial]))


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
    name = f"recall-lookup-{gtin or 'any'}-{lot or serial}"
    if format_ == "csv":
        return _download(as_csv(lookup_table(found)), name, "csv")
    return _download(as_xlsx(lookup_document(found)), name, "xlsx")


LOOKUP_COLUMNS = ["consignee_id", "kind", "name", "region", "contact", "via_distributor_id", "via_distributor", "udi",
                  "gtin", "lot", "expiry", "via", "quantity_shipped", "quantity_returned", "quantity_outstanding",
                  "quantity_sold_on", "quantity_held"]


def lookup_table(found: RecallLookup) -> DocumentTable:
    """One row per consignee (and path) and lot, with the lookup's fields; `quantity_held` counts each unit once,
    where it is now (a distributor's units sold on are on the hospitals' rows), so it sums to the outstanding."""
    table = DocumentTable("Consignees", list(LOOKUP_COLUMNS))
    sold = sold_on_per_lot(found.consignees)
    for c in found.consignees:
        through = c.via_distributor
        for a in c.affected_lots:
            table.rows.append([str(c.consignee_id), c.kind, c.name, c.region, contact_text(c.contact),
                               str(through.consignee_id) if through else None, through.name if through else None,
                               udi_text(a.gtin, a.lot, a.expiry, found.serial), a.gtin, a.lot, a.expiry,
                               " > ".join(f"{v.gtin}/{v.lot}" for v in a.via), a.quantity_shipped,
                               a.quantity_returned, a.quantity_outstanding, sold_on(c, a, sold), held(c, a, sold)])
    return table


def lookup_document(found: RecallLookup) -> Document:
    return Document("Recall lookup", [("gtin", found.gtin), ("lot", found.lot), ("serial", found.serial),
                                      ("consignees", found.total), ("units shipped", found.quantity_shipped),
                                      ("units outstanding", found.quantity_outstanding)],
                    [lookup_table(found)])
