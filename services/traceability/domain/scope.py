"""A recall's scope — the lots it names, the kit lots made from them, the serialised units — and how it shrinks: only
by four eyes. One recall officer proposes taking lots or units out with a reason, a different one approves (or
someone rejects). Removing a lot removes that lot alone: kit lots made from it stay in scope unless the proposal names
them too. Pure domain: the part of RecallCase (recall.py) that holds the scope.

Its events were recorded on RecallCase before this part existed: stored under those topics, they load into this
part's event classes (the topics are registered below), and publish as the same contracts.
"""

from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.utils import register_topic

from shared.domain.approval import second_person
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.aggregate import TracedAggregate

Ref = dict[str, str]  # {"gtin", "lot"} or {"gtin", "serial"}


class RecallScope(TracedAggregate):
    """What a recall case names. Its state is set when the case opens (RecallCase.__init__): `lots`, `serials` and
    `kit_lots` as opened, `removed_lots` and `removed_serials` (taken out by approved reductions), `proposals`
    (proposal id -> the proposal and what became of it) and the case's `status`. No annotations here: on an
    aggregate class they would declare a constructor of their own."""

    @property
    def scope_lots(self) -> list[Ref]:
        """The lots in scope now: recalled and kit lots, less those taken out by an approved reduction."""
        return [r for r in [*self.lots, *self.kit_lots] if r not in self.removed_lots]

    @property
    def scope_serials(self) -> list[Ref]:
        return [r for r in self.serials if r not in self.removed_serials]

    def covers(self, gtin: str, lot: str, serials: list[str] | None = None) -> bool:
        if {"gtin": gtin, "lot": lot} in self.scope_lots:
            return True
        return any({"gtin": gtin, "serial": s} in self.scope_serials for s in serials or ())

    # Reducing the scope: proposed by one recall officer, approved by another ----------------------------

    def propose_scope_reduction(self, proposal_id: UUID, lots: list[Ref], serials: list[Ref],
                                reason: str, proposed_by: str) -> bool:
        """Record the proposal; False when this very proposal is already recorded (a retry)."""
        lots, serials = unique(lots), unique(serials)
        earlier = self.proposals.get(str(proposal_id))
        if earlier is not None:
            if (earlier["lots"], earlier["serials"], earlier["reason"]) == (lots, serials, reason):
                return False
            raise RuleViolation("proposal-once", f"proposal {proposal_id} was already made with other content")
        self._must_be_open()
        if not lots and not serials:
            raise InvalidReference("lots", "scope-reduction-names-something",
                                   "name at least one lot or serial to take out")
        self._must_be_in_scope(lots, serials)
        self._scope_reduction_proposed(proposal_id=proposal_id, lots=lots, serials=serials, reason=reason,
                                       proposed_by=proposed_by)
        return True

    @event("ScopeReductionProposed")
    def _scope_reduction_proposed(self, proposal_id: UUID, lots: list[Ref],
                                  serials: list[Ref], reason: str, proposed_by: str) -> None:
        self.proposals[str(proposal_id)] = {"proposal_id": proposal_id, "lots": lots, "serials": serials,
                                            "reason": reason, "proposed_by": proposed_by, "status": "pending",
                                            "decided_by": None, "decision_reason": None}

    def approve_scope_reduction(self, proposal_id: UUID, approved_by: str) -> bool:
        """Take the proposal's lots and units out of scope; False when it is approved already by this person."""
        proposal = self._proposal(proposal_id)
        if proposal["status"] == "approved" and proposal["decided_by"] == approved_by:
            return False
        self._must_be_open()
        self._must_be_pending(proposal)
        second_person(proposal["proposed_by"], approved_by, "the scope reduction")
        self._must_be_in_scope(proposal["lots"], proposal["serials"])
        remaining = ([r for r in self.scope_lots if r not in proposal["lots"]]
                     + [r for r in self.scope_serials if r not in proposal["serials"]])
        if not remaining:
            raise RuleViolation("scope-remains", "this would leave nothing in scope: close the recall instead")
        self._scope_reduced(proposal_id=proposal_id, lots=proposal["lots"], serials=proposal["serials"],
                            reason=proposal["reason"], proposed_by=proposal["proposed_by"], approved_by=approved_by)
        return True

    @event("ScopeReduced")
    def _scope_reduced(self, proposal_id: UUID, lots: list[Ref], serials: list[Ref],
                       reason: str, proposed_by: str, approved_by: str) -> None:
        self.removed_lots += [r for r in lots if r not in self.removed_lots]
        self.removed_serials += [r for r in serials if r not in self.removed_serials]
        self.proposals[str(proposal_id)].update(status="approved", decided_by=approved_by)

    def reject_scope_reduction(self, proposal_id: UUID, rejected_by: str, reason: str) -> bool:
        """Turn the proposal down (its proposer may withdraw it so); False when already rejected so (a retry)."""
        proposal = self._proposal(proposal_id)
        if proposal["status"] == "rejected" and (proposal["decided_by"], proposal["decision_reason"]) == (
                rejected_by, reason):
            return False
        self._must_be_open()
        self._must_be_pending(proposal)
        self._scope_reduction_rejected(proposal_id=proposal_id, reason=reason, rejected_by=rejected_by)
        return True

    @event("ScopeReductionRejected")
    def _scope_reduction_rejected(self, proposal_id: UUID, reason: str, rejected_by: str) -> None:
        self.proposals[str(proposal_id)].update(status="rejected", decided_by=rejected_by, decision_reason=reason)

    def _proposal(self, proposal_id: UUID) -> dict[str, Any]:
        proposal = self.proposals.get(str(proposal_id))
        if proposal is None:
            raise NotFound("Scope reduction", proposal_id)
        return proposal

    @staticmethod
    def _must_be_pending(proposal: dict[str, Any]) -> None:
        if proposal["status"] != "pending":
            raise RuleViolation("proposal-pending", f"the proposal was {proposal['status']} already")

    def _must_be_in_scope(self, lots: list[Ref], serials: list[Ref]) -> None:
        for i, ref in enumerate(lots):
            if ref not in self.scope_lots:
                raise InvalidReference(f"lots[{i}]", "in-recall-scope",
                                       f"{ref['gtin']}/{ref['lot']} is not in the recall's scope")
        for i, ref in enumerate(serials):
            if ref not in self.scope_serials:
                raise InvalidReference(f"serials[{i}]", "in-recall-scope",
                                       f"unit {ref['gtin']}/{ref['serial']} is not in the recall's scope")

    def _must_be_open(self) -> None:
        if self.status != "open":
            raise RuleViolation("case-open", "the recall case is closed")


# Where these events were stored before the scope was a part of its own.
for _name, _moved in (("ScopeReductionProposed", RecallScope.ScopeReductionProposed),
                      ("ScopeReduced", RecallScope.ScopeReduced),
                      ("ScopeReductionRejected", RecallScope.ScopeReductionRejected)):
    register_topic(f"services.traceability.domain.recall:RecallCase.{_name}", _moved)


def unique(refs: list[Ref]) -> list[Ref]:
    seen: list[Ref] = []
    for ref in refs:
        if ref not in seen:
            seen.append(ref)
    return seen
