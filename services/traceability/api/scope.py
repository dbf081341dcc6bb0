"""Reducing a recall's scope over HTTP, four eyes: a recall officer proposes taking lots or units out of an open case
with a reason; a different one approves it, or someone rejects it (application/scope_reductions.py)."""

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.traceability.api.recall_models import (
    LotIn, RecallApproval, RecallCommand, RecallReader, SerialIn, case_number,
)
from services.traceability.api.work import Work
from services.traceability.application import recall_cases, scope_reductions
from services.traceability.domain.recall import RecallCase
from shared.domain.text import Reason
from shared.platform.api import REPLAYED, IdempotencyKey, command_reason
from shared.platform.idempotency import new_aggregate_id

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


@router.post("/recalls/{recall_id}/scope-reductions", status_code=status.HTTP_201_CREATED,
             operation_id="propose_recall_scope_reduction", responses=REPLAYED)
def propose(recall_id: UUID, body: ProposeScopeReduction, response: Response, meta: RecallCommand, uow: Work,
            idempotency_key: IdempotencyKey = None) -> ScopeReductionOut:
    """Propose taking lots or units out of the open case's scope; a second recall officer must approve it."""
    command_reason(body.reason, meta)
    proposal_id = new_aggregate_id(f"recall-scope-reduction:{recall_id}", meta.actor, idempotency_key)
    case, created = scope_reductions.propose_scope_reduction(scope_reductions.ProposeScopeReduction(
        recall_id=recall_id, proposal_id=proposal_id, lots=[r.model_dump() for r in body.lots],
        serials=[r.model_dump() for r in body.serials], reason=body.reason, officer=meta.actor), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(case, proposal_id)


@router.get("/recalls/{recall_id}/scope-reductions", operation_id="list_recall_scope_reductions")
def list_proposals(recall_id: UUID, uow: Work, _: RecallReader) -> list[ScopeReductionOut]:
    """Every proposal made for the case, in the order they were made, with what became of it."""
    case = recall_cases.recall(uow, recall_id)
    return [_out(case, UUID(key)) for key in case.proposals]


@router.post("/recalls/{recall_id}/scope-reductions/{proposal_id}/approval",
             operation_id="approve_recall_scope_reduction")
def approve(recall_id: UUID, proposal_id: UUID, meta: RecallApproval, uow: Work) -> ScopeReductionOut:
    """Approve another officer's proposal: its lots and units leave the scope (a 409 for the proposer)."""
    return _out(scope_reductions.approve_scope_reduction(scope_reductions.DecideScopeReduction(
        recall_id=recall_id, proposal_id=proposal_id, officer=meta.actor), uow), proposal_id)


@router.post("/recalls/{recall_id}/scope-reductions/{proposal_id}/rejection",
             operation_id="reject_recall_scope_reduction")
def reject(recall_id: UUID, proposal_id: UUID, body: RejectScopeReduction, meta: RecallApproval,
           uow: Work) -> ScopeReductionOut:
    """Turn the proposal down, with a reason; the scope stays as it was."""
    command_reason(body.reason, meta)
    return _out(scope_reductions.reject_scope_reduction(scope_reductions.DecideScopeReduction(
        recall_id=recall_id, proposal_id=proposal_id, officer=meta.actor, rejection_reason=body.reason), uow),
        proposal_id)
