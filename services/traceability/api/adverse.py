"""Adverse events over HTTP: intake, the report deadline and what is overdue, submission to the regulator,
and opening a recall case from one (application/adverse_events.py). Commands need the `recall_officer` role."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from services.traceability.api.adverse_models import (
    AdverseEventOut, AdverseEventRow, RecallFromAdverseEvent, ReportAdverseEvent, SubmitReport, adverse_out, identified,
)
from services.traceability.api.recall_models import At, RecallOut
from shared.platform.access import COMPANY, permitted
from shared.platform.api import command_by
from services.traceability.api.recalls import opened
from services.traceability.api.work import Work
from services.traceability.application import adverse_events
from services.traceability.queries import recall_lists
from shared.domain.gtin import GTINInput
from shared.events.traceability import AdverseOutcome
from shared.platform.api import REPLAYED, IdempotencyKey, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["adverse events"])

# Adverse events are reported by quality (or the recall officer) and handled by them: company data, unscoped.
ReportCommand = command_by("adverse-event:report", scope=COMPANY)
AdverseEventCommand = command_by("adverse-event:manage", scope=COMPANY)
AdverseEventReader = permitted("adverse-event:read", scope=COMPANY)


@router.post("/adverse-events", status_code=status.HTTP_201_CREATED, operation_id="report_adverse_event",
             responses=REPLAYED)
def report(body: ReportAdverseEvent, response: Response, meta: ReportCommand, uow: Work,
           idempotency_key: IdempotencyKey = None) -> AdverseEventOut:
    event, created = adverse_events.report_adverse_event(adverse_events.ReportAdverseEvent(
        adverse_event_id=new_aggregate_id("adverse-event", meta.actor, idempotency_key), **identified(body)), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return adverse_out(event, None)


@router.get("/adverse-events", operation_id="list_adverse_events")
def list_adverse_events(read: Reads, _: AdverseEventReader, paging: Paging, at: At = None,
                        outcome: Annotated[AdverseOutcome | None, Query()] = None,
                        overdue: Annotated[bool | None, Query(description="true: unsubmitted past their deadline"
                                                                          " at `at`")] = None,
                        gtin: Annotated[GTINInput | None, Query()] = None) -> Page[AdverseEventRow]:
    """Adverse events, the earliest report deadline first."""
    where = recall_lists.AdverseEventFilter(at=at or datetime.now(UTC), outcome=outcome, overdue=overdue, gtin=gtin)
    return Page.of(AdverseEventRow, recall_lists.adverse_events(read, where, paging), paging)


@router.get("/adverse-events/{adverse_event_id}", operation_id="get_adverse_event")
def get_adverse_event(adverse_event_id: UUID, uow: Work, _: AdverseEventReader, at: At = None) -> AdverseEventOut:
    return adverse_out(adverse_events.adverse_event(uow, adverse_event_id), at)


@router.post("/adverse-events/{adverse_event_id}/submission", operation_id="submit_adverse_event")
def submit(adverse_event_id: UUID, body: SubmitReport, meta: AdverseEventCommand, uow: Work) -> AdverseEventOut:
    """Record that the report reached the regulator (a retry of the same submission changes nothing)."""
    return adverse_out(adverse_events.submit_adverse_event(adverse_events.SubmitAdverseEvent(
        adverse_event_id=adverse_event_id, submitted_at=body.submitted_at,
        regulator_reference=body.regulator_reference), uow), None)


@router.post("/adverse-events/{adverse_event_id}/recall", status_code=status.HTTP_201_CREATED,
             operation_id="open_recall_from_adverse_event", responses=REPLAYED)
def open_recall(adverse_event_id: UUID, body: RecallFromAdverseEvent, response: Response, meta: AdverseEventCommand,
                uow: Work, read: Reads, idempotency_key: IdempotencyKey = None) -> RecallOut:
    """Open a recall case from the adverse event (one per event); by default it recalls the event's lot."""
    command_reason(body.reason, meta)
    return opened(read, response, adverse_events.open_recall_from_adverse_event(
        adverse_events.OpenRecallFromAdverseEvent(
            adverse_event_id=adverse_event_id, recall_id=new_aggregate_id("recall", meta.actor, idempotency_key),
            title=body.title, scheme=body.scheme, level=body.level, reason=body.reason, decided_at=body.decided_at,
            lots=None if body.lots is None else [r.model_dump() for r in body.lots],
            serials=[r.model_dump() for r in body.serials], allow_unknown_lots=body.allow_unknown_lots), uow))
