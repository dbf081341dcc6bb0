"""Traceability HTTP API: which consignees received a lot (or a serialised unit), how many units are still out,
and every kit lot made from it."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.traceability.domain.lineage import AmbiguousLookup, lookup_kind
from services.traceability.queries import AffectedLot, ConsigneeOut, LotRef, RecallLookup, ShipmentOut, recall_lookup
from shared.domain.gtin import GTINInput
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Paging
from shared.platform.problems import invalid_field

router = APIRouter(tags=["recalls"])

__all__ = ["AffectedLot", "ConsigneeOut", "LotRef", "RecallLookup", "ShipmentOut", "router"]


@router.get("/recalls/lookup", operation_id="recall_lookup")
def recall_lookup_route(
        request: Request, _: CurrentPrincipal, paging: Paging,
        gtin: Annotated[GTINInput | None, Query()] = None,
        lot: Annotated[str | None, Query(min_length=1, max_length=20, description="lot number, AI (10)")] = None,
        serial: Annotated[str | None, Query(min_length=1, max_length=20, description="serial number, AI (21)")] = None,
) -> RecallLookup:
    """`gtin`+`lot`: one lot; `lot` alone: that lot number under every GTIN; `gtin`+`serial`: one unit.

    A lot's answer also covers every kit lot assembled from it, transitively (`affected_lots`, each with the
    path `via` which it was reached); consignees are paged (`limit`, `offset`, `total`), most units first.
    """
    try:
        lookup_kind(gtin, lot, serial)
    except AmbiguousLookup as error:
        raise invalid_field("lot" if serial is None else "serial", "recall-lookup-parameters", str(error)) from None
    with request.app.state.pool.connection() as conn:
        return recall_lookup(conn, request.app.state.schema, gtin=gtin, lot=lot, serial=serial,
                             limit=paging.limit, offset=paging.offset)
