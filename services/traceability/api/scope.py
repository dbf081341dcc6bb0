"""Reducing a recall's scope, four eyes: a recall officer proposes taking lots (kit lots included) or units out of
an open case with a reason; a different recall officer approves it, or someone rejects it. Approved, the lots and
units leave the case's consignee list, reports and the open scope inventory stops (RecallScopeReduced)."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.traceability.api.recalls import (
    LotIn, RecallOfficer, SerialIn, app_of, case_number, case_or_404, rules_as_problems,
)
from services.traceability.domain.recall import RecallCase
from shared.domain.text import Reason
from shared.platform.api import REPLAYED, CommandMeta, IdempotencyKey, command_reason
from shared.platform.auth import CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.problems import not_found

router = APIRouter(tags=["recall cases"])


class ProposeScopeReduction(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    lots: list[LotIn] = Field(default_factory=list, max_length=1000,
                              description="lots or kit lots in the case's scope to take out")
    serials: list[SerialIn] = Field(default_factory=list, max_length=10000,
                                    description="units in the case's scope to take out")
    reason: Reason


class RejectScopeReduction(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Reason


class ScopeReductionOut(BaseModel):
    proposal_id: UUID
    recall_id: UUID
    recall_number: str
    lots: list[LotIn]
    serials: list[SerialIn]
    reason: str
    proposed_by: str
    status: Literal["pending", "approved", "rejected"]
    decided_by: str | None = Field(description="who approved or rejected it")
    rejection_reason: str | None
    case_version: int


def _out(case: RecallCase, proposal_id: UUID) -> ScopeReductionOut:
    p = case.proposals[str(proposal_id)]
    return ScopeReductionOut(proposal_id=p["proposal_id"], recall_id=case.id, recall_number=case_number(case),
                             lots=p["lots"], serials=p["serials"], reason=p["reason"], proposed_by=p["proposed_by"],
                             status=p["status"], decided_by=p["decided_by"], rejection_reason=p["decision_reason"],
                             case_version=case.version)


def _proposal_or_404(case: RecallCase, proposal_id: UUID) -> None:
    if str(proposal_id) not in case.proposals:
        raise not_found("Scope reduction", proposal_id)


@router.post("/recalls/{recall_id}/scope-reductions", status_code=status.HTTP_201_CREATED,
             operation_id="propose_recall_scope_reduction", responses=REPLAYED)
def propose(recall_id: UUID, body: ProposeScopeReduction, request: Request, response: Response, meta: CommandMeta,
            _: RecallOfficer, idempotency_key: IdempotencyKey = None) -> ScopeReductionOut:
    """Propose taking lots or units out of the open case's scope; a second recall officer must approve it."""
    case = case_or_404(request, recall_id)
    command_reason(body.reason, meta)
    proposal_id = new_aggregate_id(f"recall-scope-reduction:{recall_id}", meta.actor, idempotency_key)
    with rules_as_problems():
        created = app_of(request).propose_scope_reduction(
            case, proposal_id, [r.model_dump() for r in body.lots], [r.model_dump() for r in body.serials],
            body.reason)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(case, proposal_id)


@router.get("/recalls/{recall_id}/scope-reductions", operation_id="list_recall_scope_reductions")
def list_proposals(recall_id: UUID, request: Request, _: CurrentPrincipal) -> list[ScopeReductionOut]:
    """Every proposal made for the case, in the order they were made, with what became of it."""
    case = case_or_404(request, recall_id)
    return [_out(case, UUID(key)) for key in case.proposals]


@router.post("/recalls/{recall_id}/scope-reductions/{proposal_id}/approval",
             operation_id="approve_recall_scope_reduction")
def approve(recall_id: UUID, proposal_id: UUID, request: Request, meta: CommandMeta,
            _: RecallOfficer) -> ScopeReductionOut:
    """Approve another officer's proposal: its lots and units leave the scope (a 409 for the proposer)."""
    case = case_or_404(request, recall_id)
    _proposal_or_404(case, proposal_id)
    with rules_as_problems():
        app_of(request).approve_scope_reduction(case, proposal_id)
    return _out(case, proposal_id)


@router.post("/recalls/{recall_id}/scope-reductions/{proposal_id}/rejection",
             operation_id="reject_recall_scope_reduction")
def reject(recall_id: UUID, proposal_id: UUID, body: RejectScopeReduction, request: Request, meta: CommandMeta,
           _: RecallOfficer) -> ScopeReductionOut:
    """Turn the proposal down, with a reason; the scope stays as it was."""
    case = case_or_404(request, recall_id)
    _proposal_or_404(case, proposal_id)
    command_reason(body.reason, meta)
    with rules_as_problems():
        app_of(request).reject_scope_reduction(case, proposal_id, body.reason)
    return _out(case, proposal_id)
