"""Following a recall case through: notices to its consignees and their acknowledgements, units of a recalled lot
coming back (an inventory return counts towards every open recall covering it), and the closure, which records how
effective the recall was at that moment. Only a consignee of the case (live from the lineage) can be notified."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.domain.consignees import consignee_of_recall, effectiveness
from services.traceability.domain.recall import RecallCase
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.command import Command


class NotifyConsignee(Command):
    recall_id: UUID
    consignee_id: UUID
    notified_at: datetime
    method: str
    note: str | None = None


class RecordAcknowledgement(Command):
    recall_id: UUID
    consignee_id: UUID
    acknowledged_at: datetime
    acknowledged_by: str  # the person at the consignee
    note: str | None = None


class AcknowledgeNotice(Command):
    """A consignee's own user acknowledges the notice it received (the portal), now."""
    recall_id: UUID
    consignee_id: UUID | None  # None: the one organisation the caller acts for
    own_consignees: frozenset[UUID]  # the hospitals and distributors the caller's scope names
    acknowledged_by: str
    note: str | None = None


class RequestClosure(Command):
    recall_id: UUID
    summary: str
    officer: str  # who requests it
    closed_at: datetime | None = None  # default now


class CloseRecall(Command):
    recall_id: UUID
    officer: str  # who approves the request: not who made it


@dataclass(frozen=True, kw_only=True)
class ReturnedLine:
    gtin: str
    lot: str
    quantity: int
    serials: tuple[str, ...] = ()


class CountReturnedUnits(Command):
    """Units came back to inventory (a return against a shipment): they count towards the open recalls of them."""

    return_id: UUID
    shipment_id: UUID
    ship_to_hospital_id: UUID  # the return's hospital: its consignee when the lineage does not know the shipment
    returned_at: datetime
    lines: tuple[ReturnedLine, ...]


def recall(uow: TraceabilityUnitOfWork, recall_id: UUID) -> RecallCase:
    case = uow.get(recall_id, RecallCase)
    if case is None:
        raise NotFound("Recall", recall_id)
    return case


def notify_consignee(command: NotifyConsignee, uow: TraceabilityUnitOfWork) -> RecallCase:
    """Record that a consignee was told of the recall; the same notice again (a retry) records nothing."""
    case = recall(uow, command.recall_id)
    consignee_of_recall(command.consignee_id, uow.consignees.of_case(case, uow.now()))
    if case.notify(command.consignee_id, command.notified_at, command.method, command.note, uow.now()):
        uow.collect(case)
    uow.commit()
    return case


def record_acknowledgement(command: RecordAcknowledgement, uow: TraceabilityUnitOfWork) -> RecallCase:
    case = recall(uow, command.recall_id)
    if case.acknowledge(command.consignee_id, command.acknowledged_at, command.acknowledged_by, command.note,
                        uow.now()):
        uow.collect(case)
    uow.commit()
    return case


def acknowledge_notice(command: AcknowledgeNotice, uow: TraceabilityUnitOfWork,
                       reaches: Callable[[UUID], bool]) -> tuple[RecallCase, UUID]:
    """The consignee acknowledges now, through its own user; the same person again (a retry) records nothing.
    `reaches(consignee)`: whether a notice of this recall went to that consignee within the caller's scope —
    anything else is answered as not found, so a portal user learns nothing of other consignees."""
    consignee_id = command.consignee_id
    if consignee_id is None:
        if len(command.own_consignees) != 1:
            raise RuleViolation("consignee-named", "you act for several organisations (or none): name the one"
                                " acknowledging as consignee_id", "consignee_id")
        (consignee_id,) = command.own_consignees
    if not reaches(consignee_id):
        raise NotFound("RecallNotice", f"{command.recall_id}/{consignee_id}")
    case = recall(uow, command.recall_id)
    earlier = case.acknowledged.get(str(consignee_id))
    if earlier is None or earlier["by"] != command.acknowledged_by:
        now = uow.now()
        case.acknowledge(consignee_id, now, command.acknowledged_by, command.note, now)
        uow.collect(case)
    uow.commit()
    return case, consignee_id


def request_closure(command: RequestClosure, uow: TraceabilityUnitOfWork) -> RecallCase:
    """A recall officer asks to close the case with a summary; a second one approves (close_recall)."""
    case = recall(uow, command.recall_id)
    if case.request_closure(command.closed_at or uow.now(), command.summary, command.officer, uow.now()):
        uow.collect(case)
    uow.commit()
    return case


def close_recall(command: CloseRecall, uow: TraceabilityUnitOfWork) -> RecallCase:
    """A second recall officer approves the requested closure: the case closes with its effectiveness as the
    lineage stands at the requested closing time."""
    case = recall(uow, command.recall_id)
    request = case.pending_closure
    closed_at = request["closed_at"] if request else uow.now()
    case.close(command.officer, effectiveness(uow.consignees.of_case(case, closed_at)))
    uow.collect(case)
    uow.commit()
    return case


def count_returned_units(command: CountReturnedUnits, uow: TraceabilityUnitOfWork) -> list[RecallCase]:
    """Each open recall covering a returned lot or unit counts the line, once per return; credited to the shipment's
    consignee as the lineage knows it (a distributor, for goods shipped through one). A return that arrives before
    its recall reached the open-scope list (within a second of the decision) is not counted: returns of recalled
    goods come days later, and the lineage still shows the units as returned."""
    consignee = uow.lineage.consignee_of_shipment(command.shipment_id) or command.ship_to_hospital_id
    counted: dict[UUID, RecallCase] = {}
    for line in command.lines:
        for recall_id in uow.open_recalls.covering(line.gtin, line.lot, list(line.serials)):
            case = uow.get(recall_id, RecallCase)
            if case is not None and case.record_return(consignee, line.gtin, line.lot, line.quantity,
                                                       command.return_id, command.returned_at):
                counted[recall_id] = case
    uow.collect(*counted.values())
    uow.commit()
    return list(counted.values())


def recall_as_of(uow: TraceabilityUnitOfWork, recall_id: UUID, at: datetime) -> RecallCase:
    """The case as it stood at `at`: its events recorded by then. Before the case was recorded (at its decision
    time, typically) its scope is still the question: the case as opened."""
    recall(uow, recall_id)  # a 404 for a case that does not exist
    app = uow.app
    known = [e.originator_version for e in map(app.mapper.to_domain_event, app.recorder.select_events(recall_id))
             if e.timestamp <= at]
    return app.repository.get(recall_id, version=max(known, default=1))
