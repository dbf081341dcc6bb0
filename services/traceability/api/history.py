"""Traceability HTTP API from the lot history: the recall lookup and a case's consignees as of a past time, and a
lot's EPCIS 2.0 export."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel

from services.traceability.api.recall_models import LookupReader, RecallReader
from services.traceability.api.work import Work
from services.traceability.application import recall_cases
from services.traceability.domain import epcis
from services.traceability.domain.deadlines import ConsigneeStatus, consignee_status
from services.traceability.queries.as_of import ConsigneeAsOf, RecallLookupAsOf, case_consignees_as_of, lookup_as_of_in
from services.traceability.queries.lot_story import lot_facts
from services.traceability.settings import TraceabilitySettings, traceability_settings
from shared.domain.gtin import GTINInput, LotInput
from shared.platform.paging import Paging
from shared.platform.service_state import Reads

router = APIRouter()


@router.get("/recalls/lookup/as-of", operation_id="recall_lookup_as_of", tags=["recalls"])
def recall_lookup_as_of_route(
        read: Reads, _: LookupReader, paging: Paging,
        gtin: Annotated[GTINInput, Query()],
        lot: Annotated[LotInput, Query()],
        at: Annotated[AwareDatetime, Query(description="RFC 3339 time with its zone, e.g. 2026-11-20T09:30:00+08:00")],
) -> RecallLookupAsOf:
    """The recall lookup as the event history stood at `at` (a recall's decision time, say): the consignees,
    units shipped, returned and outstanding, and the kit lots made from the lot, counting only what had been
    recorded by then. `at` now or later answers the same quantities as `GET /recalls/lookup`."""
    return lookup_as_of_in(read, gtin, lot, at, limit=paging.limit, offset=paging.offset)


@router.get("/lots/{gtin}/{lot}/epcis", operation_id="lot_epcis", tags=["recalls"], response_class=JSONResponse,
            responses={200: {"description": "an EPCIS 2.0 document (JSON-LD)",
                             "content": {epcis.MEDIA_TYPE: {"schema": {"type": "object"}}}}})
def lot_epcis(read: Reads, _: LookupReader, gtin: Annotated[GTINInput, Path()], lot: Annotated[LotInput, Path()],
              settings: Annotated[TraceabilitySettings, Depends(traceability_settings)]) -> JSONResponse:
    """The lot's events as an EPCIS 2.0 JSON-LD document, for a partner's traceability system to import:
    receipt (commissioning), shipments, deliveries (arriving), acceptances (accepting), returns and distributors'
    sell-outs as ObjectEvents; each kit assembly it went into or came out of as the kit lot's commissioning and an
    AssociationEvent (assembling). Lots and units are GS1 Digital Link URIs; places and parties
    `urn:erp-md:location:…` and `urn:erp-md:party:…`; eventTimeZoneOffset is the places' zone
    (TRACEABILITY_PLACE_TIME_ZONE, Asia/Shanghai by default)."""
    document = epcis.document(lot_facts(read, gtin, lot), datetime.now(UTC), settings.place_zone)
    return JSONResponse(document, media_type=epcis.MEDIA_TYPE)


class RecallConsigneeAsOf(ConsigneeAsOf):
    status: ConsigneeStatus  # as the case stood at `at`
    notified_at: datetime | None
    acknowledged_at: datetime | None


class RecallConsigneesAsOf(BaseModel):
    recall_id: UUID
    at: datetime
    case_version: int  # the case as it stood then: its events up to this version
    consignees: list[RecallConsigneeAsOf]


@router.get("/recalls/{recall_id}/consignees/as-of", operation_id="list_recall_consignees_as_of",
            tags=["recall cases"])
def list_recall_consignees_as_of(recall_id: UUID, read: Reads, uow: Work, _: RecallReader,
                                 at: Annotated[AwareDatetime, Query(description="a time with zone, e.g. the decision")],
                                 ) -> RecallConsigneesAsOf:
    """The consignees of the recalled lots (and kit lots) as the event history stood at `at` — who the officer
    could have known about at the decision, say — with each one's notice and acknowledgement as of then.
    Serialised units in scope are not part of this answer (the lot history keeps lots)."""
    case = recall_cases.recall_as_of(uow, recall_id, at)
    known = case_consignees_as_of(read, [(r["gtin"], r["lot"]) for r in case.scope_lots], at,
                                  [(r["gtin"], r["lot"]) for r in case.removed_lots])
    rows = [RecallConsigneeAsOf(**c.model_dump(), status=consignee_status(case, c.consignee_id, at),
                                notified_at=case.notified.get(str(c.consignee_id), {}).get("notified_at"),
                                acknowledged_at=case.acknowledged.get(str(c.consignee_id), {}).get("acknowledged_at"))
            for c in known]
    return RecallConsigneesAsOf(recall_id=recall_id, at=at, case_version=case.version, consignees=rows)
