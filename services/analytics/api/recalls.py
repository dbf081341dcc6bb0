"""Recall and adverse-event status for the dashboards: open recalls by level and those past their notification
deadline, how far each case got; adverse events awaiting submission to the regulator and those past their reporting
deadline. Company data, for those who read recalls (and adverse events)."""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.analytics import queries
from shared.platform.access import COMPANY, permitted
from shared.platform.paging import Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["recall status"])
RecallReader = permitted("recall:read", scope=COMPANY)
AdverseReader = permitted("adverse-event:read", scope=COMPANY)
Outcome = Literal["death", "serious_injury", "group_event", "other"]


class RecallLevel(BaseModel):
    level: int = Field(description="1 is the most serious (NMPA 一级, FDA class I)")
    open: int
    past_deadline: int = Field(description="open, and the notification deadline has passed")
    closed: int
    units_returned: int


class AdverseOutcomeFigures(BaseModel):
    outcome: Outcome
    open: int = Field(description="not yet submitted to the regulator")
    overdue: int = Field(description="not submitted, past the reporting deadline")
    submitted: int


class RecallSummary(BaseModel):
    as_of: datetime
    recalls: list[RecallLevel]
    adverse_events: list[AdverseOutcomeFigures]


@router.get("/recall-status", operation_id="recall_status")
def recall_status(read: Reads, access: RecallReader) -> RecallSummary:
    now = datetime.now(UTC)
    found = queries.recall_summary(read, now)
    return RecallSummary(as_of=now, recalls=[RecallLevel(**r) for r in found["recalls"]],
                         adverse_events=[AdverseOutcomeFigures(**a) for a in found["adverse_events"]])


class RecallCase(BaseModel):
    recall_id: UUID
    number: str | None
    title: str
    scheme: str
    level: int
    decided_at: datetime
    notify_by: datetime
    status: Literal["open", "closure_requested", "closed"]
    closed_at: datetime | None
    notified: int = Field(description="consignees notified")
    acknowledged: int
    units_returned: int
    consignees_to_notify: int | None = Field(description="at closure (live: traceability's case)")
    units_to_recover: int | None = Field(description="at closure")
    past_deadline: bool


class RecallCases(BaseModel):
    items: list[RecallCase]
    total: int
    limit: int
    offset: int


@router.get("/recall-status/cases", operation_id="recall_status_cases")
def recall_status_cases(read: Reads, access: RecallReader, paging: Paging,
                        status: Literal["open", "closure_requested", "closed"] | None = None,
                        level: Annotated[int | None, Query(ge=1, le=3)] = None) -> RecallCases:
    """Each recall, open ones first by deadline."""
    now = datetime.now(UTC)
    rows, total = queries.recall_cases(read, status, level, paging)
    return RecallCases(items=[RecallCase(**r, past_deadline=r["status"] != "closed" and r["notify_by"] < now)
                              for r in rows], total=total, limit=paging.limit, offset=paging.offset)


class AdverseEventRow(BaseModel):
    adverse_event_id: UUID
    gtin: str
    item_name: str | None
    lot: str | None
    hospital_id: UUID | None
    hospital_name: str | None
    outcome: Outcome
    became_aware_at: datetime
    report_due_at: datetime | None
    submitted_at: datetime | None
    recall_id: UUID | None
    overdue: bool


class AdverseEventRows(BaseModel):
    items: list[AdverseEventRow]
    total: int
    limit: int
    offset: int


@router.get("/adverse-event-status", operation_id="adverse_event_status")
def adverse_event_status(read: Reads, access: AdverseReader, paging: Paging, outcome: Outcome | None = None,
                         open_only: Annotated[bool, Query(alias="open", description="only those not yet submitted")]
                         = False,
                         ) -> AdverseEventRows:
    """Adverse events, those awaiting submission first by reporting deadline."""
    now = datetime.now(UTC)
    rows, total = queries.adverse_events(read, outcome, open_only, paging)
    return AdverseEventRows(items=[AdverseEventRow(**r, overdue=r["submitted_at"] is None and r["report_due_at"]
                                                   is not None and r["report_due_at"] < now) for r in rows],
                            total=total, limit=paging.limit, offset=paging.offset)
