"""Recall cases over HTTP: open (with level and scope), notify and hear back from consignees, follow the
deadline and effectiveness, close. Commands need the `recall_officer` role; anyone signed in may read.

`at` (a time with zone, default now) is the clock deadlines are judged against, so an officer can ask
"who will be overdue tomorrow morning" — and tests can drive overdue detection.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from services.traceability.api.recall_models import (
    Acknowledge, At, CloseRecall, Notify, OpenRecall, RecallApproval, RecallCommand, RecallOut, RecallReader, case_number, recall_out,
)
from services.traceability.api.work import Work
from services.traceability.application import recall_cases, recall_opening
from services.traceability.application.recall_opening import OpenedRecall
from services.traceability.domain.deadlines import ConsigneeStatus
from services.traceability.domain.recall import RecallCase
from services.traceability.queries import case_consignees, recall_lists
from services.traceability.queries.case_consignees import RecallConsignee
from shared.domain.gtin import GTINInput, LotInput
from shared.platform.api import REPLAYED, IdempotencyKey, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.read_models import ReadModels
from shared.platform.service_state import Reads

router = APIRouter(tags=["recall cases"])


class RecallRow(BaseModel):
    recall_id: UUID
    number: str
    title: str
    scheme: str
    level: int
    status: str
    decided_at: datetime
    notify_by: datetime
    closed_at: datetime | None
    consignees_notified: int
    consignees_acknowledged: int
    units_returned: int


class OverdueConsignee(BaseModel):
    recall_id: UUID
    number: str
    title: str
    level: int
    notify_by: datetime
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    quantity_outstanding: int


def answer(read: ReadModels, case: RecallCase, at: datetime | None = None,
           unknown_lots: list[dict[str, str]] = ()) -> RecallOut:
    """The case with its consignees live from the lineage, as of `at` (default now)."""
    at = at or datetime.now(UTC)
    return recall_out(case, case_consignees.recall_consignees(read, case, at), at, unknown_lots)


def opened(read: ReadModels, response: Response, result: OpenedRecall) -> RecallOut:
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return answer(read, result.case, unknown_lots=result.unknown_lots)


@router.post("/recalls", status_code=status.HTTP_201_CREATED, operation_id="open_recall", responses=REPLAYED)
def open_recall(body: OpenRecall, response: Response, meta: RecallCommand, uow: Work, read: Reads,
                idempotency_key: IdempotencyKey = None) -> RecallOut:
    """Open a recall case with the next recall number of its year (RC-2026-0001); inventory puts every lot in scope on
    hold (through the RecallOpened event). A lot traceability never saw received, assembled or shipped is refused
    (422 naming `lots[i].lot`) unless `allow_unknown_lots` is true; the answer then lists it in `unknown_lots`."""
    command_reason(body.reason, meta)
    return opened(read, response, recall_opening.open_recall(recall_opening.OpenRecall(
        recall_id=new_aggregate_id("recall", meta.actor, idempotency_key), title=body.title, scheme=body.scheme,
        level=body.level, reason=body.reason, decided_at=body.decided_at, lots=[r.model_dump() for r in body.lots],
        serials=[r.model_dump() for r in body.serials], allow_unknown_lots=body.allow_unknown_lots), uow))


@router.get("/recalls", operation_id="list_recalls")
def list_recalls(read: Reads, _: RecallReader, paging: Paging,
                 status_: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
                 level: Annotated[Literal[1, 2, 3] | None, Query()] = None,
                 gtin: Annotated[GTINInput | None, Query()] = None,
                 lot: Annotated[LotInput | None, Query()] = None) -> Page[RecallRow]:
    """Recall cases, newest decision first; `gtin`/`lot` find the cases whose scope names them."""
    return Page.of(RecallRow, recall_lists.recalls(read, recall_lists.RecallFilter(status_, level, gtin, lot), paging),
                   paging)


@router.get("/recalls/overdue", operation_id="list_overdue_consignees")
def list_overdue(read: Reads, uow: Work, _: RecallReader, paging: Paging, at: At = None) -> Page[OverdueConsignee]:
    """Consignees of open recalls not notified by their deadline, as of `at`: the officer's to-do list."""
    overdue = [OverdueConsignee(recall_id=case.id, number=case_number(case), title=case.title, level=case.level,
                                notify_by=case.notify_by, consignee_id=c.consignee_id, kind=c.kind, name=c.name,
                                region=c.region, quantity_outstanding=c.quantity_outstanding)
               for case, c in case_consignees.overdue(read, at or datetime.now(UTC),
                                                      lambda recall_id: uow.get(recall_id, RecallCase))]
    return Page(items=overdue[paging.offset:paging.offset + paging.limit], total=len(overdue), limit=paging.limit,
                offset=paging.offset)


@router.get("/recalls/{recall_id}", operation_id="get_recall")
def get_recall(recall_id: UUID, read: Reads, uow: Work, _: RecallReader, at: At = None) -> RecallOut:
    return answer(read, recall_cases.recall(uow, recall_id), at)


@router.get("/recalls/{recall_id}/consignees", operation_id="list_recall_consignees")
def list_recall_consignees(recall_id: UUID, read: Reads, uow: Work, _: RecallReader, paging: Paging,
                           at: At = None, status_: Annotated[ConsigneeStatus | None, Query(alias="status")] = None,
                           ) -> Page[RecallConsignee]:
    """Every consignee of the lots and serials in scope (kits and sell-out included), live from the lineage."""
    case = recall_cases.recall(uow, recall_id)
    chosen = [c for c in case_consignees.recall_consignees(read, case, at or datetime.now(UTC))
              if status_ is None or c.status == status_]
    return Page(items=chosen[paging.offset:paging.offset + paging.limit], total=len(chosen), limit=paging.limit,
                offset=paging.offset)


@router.post("/recalls/{recall_id}/notifications", operation_id="notify_recall_consignee")
def notify(recall_id: UUID, body: Notify, meta: RecallCommand, uow: Work, read: Reads) -> RecallOut:
    """Record that a consignee was told of the recall (a retry of the same notice changes nothing)."""
    return answer(read, recall_cases.notify_consignee(recall_cases.NotifyConsignee(
        recall_id=recall_id, consignee_id=body.consignee_id, notified_at=body.notified_at, method=body.method,
        note=body.note), uow))


@router.post("/recalls/{recall_id}/acknowledgements", operation_id="acknowledge_recall")
def acknowledge(recall_id: UUID, body: Acknowledge, meta: RecallCommand, uow: Work, read: Reads) -> RecallOut:
    return answer(read, recall_cases.record_acknowledgement(recall_cases.RecordAcknowledgement(
        recall_id=recall_id, consignee_id=body.consignee_id, acknowledged_at=body.acknowledged_at,
        acknowledged_by=body.acknowledged_by, note=body.note), uow))


@router.post("/recalls/{recall_id}/close", operation_id="request_recall_closure")
def request_closure(recall_id: UUID, body: CloseRecall, meta: RecallCommand, uow: Work, read: Reads) -> RecallOut:
    """Request the case's closure with a summary (four eyes: a second recall officer approves it, and until then the
    recall stays open and its stops hold). A new request replaces a pending one."""
    case = recall_cases.request_closure(recall_cases.RequestClosure(
        recall_id=recall_id, summary=body.summary, closed_at=body.closed_at, officer=meta.actor), uow)
    return answer(read, case)


@router.post("/recalls/{recall_id}/close/approval", operation_id="approve_recall_closure")
def approve_closure(recall_id: UUID, meta: RecallApproval, uow: Work, read: Reads) -> RecallOut:
    """Approve the requested closure (not the requester: 409 `four-eyes`): the case closes as requested, its
    effectiveness figures at the closing time recorded with it, and inventory lifts its stops."""
    case = recall_cases.close_recall(recall_cases.CloseRecall(recall_id=recall_id, officer=meta.actor), uow)
    return answer(read, case, case.closed_at)
