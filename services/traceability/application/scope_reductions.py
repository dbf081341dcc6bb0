"""Reducing a recall's scope, four eyes: a recall officer proposes taking lots (kit lots included) or units out of an
open case with a reason; a different recall officer approves it, or someone rejects it. Approved, the lots and units
leave the case's consignee list, reports and the open scope inventory stops (RecallScopeReduced)."""

from dataclasses import field
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.application.recall_cases import recall
from services.traceability.domain.recall import RecallCase
from shared.platform.command import Command


class ProposeScopeReduction(Command):
    recall_id: UUID
    proposal_id: UUID
    lots: list[dict[str, str]] = field(default_factory=list)  # lots or kit lots in the case's scope
    serials: list[dict[str, str]] = field(default_factory=list)
    reason: str
    officer: str  # who proposes it: never the one who approves it


class DecideScopeReduction(Command):
    recall_id: UUID
    proposal_id: UUID
    officer: str  # who approves or rejects it
    rejection_reason: str | None = None  # rejections only


def propose_scope_reduction(command: ProposeScopeReduction, uow: TraceabilityUnitOfWork) -> tuple[RecallCase, bool]:
    """The case with the proposal, and whether this command made it (False: a retry of the same proposal)."""
    case = recall(uow, command.recall_id)
    proposed = case.propose_scope_reduction(command.proposal_id, command.lots, command.serials, command.reason,
                                            command.officer)
    return _saved(uow, case, proposed), proposed


def approve_scope_reduction(command: DecideScopeReduction, uow: TraceabilityUnitOfWork) -> RecallCase:
    """Another officer's proposal approved: its lots and units leave the scope."""
    case = recall(uow, command.recall_id)
    return _saved(uow, case, case.approve_scope_reduction(command.proposal_id, command.officer))


def reject_scope_reduction(command: DecideScopeReduction, uow: TraceabilityUnitOfWork) -> RecallCase:
    """The proposal turned down, with a reason; the scope stays as it was."""
    case = recall(uow, command.recall_id)
    return _saved(uow, case, case.reject_scope_reduction(command.proposal_id, command.officer,
                                                         command.rejection_reason or ""))


def _saved(uow: TraceabilityUnitOfWork, case: RecallCase, changed: bool) -> RecallCase:
    if changed:  # False: a retry of what is recorded already
        uow.collect(case)
    uow.commit()
    return case
