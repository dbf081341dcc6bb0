"""Adverse events over HTTP: intake, the report deadline and what is overdue, submission to the regulator,
and opening a recall case from one (application/adverse_events.py). Commands need the `recall_officer` role."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.traceability.api.recall_models import (
    AllowUnknownLots, At, LotIn, RecallOfficerCommand, RecallOut, SerialIn,
)
from services.traceability.api.recalls import opened
from services.traceability.api.work import Work
from services.traceability.application import adverse_events
from services.traceability.domain.adverse import AdverseEvent
from services.traceability.queries import recall_lists
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Description, Name, Reason, Reference
from shared.domain.udi import UDIError, parse_udi
from shared.events.traceability import AdverseOutcome
from shared.platform.api import REPLAYED, IdempotencyKey, command_reason
from shared.platform.auth import CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.problems import invalid_field
from shared.platform.service_state import Reads

router = APIRouter(tags=["adverse events"])

ReportStatus = Literal["submitted", "submitted_late", "overdue", "due", "no_deadline"]


class ReportAdverseEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput | None = Field(None, description="required unless `udi` carries it (GS1)")
    lot: LotInput | None = None
    serial: SerialInput | None = None
    udi: str | None = Field(None, min_length=1, max_length=200,
                            description="the UDI as scanned or read from the label (GS1 or HIBC): its GTIN, lot and"
                                        " serial fill the fields left out, and must agree with those given")
    hospital_id: UUID | None = Field(None, description="a hospital registered in the channel")
    outcome: AdverseOutcome = Field(description="death: report within 7 days; serious_injury: 20 days;"
                                                " group_event: 12 hours (of becoming aware); other: no deadline")
    description: Description
    occurred_at: AwareDatetime | None = None
    became_aware_at: AwareDatetime


class SubmitReport(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    submitted_at: AwareDatetime
    regulator_reference: Reference


class RecallFromAdverseEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Name
    scheme: Literal["NMPA", "FDA"] = "NMPA"
    level: Literal[1, 2, 3]
    reason: Reason
    decided_at: AwareDatetime
    lots: list[LotIn] | None = Field(None, max_length=1000, description="default: the event's own lot")
    serials: list[SerialIn] = Field(default_factory=list, max_length=10000)
    allow_unknown_lots: AllowUnknownLots = False


class AdverseEventOut(BaseModel):
    adverse_event_id: UUID
    gtin: str
    lot: str | None
    serial: str | None
    udi: str | None
    hospital_id: UUID | None
    outcome: str
    description: str
    occurred_at: datetime | None
    became_aware_at: datetime
    report_due_at: datetime | None
    status: ReportStatus
    evaluated_at: datetime
    submitted_at: datetime | None
    regulator_reference: str | None
    recall_id: UUID | None
    version: int


class AdverseEventRow(BaseModel):
    adverse_event_id: UUID
    gtin: str
    lot: str | None
    outcome: str
    became_aware_at: datetime
    report_due_at: datetime | None
    submitted_at: datetime | None
    regulator_reference: str | None
    recall_id: UUID | None


def _out(event: AdverseEvent, at: datetime | None) -> AdverseEventOut:
    at = at or datetime.now(UTC)
    return AdverseEventOut(
        adverse_event_id=event.id, gtin=event.gtin, lot=event.lot, serial=event.serial, udi=event.udi,
        hospital_id=event.hospital_id, outcome=event.outcome, description=event.description,
        occurred_at=event.occurred_at, became_aware_at=event.became_aware_at, report_due_at=event.report_due_at,
        status=event.status(at), evaluated_at=at, submitted_at=event.submitted_at,
        regulator_reference=event.regulator_reference, recall_id=event.recall_id, version=event.version)


def _identified(body: ReportAdverseEvent) -> dict:
    """The report's fields with the device identified: what the UDI says, checked against what was typed."""
    fields = body.model_dump()
    if body.udi is not None:
        try:
            parsed = parse_udi(body.udi)
        except UDIError as error:
            raise invalid_field("udi", error.rule, error.message) from None
        for name in ("gtin", "lot", "serial"):
            read = getattr(parsed, name)
            if read is not None and fields[name] is not None and fields[name] != read:
                raise invalid_field(name, "matches-udi", f"{name} {fields[name]!r} differs from the UDI's {read!r}")
            fields[name] = fields[name] or read
    if fields["gtin"] is None:
        raise invalid_field("gtin", "gtin-required", "give the device's gtin, or a GS1 udi that carries it")
    return fields


@router.post("/adverse-events", status_code=status.HTTP_201_CREATED, operation_id="report_adverse_event",
             responses=REPLAYED)
def report(body: ReportAdverseEvent, response: Response, meta: RecallOfficerCommand, uow: Work,
           idempotency_key: IdempotencyKey = None) -> AdverseEventOut:
    event, created = adverse_events.report_adverse_event(adverse_events.ReportAdverseEvent(
        adverse_event_id=new_aggregate_id("adverse-event", meta.actor, idempotency_key), **_identified(body)), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(event, None)


@router.get("/adverse-events", operation_id="list_adverse_events")
def list_adverse_events(read: Reads, _: CurrentPrincipal, paging: Paging, at: At = None,
                        outcome: Annotated[AdverseOutcome | None, Query()] = None,
                        overdue: Annotated[bool | None, Query(description="true: unsubmitted past their deadline"
                                                                          " at `at`")] = None,
                        gtin: Annotated[GTINInput | None, Query()] = None) -> Page[AdverseEventRow]:
    """Adverse events, the earliest report deadline first."""
    where = recall_lists.AdverseEventFilter(at=at or datetime.now(UTC), outcome=outcome, overdue=overdue, gtin=gtin)
    return Page.of(AdverseEventRow, recall_lists.adverse_events(read, where, paging), paging)


@router.get("/adverse-events/{adverse_event_id}", operation_id="get_adverse_event")
def get_adverse_event(adverse_event_id: UUID, uow: Work, _: CurrentPrincipal, at: At = None) -> AdverseEventOut:
    return _out(adverse_events.adverse_event(uow, adverse_event_id), at)


@router.post("/adverse-events/{adverse_event_id}/submission", operation_id="submit_adverse_event")
def submit(adverse_event_id: UUID, body: SubmitReport, meta: RecallOfficerCommand, uow: Work) -> AdverseEventOut:
    """Record that the report reached the regulator (a retry of the same submission changes nothing)."""
    return _out(adverse_events.submit_adverse_event(adverse_events.SubmitAdverseEvent(
        adverse_event_id=adverse_event_id, submitted_at=body.submitted_at,
        regulator_reference=body.regulator_reference), uow), None)


@router.post("/adverse-events/{adverse_event_id}/recall", status_code=status.HTTP_201_CREATED,
             operation_id="open_recall_from_adverse_event", responses=REPLAYED)
def open_recall(adverse_event_id: UUID, body: RecallFromAdverseEvent, response: Response, meta: RecallOfficerCommand,
                uow: Work, read: Reads, idempotency_key: IdempotencyKey = None) -> RecallOut:
    """Open a recall case from the adverse event (one per event); by default it recalls the event's lot."""
    command_reason(body.reason, meta)
    return opened(read, response, adverse_events.open_recall_from_adverse_event(
        adverse_events.OpenRecallFromAdverseEvent(
            adverse_event_id=adverse_event_id, recall_id=new_aggregate_id("recall", meta.actor, idempotency_key),
            title=body.title, scheme=body.scheme, level=body.level, reason=body.reason, decided_at=body.decided_at,
            lots=None if body.lots is None else [r.model_dump() for r in body.lots],
            serials=[r.model_dump() for r in body.serials], allow_unknown_lots=body.allow_unknown_lots), uow))
