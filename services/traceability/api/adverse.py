"""Adverse events over HTTP: intake, the report deadline and what is overdue, submission to the regulator,
and opening a recall case from one. Commands need the `recall_officer` role."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.traceability.api.recalls import (
    AllowUnknownLots, At, LotIn, OpenRecall, RecallOfficer, RecallOut, SerialIn, app_of, master_data, open_case,
    recall_out, rules_as_problems, unknown_lots,
)
from services.traceability.domain.adverse import AdverseEvent
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Description, Name, Reason, Reference
from shared.domain.udi import UDIError, parse_udi
from shared.events.traceability import AdverseOutcome
from shared.platform.api import REPLAYED, CommandMeta, IdempotencyKey, command_reason
from shared.platform.auth import CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import invalid_field, not_found

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


def _event_or_404(request: Request, adverse_event_id: UUID) -> AdverseEvent:
    event = app_of(request).get_adverse_event(adverse_event_id)
    if event is None:
        raise not_found("Adverse event", adverse_event_id)
    return event


@router.post("/adverse-events", status_code=status.HTTP_201_CREATED, operation_id="report_adverse_event",
             responses=REPLAYED)
def report(body: ReportAdverseEvent, request: Request, response: Response, meta: CommandMeta, _: RecallOfficer,
           idempotency_key: IdempotencyKey = None) -> AdverseEventOut:
    adverse_event_id = new_aggregate_id("adverse-event", meta.actor, idempotency_key)
    with rules_as_problems():
        event, created = app_of(request).report_adverse_event(adverse_event_id, master_data(request),
                                                              **_identified(body))
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(event, None)


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


@router.get("/adverse-events", operation_id="list_adverse_events")
def list_adverse_events(request: Request, _: CurrentPrincipal, paging: Paging, at: At = None,
                        outcome: Annotated[AdverseOutcome | None, Query()] = None,
                        overdue: Annotated[bool | None, Query(description="true: unsubmitted past their deadline"
                                                                          " at `at`")] = None,
                        gtin: Annotated[GTINInput | None, Query()] = None) -> Page[AdverseEventRow]:
    """Adverse events, the earliest report deadline first."""
    at = at or datetime.now(UTC)
    late = "submitted_at IS NULL AND report_due_at < %s"
    rows, total = fetch_page(
        request.app.state.pool, f"{request.app.state.schema}.adverse_events", paging,
        order_by="report_due_at NULLS LAST, became_aware_at, adverse_event_id",
        where={"outcome = %s": outcome, "gtin = %s": gtin, late: at if overdue else None,
               f"NOT coalesce({late}, false)": at if overdue is False else None})
    return Page(items=[AdverseEventRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/adverse-events/{adverse_event_id}", operation_id="get_adverse_event")
def get_adverse_event(adverse_event_id: UUID, request: Request, _: CurrentPrincipal, at: At = None) -> AdverseEventOut:
    return _out(_event_or_404(request, adverse_event_id), at)


@router.post("/adverse-events/{adverse_event_id}/submission", operation_id="submit_adverse_event")
def submit(adverse_event_id: UUID, body: SubmitReport, request: Request, meta: CommandMeta,
           _: RecallOfficer) -> AdverseEventOut:
    """Record that the report reached the regulator (a retry of the same submission changes nothing)."""
    event = _event_or_404(request, adverse_event_id)
    with rules_as_problems():
        app_of(request).submit_adverse_event(event, body.submitted_at, body.regulator_reference)
    return _out(event, None)


@router.post("/adverse-events/{adverse_event_id}/recall", status_code=status.HTTP_201_CREATED,
             operation_id="open_recall_from_adverse_event", responses=REPLAYED)
def open_recall(adverse_event_id: UUID, body: RecallFromAdverseEvent, request: Request, response: Response,
                meta: CommandMeta, _: RecallOfficer, idempotency_key: IdempotencyKey = None) -> RecallOut:
    """Open a recall case from the adverse event (one per event); by default it recalls the event's lot."""
    event = _event_or_404(request, adverse_event_id)
    command_reason(body.reason, meta)
    lots = body.lots if body.lots is not None else ([LotIn(gtin=event.gtin, lot=event.lot)] if event.lot else [])
    opened = OpenRecall(title=body.title, scheme=body.scheme, level=body.level, reason=body.reason,
                        decided_at=body.decided_at, lots=lots, serials=body.serials,
                        allow_unknown_lots=body.allow_unknown_lots)
    case, created = open_case(request, new_aggregate_id("recall", meta.actor, idempotency_key), opened, event.id)
    if not created:
        response.status_code = status.HTTP_200_OK
    return recall_out(request, case, None, unknown_lots(request, case))
