"""Traceability HTTP API from the lot history: the recall lookup as of a past time, and a lot's EPCIS 2.0 export."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from services.traceability.domain import epcis
from services.traceability.history_queries import RecallLookupAsOf, lookup_as_of, lot_facts
from shared.domain.gtin import GTINInput, LotInput
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Paging
from shared.platform.problems import not_found

router = APIRouter(tags=["recalls"])

@router.get("/recalls/lookup/as-of", operation_id="recall_lookup_as_of")
def recall_lookup_as_of_route(
        request: Request, _: CurrentPrincipal, paging: Paging,
        gtin: Annotated[GTINInput, Query()],
        lot: Annotated[LotInput, Query()],
        at: Annotated[AwareDatetime, Query(description="RFC 3339 time with its zone, e.g. 2026-11-20T09:30:00+08:00")],
) -> RecallLookupAsOf:
    """The recall lookup as the event history stood at `at` (a recall's decision time, say): the consignees,
    units shipped, returned and outstanding, and the kit lots made from the lot, counting only what had been
    recorded by then. `at` now or later answers the same quantities as `GET /recalls/lookup`."""
    with request.app.state.pool.connection() as conn:
        return lookup_as_of(conn, request.app.state.schema, gtin, lot, at, limit=paging.limit, offset=paging.offset)


@router.get("/lots/{gtin}/{lot}/epcis", operation_id="lot_epcis", response_class=JSONResponse,
            responses={200: {"description": "an EPCIS 2.0 document (JSON-LD)",
                             "content": {epcis.MEDIA_TYPE: {"schema": {"type": "object"}}}}})
def lot_epcis(request: Request, _: CurrentPrincipal, gtin: Annotated[GTINInput, Path()],
              lot: Annotated[LotInput, Path()]) -> JSONResponse:
    """The lot's events as an EPCIS 2.0 JSON-LD document, for a partner's traceability system to import:
    receipt (commissioning), shipments, deliveries, acceptances and returns as ObjectEvents, kit assemblies it
    went into or came out of as TransformationEvents. Lots and units are GS1 Digital Link URIs."""
    with request.app.state.pool.connection() as conn:
        facts = lot_facts(conn, request.app.state.schema, gtin, lot)
    if not facts:
        raise not_found("Lot", f"{gtin}/{lot}")
    return JSONResponse(epcis.document(facts, datetime.now(UTC)), media_type=epcis.MEDIA_TYPE)
