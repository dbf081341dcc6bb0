"""Recall cases over HTTP: open (with level and scope), notify and hear back from consignees, follow the
deadline and effectiveness, close. Commands need the `recall_officer` role; anyone signed in may read.

`at` (a time with zone, default now) is the clock deadlines are judged against, so an officer can ask
"who will be overdue tomorrow morning" — and tests can drive overdue detection.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.traceability.application import TraceabilityApplication
from services.traceability.queries import recall_lookup
from services.traceability.domain.master_data import unknown_scope_lots
from services.traceability.domain.recall import Effectiveness, RecallCase, RuleViolation, consignee_status
from services.traceability.history_queries import ConsigneeAsOf, consignees_as_of
from services.traceability.recall_view import (
    LEVEL_NAMES, ConsigneeStatus, EffectivenessOut, RecallConsignee, effectiveness, effectiveness_out,
    recall_consignees,
)
from services.traceability.master_data import CatalogueReader
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Description, Name, Note, Reason, ShortName
from shared.events.traceability import NotificationMethod, RecallScheme
from shared.platform.api import REPLAYED, CommandMeta, IdempotencyKey, command_reason
from shared.platform.auth import CurrentPrincipal, Principal, require_role
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import Problem, invalid_field, not_found, rule_violated

router = APIRouter(tags=["recall cases"])

RecallOfficer = Annotated[Principal, Depends(require_role("recall_officer"))]
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
    version: int


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


def app_of(request: Request) -> TraceabilityApplication:
    return request.app.state.application


def case_number(case: RecallCase) -> str:
    return case.number or str(case.id)


def recall_out(request: Request, case: RecallCase, at: datetime | None,
               unknown_lots: list[dict[str, str]] = ()) -> RecallOut:
    at = at or datetime.now(UTC)
    with request.app.state.pool.connection() as conn:
        consignees = recall_consignees(conn, request.app.state.schema, case, at)
    by_status: dict[str, int] = {}
    for c in {c.consignee_id: c for c in consignees}.values():  # one count per consignee, however many paths
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
        consignees_by_status=by_status,
        effectiveness=effectiveness_out(effectiveness(case, consignees)), closed_at=case.closed_at,
        summary=case.summary, effectiveness_at_closure=effectiveness_out(Effectiveness(**closure)) if closure else None,
        version=case.version)


def case_or_404(request: Request, recall_id: UUID) -> RecallCase:
    case = app_of(request).get_recall(recall_id)
    if case is None:
        raise not_found("Recall", recall_id)
    return case


@contextmanager
def rules_as_problems() -> Iterator[None]:
    """A rule the aggregate refused becomes its problem+json answer (nothing was stored)."""
    try:
        yield
    except RuleViolation as error:
        raise refused(error) from None


def refused(error: RuleViolation) -> Problem:
    if error.field is not None and error.rule in {"not-in-future", "after-decision", "after-notice", "scope-required",
                                                  "occurred-before-aware", "after-aware", "known-lot",
                                                  "registered-hospital", "in-recall-scope",
                                                  "scope-reduction-names-something"}:
        return invalid_field(error.field, error.rule, error.detail)
    return rule_violated(error.rule, error.detail)


@router.post("/recalls", status_code=status.HTTP_201_CREATED, operation_id="open_recall", responses=REPLAYED)
def open_recall(body: OpenRecall, request: Request, response: Response, meta: CommandMeta, _: RecallOfficer,
                idempotency_key: IdempotencyKey = None) -> RecallOut:
    """Open a recall case with the next recall number of its year (RC-2026-0001); inventory puts every lot in scope on
    hold (through the RecallOpened event). A lot traceability never saw received, assembled or shipped is refused
    (422 naming `lots[i].lot`) unless `allow_unknown_lots` is true; the answer then lists it in `unknown_lots`."""
    command_reason(body.reason, meta)
    case, created = open_case(request, new_aggregate_id("recall", meta.actor, idempotency_key), body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return recall_out(request, case, None, unknown_lots(request, case))


def master_data(request: Request) -> CatalogueReader:
    return CatalogueReader(request.app.state.pool, request.app.state.schema)


def unknown_lots(request: Request, case: RecallCase) -> list[dict[str, str]]:
    """The case's recalled lots traceability does not know (opened so deliberately), as it stands now."""
    return unknown_scope_lots(case.lots, master_data(request), allow_unknown=True)


def open_case(request: Request, recall_id: UUID, body: OpenRecall,
              adverse_event_id: UUID | None = None) -> tuple[RecallCase, bool]:
    """Open the case with the kit lots the lineage knows were made from its lots: they are recalled (and held) too."""
    lots = [r.model_dump() for r in body.lots]
    with request.app.state.pool.connection() as conn:
        kit_lots = [{"gtin": a.gtin, "lot": a.lot} for r in lots
                    for a in recall_lookup(conn, request.app.state.schema, gtin=r["gtin"], lot=r["lot"],
                                           limit=1).affected_lots if len(a.via) > 1]
    with rules_as_problems():
        return app_of(request).open_recall(
            recall_id, title=body.title, scheme=body.scheme, level=body.level, reason=body.reason,
            decided_at=body.decided_at, lots=lots, serials=[r.model_dump() for r in body.serials], kit_lots=kit_lots,
            adverse_event_id=adverse_event_id, master_data=master_data(request),
            allow_unknown_lots=body.allow_unknown_lots)


@router.get("/recalls", operation_id="list_recalls")
def list_recalls(request: Request, _: CurrentPrincipal, paging: Paging,
                 status_: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
                 level: Annotated[Literal[1, 2, 3] | None, Query()] = None,
                 gtin: Annotated[GTINInput | None, Query()] = None,
                 lot: Annotated[LotInput | None, Query()] = None) -> Page[RecallRow]:
    """Recall cases, newest decision first; `gtin`/`lot` find the cases whose scope names them."""
    schema = request.app.state.schema
    in_scope = f"recall_id IN (SELECT recall_id FROM {schema}.recall_scope WHERE {{}} = %s)"
    rows, total = fetch_page(request.app.state.pool, f"{schema}.recall_cases", paging,
                             order_by="decided_at DESC, recall_id",
                             where={"status = %s": status_, "level = %s": level,
                                    in_scope.format("gtin"): gtin, in_scope.format("lot"): lot})
    items = [RecallRow(**{**r, "number": r["number"] or str(r["recall_id"])}) for r in rows]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/recalls/overdue", operation_id="list_overdue_consignees")
def list_overdue(request: Request, _: CurrentPrincipal, paging: Paging, at: At = None) -> Page[OverdueConsignee]:
    """Consignees of open recalls not notified by their deadline, as of `at`: the officer's to-do list."""
    at = at or datetime.now(UTC)
    schema = request.app.state.schema
    with request.app.state.pool.connection() as conn:
        due = conn.execute(f"SELECT recall_id FROM {schema}.recall_cases WHERE status = 'open' AND notify_by < %s"
                           " ORDER BY notify_by, recall_id", (at,)).fetchall()
        overdue = []
        for row in due:
            case = app_of(request).get_recall(row["recall_id"])
            if case is None:
                continue
            overdue += [OverdueConsignee(recall_id=case.id, number=case_number(case), title=case.title, level=case.level,
                                         notify_by=case.notify_by, consignee_id=c.consignee_id, kind=c.kind,
                                         name=c.name, region=c.region, quantity_outstanding=c.quantity_outstanding)
                        for c in recall_consignees(conn, schema, case, at) if c.status == "overdue"]
    return Page(items=overdue[paging.offset:paging.offset + paging.limit], total=len(overdue), limit=paging.limit,
                offset=paging.offset)


@router.get("/recalls/{recall_id}", operation_id="get_recall")
def get_recall(recall_id: UUID, request: Request, _: CurrentPrincipal, at: At = None) -> RecallOut:
    return recall_out(request, case_or_404(request, recall_id), at)


@router.get("/recalls/{recall_id}/consignees", operation_id="list_recall_consignees")
def list_recall_consignees(recall_id: UUID, request: Request, _: CurrentPrincipal, paging: Paging, at: At = None,
                           status_: Annotated[ConsigneeStatus | None, Query(alias="status")] = None,
                           ) -> Page[RecallConsignee]:
    """Every consignee of the lots and serials in scope (kits and sell-out included), live from the lineage."""
    case = case_or_404(request, recall_id)
    with request.app.state.pool.connection() as conn:
        consignees = recall_consignees(conn, request.app.state.schema, case, at or datetime.now(UTC))
    chosen = [c for c in consignees if status_ is None or c.status == status_]
    return Page(items=chosen[paging.offset:paging.offset + paging.limit], total=len(chosen), limit=paging.limit,
                offset=paging.offset)


class RecallConsigneeAsOf(ConsigneeAsOf):
    status: ConsigneeStatus  # as the case stood at `at`
    notified_at: datetime | None
    acknowledged_at: datetime | None


class RecallConsigneesAsOf(BaseModel):
    recall_id: UUID
    at: datetime
    case_version: int  # the case as it stood then: its events up to this version
    consignees: list[RecallConsigneeAsOf]


@router.get("/recalls/{recall_id}/consignees/as-of", operation_id="list_recall_consignees_as_of")
def list_recall_consignees_as_of(recall_id: UUID, request: Request, _: CurrentPrincipal,
                                 at: Annotated[AwareDatetime, Query(description="a time with zone, e.g. the decision")],
                                 ) -> RecallConsigneesAsOf:
    """The consignees of the recalled lots (and kit lots) as the event history stood at `at` — who the officer
    could have known about at the decision, say — with each one's notice and acknowledgement as of then.
    Serialised units in scope are not part of this answer (the lot history keeps lots)."""
    case = _case_as_of(request, case_or_404(request, recall_id), at)
    with request.app.state.pool.connection() as conn:
        known = consignees_as_of(conn, request.app.state.schema, [(r["gtin"], r["lot"]) for r in case.scope_lots],
                                 at, excluded=[(r["gtin"], r["lot"]) for r in case.removed_lots])
    rows = [RecallConsigneeAsOf(**c.model_dump(), status=consignee_status(case, c.consignee_id, at),
                                notified_at=case.notified.get(str(c.consignee_id), {}).get("notified_at"),
                                acknowledged_at=case.acknowledged.get(str(c.consignee_id), {}).get("acknowledged_at"))
            for c in known]
    return RecallConsigneesAsOf(recall_id=recall_id, at=at, case_version=case.version, consignees=rows)


def _case_as_of(request: Request, case: RecallCase, at: datetime) -> RecallCase:
    application = app_of(request)
    known = [e.originator_version for e in map(application.mapper.to_domain_event,
                                                application.recorder.select_events(case.id)) if e.timestamp <= at]
    # Before the case was recorded (at its decision time, typically) its scope is still the question: as opened.
    return application.repository.get(case.id, version=max(known, default=1))


def _consignee_of_case(request: Request, case: RecallCase, consignee_id: UUID) -> None:
    with request.app.state.pool.connection() as conn:
        known = {c.consignee_id for c in recall_consignees(conn, request.app.state.schema, case, datetime.now(UTC))}
    if consignee_id not in known:
        raise rule_violated("consignee-of-recall", f"{consignee_id} received none of the recalled lots or serials",
                            field="consignee_id")


@router.post("/recalls/{recall_id}/notifications", operation_id="notify_recall_consignee")
def notify(recall_id: UUID, body: Notify, request: Request, meta: CommandMeta, _: RecallOfficer) -> RecallOut:
    """Record that a consignee was told of the recall (a retry of the same notice changes nothing)."""
    case = case_or_404(request, recall_id)
    _consignee_of_case(request, case, body.consignee_id)
    with rules_as_problems():
        app_of(request).notify_consignee(case, body.consignee_id, body.notified_at, body.method, body.note)
    return recall_out(request, case, None)


@router.post("/recalls/{recall_id}/acknowledgements", operation_id="acknowledge_recall")
def acknowledge(recall_id: UUID, body: Acknowledge, request: Request, meta: CommandMeta,
                _: RecallOfficer) -> RecallOut:
    case = case_or_404(request, recall_id)
    with rules_as_problems():
        app_of(request).acknowledge(case, body.consignee_id, body.acknowledged_at, body.acknowledged_by, body.note)
    return recall_out(request, case, None)


@router.post("/recalls/{recall_id}/close", operation_id="close_recall")
def close(recall_id: UUID, body: CloseRecall, request: Request, meta: CommandMeta, _: RecallOfficer) -> RecallOut:
    """Close the case with a summary; the effectiveness figures at that moment are recorded with it."""
    case = case_or_404(request, recall_id)
    closed_at = body.closed_at or datetime.now(UTC)
    with request.app.state.pool.connection() as conn:
        consignees = recall_consignees(conn, request.app.state.schema, case, closed_at)
    with rules_as_problems():
        app_of(request).close_recall(case, closed_at, body.summary, effectiveness(case, consignees))
    return recall_out(request, case, closed_at)
