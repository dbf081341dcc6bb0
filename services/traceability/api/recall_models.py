"""What the recall-case routes (recalls.py, scope.py, adverse.py) take and answer: lots and units named, the commands'
bodies, a case with its consignees by status and effectiveness, and the role the commands need."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.traceability.domain.consignees import Effectiveness, each_consignee_once, effectiveness
from services.traceability.domain.recall import LEVEL_NAMES, RecallCase
from services.traceability.queries.case_consignees import RecallConsignee
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Description, Name, Note, Reason, ShortName
from shared.events.traceability import NotificationMethod, RecallScheme
from shared.platform.access import COMPANY, permitted
from shared.platform.api import command_by

# Recall cases, scope reductions and adverse events are the recall officers' to change; anyone signed in may read.
# Recalls are the company's own case files, read and run unscoped by the people who need them (a hospital's or a
# distributor's user reads only the notices addressed to it).
RecallCommand = command_by("recall:manage", scope=COMPANY)
RecallApproval = command_by("recall:approve", scope=COMPANY)
RecallReader = permitted("recall:read", scope=COMPANY)
LookupReader = permitted("recall:lookup", scope=COMPANY)
At = Annotated[AwareDatetime | None, Query(description="judge deadlines at this time (with zone); default now")]


class LotIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput


class SerialIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    serial: SerialInput


AllowUnknownLots = Annotated[bool, Field(
    description="true: open the recall even for lots traceability never saw received, assembled or shipped (the"
                " answer lists them in `unknown_lots`); false (default): such a lot is refused, naming it")]


class OpenRecall(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Name
    scheme: RecallScheme = "NMPA"
    level: Literal[1, 2, 3] = Field(description="NMPA 一级/二级/三级 or FDA class I/II/III: notify within 1/3/7 days")
    reason: Reason
    decided_at: AwareDatetime = Field(description="when the recall was decided; the notification clock starts here")
    lots: list[LotIn] = Field(default_factory=list, max_length=1000)
    serials: list[SerialIn] = Field(default_factory=list, max_length=10000)
    allow_unknown_lots: AllowUnknownLots = False


class Notify(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    consignee_id: UUID
    notified_at: AwareDatetime
    method: NotificationMethod
    note: Note | None = None


class Acknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    consignee_id: UUID
    acknowledged_at: AwareDatetime
    acknowledged_by: ShortName = Field(description="the person at the consignee")
    note: Note | None = None


class CloseRecall(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    summary: Description
    closed_at: AwareDatetime | None = Field(None, description="default now")


class EffectivenessOut(BaseModel):
    consignees_to_notify: int
    consignees_notified: int
    consignees_acknowledged: int
    units_to_recover: int
    units_recovered: int
    notified_share: float
    acknowledged_share: float
    recovered_share: float


def effectiveness_out(e: Effectiveness) -> EffectivenessOut:
    return EffectivenessOut(**e.as_dict(), notified_share=e.share(e.consignees_notified, e.consignees_to_notify),
                            acknowledged_share=e.share(e.consignees_acknowledged, e.consignees_to_notify),
                            recovered_share=e.share(e.units_recovered, e.units_to_recover))


class ClosureRequestOut(BaseModel):
    closed_at: datetime
    summary: str
    requested_by: str


class RecallOut(BaseModel):
    recall_id: UUID
    number: str = Field(description="the human recall number (RC-2026-0001); a case opened before recalls were"
                                    " numbered shows its id")
    title: str
    scheme: str
    level: int
    level_name: str
    status: Literal["open", "closed"]
    reason: str
    decided_at: datetime
    notify_by: datetime
    lots: list[LotIn] = Field(description="the recalled lots still in scope")
    serials: list[SerialIn] = Field(description="the recalled units still in scope")
    kit_lots: list[LotIn] = Field(description="kit lots made from a recalled lot, still in scope")
    removed_lots: list[LotIn] = Field(description="lots taken out of scope by approved reductions")
    removed_serials: list[SerialIn] = Field(description="units taken out of scope by approved reductions")
    pending_scope_reductions: int = Field(description="proposals waiting for a second recall officer")
    unknown_lots: list[LotIn] = Field(default_factory=list, description="in the answer to the opening: its lots"
                                                                        " traceability does not know (allowed by"
                                                                        " allow_unknown_lots)")
    adverse_event_id: UUID | None
    evaluated_at: datetime
    consignees_by_status: dict[str, int]
    effectiveness: EffectivenessOut
    closed_at: datetime | None
    summary: str | None
    effectiveness_at_closure: EffectivenessOut | None
    closure_requested: ClosureRequestOut | None = Field(None, description="a closure waiting for a second officer")
    closed_by: dict[str, str | None] | None = Field(None, description="requested_by and approved_by of the closure")
    version: int


def case_number(case: RecallCase) -> str:
    return case.number or str(case.id)


def recall_out(case: RecallCase, consignees: list[RecallConsignee], at: datetime,
               unknown_lots: list[dict[str, str]] = ()) -> RecallOut:
    """The case with its consignees (as of `at`) counted by status, each consignee once."""
    by_status: dict[str, int] = {}
    for c in each_consignee_once(consignees):
        by_status[c.status] = by_status.get(c.status, 0) + 1
    closure = case.effectiveness_at_closure
    in_scope = case.scope_lots
    return RecallOut(
        recall_id=case.id, number=case_number(case), title=case.title, scheme=case.scheme, level=case.level,
        level_name=LEVEL_NAMES[case.scheme][case.level], status=case.status, reason=case.reason,
        decided_at=case.decided_at, notify_by=case.notify_by, lots=[r for r in case.lots if r in in_scope],
        serials=case.scope_serials, kit_lots=[r for r in case.kit_lots if r in in_scope],
        removed_lots=case.removed_lots, removed_serials=case.removed_serials,
        pending_scope_reductions=sum(p["status"] == "pending" for p in case.proposals.values()),
        unknown_lots=list(unknown_lots), adverse_event_id=case.adverse_event_id, evaluated_at=at,
        consignees_by_status=by_status, effectiveness=effectiveness_out(effectiveness(consignees)),
        closed_at=case.closed_at, summary=case.summary,
        effectiveness_at_closure=effectiveness_out(Effectiveness(**closure)) if closure else None,
        closure_requested=ClosureRequestOut(**case.pending_closure) if case.pending_closure else None,
        closed_by=getattr(case, "closed_by", None), version=case.version)
