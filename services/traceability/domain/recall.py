"""A recall case: decided with a level, its consignees notified and acknowledging, units coming back, closed.

Pure domain: the consignee list itself comes from the lineage read model (it stays live as shipments and
sell-out reports arrive), so the handlers ask it through the unit of work where a rule needs it (consignees.py).

The scope (lots, the kit lots made from them, serials) can only shrink by four eyes: one recall officer proposes
taking lots or units out with a reason, a different one approves (or someone rejects). Removing a lot removes that
lot alone: kit lots made from it stay in scope unless the proposal names them too.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.traceability.domain.consignees import Effectiveness
from services.traceability.domain.deadlines import not_in_future, notify_by
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.aggregate import TracedAggregate

# How each scheme names the three levels (the API answers `level_name`).
LEVEL_NAMES = {"NMPA": {1: "一级", 2: "二级", 3: "三级"}, "FDA": {1: "Class I", 2: "Class II", 3: "Class III"}}


class RecallCase(TracedAggregate):
    @event("Opened")
    def __init__(self, recall_id: UUID, title: str, scheme: str, level: int, reason: str, decided_at: datetime,
                 notify_by: datetime, lots: list[dict[str, str]], serials: list[dict[str, str]],
                 kit_lots: list[dict[str, str]], adverse_event_id: UUID | None = None,
                 number: str | None = None) -> None:
        self.title, self.scheme, self.level, self.reason = title, scheme, level, reason
        self.decided_at, self.notify_by = decided_at, notify_by
        self.lots, self.serials, self.kit_lots = lots, serials, kit_lots  # as opened; see scope_lots
        self.adverse_event_id = adverse_event_id
        self.number = number  # None for cases opened before recalls were numbered
        self.status = "open"
        self.removed_lots: list[dict[str, str]] = []  # taken out of scope by approved reductions
        self.removed_serials: list[dict[str, str]] = []
        self.proposals: dict[str, dict[str, Any]] = {}  # proposal id (str) -> the proposal and what became of it
        self.notified: dict[str, dict[str, Any]] = {}  # consignee id (str) -> {notified_at, method, note}
        self.acknowledged: dict[str, dict[str, Any]] = {}
        self.returns: dict[str, dict[str, Any]] = {}  # inventory return id -> {consignee_id, gtin, lot, quantity}
        self.closed_at: datetime | None = None
        self.summary: str | None = None
        self.effectiveness_at_closure: dict[str, int] | None = None

    @staticmethod
    def create_id(recall_id: UUID) -> UUID:
        return recall_id

    @classmethod
    def open(cls, recall_id: UUID, title: str, scheme: str, level: int, reason: str, decided_at: datetime,
             lots: list[dict[str, str]], serials: list[dict[str, str]], now: datetime,
             adverse_event_id: UUID | None = None, kit_lots: list[dict[str, str]] = (),
             number: str | None = None) -> "RecallCase":
        """`kit_lots`: the kit lots the lineage knows were made from a recalled lot; they are recalled with it."""
        check_opening(decided_at, lots, serials, now)
        return cls(recall_id=recall_id, title=title, scheme=scheme, level=level, reason=reason,
                   decided_at=decided_at, notify_by=notify_by(decided_at, level), lots=_unique(lots),
                   serials=_unique(serials), kit_lots=[k for k in _unique(list(kit_lots)) if k not in lots],
                   adverse_event_id=adverse_event_id, number=number)

    @property
    def scope_lots(self) -> list[dict[str, str]]:
        """The lots in scope now: recalled and kit lots, less those taken out by an approved reduction."""
        return [r for r in [*self.lots, *self.kit_lots] if r not in self.removed_lots]

    @property
    def scope_serials(self) -> list[dict[str, str]]:
        return [r for r in self.serials if r not in self.removed_serials]

    def covers(self, gtin: str, lot: str, serials: list[str] | None = None) -> bool:
        if {"gtin": gtin, "lot": lot} in self.scope_lots:
            return True
        return any({"gtin": gtin, "serial": s} in self.scope_serials for s in serials or ())

    # Reducing the scope: proposed by one recall officer, approved by another ----------------------------

    def propose_scope_reduction(self, proposal_id: UUID, lots: list[dict[str, str]], serials: list[dict[str, str]],
                                reason: str, proposed_by: str) -> bool:
        """Record the proposal; False when this very proposal is already recorded (a retry)."""
        lots, serials = _unique(lots), _unique(serials)
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
    def _scope_reduction_proposed(self, proposal_id: UUID, lots: list[dict[str, str]],
                                  serials: list[dict[str, str]], reason: str, proposed_by: str) -> None:
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
        if approved_by == proposal["proposed_by"]:
            raise RuleViolation("four-eyes", "the scope reduction was proposed by you: a second recall officer"
                                             " approves it")
        self._must_be_in_scope(proposal["lots"], proposal["serials"])
        remaining = ([r for r in self.scope_lots if r not in proposal["lots"]]
                     + [r for r in self.scope_serials if r not in proposal["serials"]])
        if not remaining:
            raise RuleViolation("scope-remains", "this would leave nothing in scope: close the recall instead")
        self._scope_reduced(proposal_id=proposal_id, lots=proposal["lots"], serials=proposal["serials"],
                            reason=proposal["reason"], proposed_by=proposal["proposed_by"], approved_by=approved_by)
        return True

    @event("ScopeReduced")
    def _scope_reduced(self, proposal_id: UUID, lots: list[dict[str, str]], serials: list[dict[str, str]],
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

    def _must_be_in_scope(self, lots: list[dict[str, str]], serials: list[dict[str, str]]) -> None:
        for i, ref in enumerate(lots):
            if ref not in self.scope_lots:
                raise InvalidReference(f"lots[{i}]", "in-recall-scope",
                                       f"{ref['gtin']}/{ref['lot']} is not in the recall's scope")
        for i, ref in enumerate(serials):
            if ref not in self.scope_serials:
                raise InvalidReference(f"serials[{i}]", "in-recall-scope",
                                       f"unit {ref['gtin']}/{ref['serial']} is not in the recall's scope")

    # Notifications and acknowledgements ------------------------------------------------------------------

    def notify(self, consignee_id: UUID, notified_at: datetime, method: str, note: str | None,
               now: datetime) -> bool:
        """Record that the consignee was told; False if this exact notice is already recorded (a retry)."""
        self._must_be_open()
        earlier = self.notified.get(str(consignee_id))
        if earlier is not None:
            if (earlier["notified_at"], earlier["method"]) == (notified_at, method):
                return False
            raise RuleViolation("notify-once", f"consignee {consignee_id} was already notified at"
                                                 f" {earlier['notified_at'].isoformat()}", "consignee_id")
        not_in_future("notified_at", notified_at, now)
        if notified_at < self.decided_at:
            raise InvalidReference("notified_at", "after-decision",
                                   "a consignee is notified after the recall was decided")
        self._notified(consignee_id=consignee_id, notified_at=notified_at, method=method, note=note)
        return True

    @event("ConsigneeNotified")
    def _notified(self, consignee_id: UUID, notified_at: datetime, method: str, note: str | None) -> None:
        self.notified[str(consignee_id)] = {"notified_at": notified_at, "method": method, "note": note}

    def acknowledge(self, consignee_id: UUID, acknowledged_at: datetime, acknowledged_by: str, note: str | None,
                    now: datetime) -> bool:
        self._must_be_open()
        notice = self.notified.get(str(consignee_id))
        if notice is None:
            raise RuleViolation("notified-first", f"consignee {consignee_id} has not been notified", "consignee_id")
        earlier = self.acknowledged.get(str(consignee_id))
        if earlier is not None:
            if (earlier["acknowledged_at"], earlier["by"]) == (acknowledged_at, acknowledged_by):
                return False
            raise RuleViolation("acknowledge-once", f"consignee {consignee_id} already acknowledged", "consignee_id")
        not_in_future("acknowledged_at", acknowledged_at, now)
        if acknowledged_at < notice["notified_at"]:
            raise InvalidReference("acknowledged_at", "after-notice", "an acknowledgement comes after the notice")
        self._acknowledged(consignee_id=consignee_id, acknowledged_at=acknowledged_at,
                           acknowledged_by=acknowledged_by, note=note)
        return True

    @event("Acknowledged")
    def _acknowledged(self, consignee_id: UUID, acknowledged_at: datetime, acknowledged_by: str,
                      note: str | None) -> None:
        self.acknowledged[str(consignee_id)] = {"acknowledged_at": acknowledged_at, "by": acknowledged_by}

    # Returns and closure ---------------------------------------------------------------------------------

    def record_return(self, consignee_id: UUID, gtin: str, lot: str, quantity: int, return_id: UUID,
                      returned_at: datetime) -> bool:
        """Units of a recalled lot came back while the case is open; each inventory return counts once."""
        if self.status != "open" or f"{return_id}:{gtin}:{lot}" in self.returns:
            return False
        self._units_returned(consignee_id=consignee_id, gtin=gtin, lot=lot, quantity=quantity,
                             return_id=return_id, returned_at=returned_at)
        return True

    @event("UnitsReturned")
    def _units_returned(self, consignee_id: UUID, gtin: str, lot: str, quantity: int, return_id: UUID,
                        returned_at: datetime) -> None:
        self.returns[f"{return_id}:{gtin}:{lot}"] = {"consignee_id": str(consignee_id), "gtin": gtin, "lot": lot,
                                                     "quantity": quantity}

    def units_returned_by(self, consignee_id: UUID) -> int:
        return sum(r["quantity"] for r in self.returns.values() if r["consignee_id"] == str(consignee_id))

    def close(self, closed_at: datetime, summary: str, effectiveness: Effectiveness, now: datetime) -> None:
        self._must_be_open()
        not_in_future("closed_at", closed_at, now)
        if closed_at < self.decided_at:
            raise InvalidReference("closed_at", "after-decision", "a recall closes after it was decided")
        # The scope as it stands, so inventory lifts exactly the stops this recall still holds.
        self._closed(closed_at=closed_at, summary=summary, effectiveness=effectiveness.as_dict(),
                     lots=self.scope_lots, serials=self.scope_serials)

    @event("Closed")
    def _closed(self, closed_at: datetime, summary: str, effectiveness: dict[str, int],
                lots: list[dict[str, str]] | None = None, serials: list[dict[str, str]] | None = None) -> None:
        self.status = "closed"
        self.closed_at, self.summary, self.effectiveness_at_closure = closed_at, summary, effectiveness

    def _must_be_open(self) -> None:
        if self.status != "open":
            raise RuleViolation("case-open", "the recall case is closed")


def check_opening(decided_at: datetime, lots: list[dict[str, str]], serials: list[dict[str, str]],
                  now: datetime) -> None:
    """The rules a new case meets on its own (checked before a number is taken for it)."""
    if not lots and not serials:
        raise InvalidReference("lots", "scope-required", "a recall names at least one lot or serial")
    not_in_future("decided_at", decided_at, now)


def _unique(refs: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []
    for ref in refs:
        if ref not in seen:
            seen.append(ref)
    return seen

