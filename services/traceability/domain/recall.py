"""A recall case: decided with a level, its consignees notified and acknowledging, units coming back, closed.

Pure domain: the consignee list itself comes from the lineage read model (it stays live as shipments and
sell-out reports arrive), so the handlers ask it through the unit of work where a rule needs it (consignees.py).

Its scope (lots, the kit lots made from them, serials) and the four-eyes reductions of it are the part of the case
in scope.py.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from services.traceability.domain.consignees import Effectiveness
from services.traceability.domain.deadlines import not_in_future, notify_by
from services.traceability.domain.scope import RecallScope, unique
from shared.domain.approval import second_person
from shared.domain.rules import InvalidReference, RuleViolation

# How each scheme names the three levels (the API answers `level_name`).
LEVEL_NAMES = {"NMPA": {1: "一级", 2: "二级", 3: "三级"}, "FDA": {1: "Class I", 2: "Class II", 3: "Class III"}}


class RecallCase(RecallScope):
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
        self.closure_requested: dict[str, Any] | None = None  # {closed_at, summary, requested_by} until approved
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
                   decided_at=decided_at, notify_by=notify_by(decided_at, level), lots=unique(lots),
                   serials=unique(serials), kit_lots=[k for k in unique(list(kit_lots)) if k not in lots],
                   adverse_event_id=adverse_event_id, number=number)

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

    # Closure is four eyes: one recall officer requests it with a summary, a second one approves it; until then the
    # recall stays open and its stops hold. A new request replaces one still pending (a corrected summary, say).

    def request_closure(self, closed_at: datetime, summary: str, requested_by: str, now: datetime) -> bool:
        """False if this very request is already pending (a retry)."""
        self._must_be_open()
        not_in_future("closed_at", closed_at, now)
        if closed_at < self.decided_at:
            raise InvalidReference("closed_at", "after-decision", "a recall closes after it was decided")
        request = {"closed_at": closed_at, "summary": summary, "requested_by": requested_by}
        if self.pending_closure == request:
            return False
        self._closure_requested(**request)
        return True

    @event("ClosureRequested")
    def _closure_requested(self, closed_at: datetime, summary: str, requested_by: str) -> None:
        self.closure_requested = {"closed_at": closed_at, "summary": summary, "requested_by": requested_by}

    @property
    def pending_closure(self) -> dict[str, Any] | None:
        # getattr: cases recorded before closure needed a request have no such attribute in their snapshots
        return getattr(self, "closure_requested", None) if self.status == "open" else None

    def close(self, approved_by: str, effectiveness: Effectiveness) -> None:
        """Approve the pending closure request: the case closes as requested, with its figures at that time."""
        self._must_be_open()
        request = self.pending_closure
        if request is None:
            raise RuleViolation("closure-requested", "no closure is requested: a recall officer requests it first"
                                                     " (POST /recalls/{id}/close)")
        second_person(request["requested_by"], approved_by, "the recall's closure")
        # The scope as it stands, so inventory lifts exactly the stops this recall still holds.
        self._closed(closed_at=request["closed_at"], summary=request["summary"], effectiveness=effectiveness.as_dict(),
                     lots=self.scope_lots, serials=self.scope_serials, requested_by=request["requested_by"],
                     approved_by=approved_by)

    @event("Closed")
    def _closed(self, closed_at: datetime, summary: str, effectiveness: dict[str, int],
                lots: list[dict[str, str]] | None = None, serials: list[dict[str, str]] | None = None,
                requested_by: str | None = None, approved_by: str | None = None) -> None:
        self.status = "closed"
        self.closed_at, self.summary, self.effectiveness_at_closure = closed_at, summary, effectiveness
        self.closed_by = {"requested_by": requested_by, "approved_by": approved_by}


# The library gives a subclass copies of its bases' event classes, under topics of the subclass. The scope's events
# are triggered as its part's (RecallScope's) classes, and that is where they load from: the copies would be classes
# no event is ever of, so RecallCase.ScopeReduced and its kin name the part's classes instead.
for _name in ("ScopeReductionProposed", "ScopeReduced", "ScopeReductionRejected"):
    delattr(RecallCase, _name)


def check_opening(decided_at: datetime, lots: list[dict[str, str]], serials: list[dict[str, str]],
                  now: datetime) -> None:
    """The rules a new case meets on its own (checked before a number is taken for it)."""
    if not lots and not serials:
        raise InvalidReference("lots", "scope-required", "a recall names at least one lot or serial")
    not_in_future("decided_at", decided_at, now)

