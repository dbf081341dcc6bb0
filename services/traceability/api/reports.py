"""Downloads: the regulator reports of a recall case (PDF or Excel), and a recall lookup's full answer as CSV or
Excel (every consignee and lot, not one page), for the people who work from spreadsheets.

Every CSV and Excel file is written by reports/documents.py, which neutralises text a spreadsheet would run as a
formula."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.traceability.api.lookup import one_question
from services.traceability.api.recall_models import At, LookupReader, RecallReader, case_number
from services.traceability.api.work import Work
from services.traceability.application import recall_cases
from services.traceability.queries.case_consignees import case_consignees, scope_lookups
from services.traceability.queries.lookup import lookup
from services.traceability.queries.master_data import products
from services.traceability.queries.merged import ALL_CONSIGNEES
from services.traceability.reports.documents import as_csv, as_pdf, as_xlsx
from services.traceability.reports.lookup_export import lookup_document, lookup_table
from services.traceability.reports.regulator import gtins_of, implementation_report, recall_event_report
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.platform.service_state import Reads

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
def download_recall_report(recall_id: UUID, report: Literal["event", "implementation"], read: Reads, uow: Work,
                           _: RecallReader, at: At = None,
                           format_: Annotated[Literal["pdf", "xlsx"], Query(alias="format")] = "pdf") -> Response:
    """`event`: the recall event report; `implementation`: notified vs to notify, recovered vs to recover."""
    case = recall_cases.recall(uow, recall_id)
    at = at or datetime.now(UTC)
    lookups = scope_lookups(read, case)
    consignees = case_consignees(lookups, case, at)
    items = products(read, gtins_of(lookups))
    if report == "event":
        document = recall_event_report(case, lookups, consignees, items, at)
    else:
        document = implementation_report(case, consignees, items, at)
    content = as_pdf(document) if format_ == "pdf" else as_xlsx(document)
    return _download(content, f"recall-{case_number(case)}-{report}", format_)


@router.get("/recalls/lookup/export", operation_id="export_recall_lookup", response_class=Response,
            responses=_described("csv", "xlsx"))
def export_recall_lookup(
        read: Reads, _: LookupReader,
        gtin: Annotated[GTINInput | None, Query()] = None,
        lot: Annotated[LotInput | None, Query()] = None,
        serial: Annotated[SerialInput | None, Query()] = None,
        format_: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv") -> Response:
    """The whole answer of `GET /recalls/lookup` (same parameters), one row per consignee and lot, with its UDI."""
    one_question(gtin, lot, serial)
    found = lookup(read, gtin=gtin, lot=lot, serial=serial, limit=ALL_CONSIGNEES)
    name = f"recall-lookup-{gtin or 'any'}-{lot or serial}"
    if format_ == "csv":
        return _download(as_csv(lookup_table(found)), name, "csv")
    return _download(as_xlsx(lookup_document(found)), name, "xlsx")
