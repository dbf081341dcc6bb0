"""Opening a recall case: once per id, with the next recall number of its year (RC-2026-0001), the kit lots made from
its lots recalled with them, and — when it comes from an adverse event — that event linked to it.

The case, the year's number sequence and the adverse event are saved in one transaction: two cases opened at once
both change the year's sequence at the same version, the event store refuses the second, and that opening tries
again with the next number. This is create_once (shared/platform/idempotency.py) for several aggregates: a retry
with the same Idempotency-Key finds the first case, another request under that key is refused.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.domain.adverse import AdverseEvent
from services.traceability.domain.master_data import unknown_scope_lots
from services.traceability.domain.recall import RecallCase, check_opening
from services.traceability.domain.recall_number import RecallNumbers, numbering_year, sequence_id
from shared.domain.rules import NotFound
from shared.platform.eventstore import IntegrityError
from shared.platform.idempotency import refuse_if_reused
from shared.platform.request_records import current_request
from shared.platform.command import Command

# Concurrent openings in one year race for its number sequence; the loser takes the next number. Each attempt is
# one transaction, so this many is far more than any burst of recalls needs.
NUMBERING_ATTEMPTS = 20


class OpenRecall(Command):
    recall_id: UUID
    title: str
    scheme: str
    level: int
    reason: str
    decided_at: datetime
    lots: list[dict[str, str]] = field(default_factory=list)  # {"gtin", "lot"}
    serials: list[dict[str, str]] = field(default_factory=list)  # {"gtin", "serial"}
    allow_unknown_lots: bool = False  # True: lots traceability never saw may be recalled (and are listed)
    adverse_event_id: UUID | None = None  # the adverse event it is opened from


@dataclass(frozen=True)
class OpenedRecall:
    case: RecallCase
    created: bool  # False: a retry found the case the first request opened
    unknown_lots: list[dict[str, str]]  # its lots traceability does not know (opened so deliberately)


def open_recall(command: OpenRecall, uow: TraceabilityUnitOfWork) -> OpenedRecall:
    # The kit lots the lineage knows were made from the recalled lots are recalled (and held) with them.
    kit_lots = uow.lineage.kit_lots_made_from(command.lots)
    for _ in range(NUMBERING_ATTEMPTS):
        existing = uow.get(command.recall_id, RecallCase)
        if existing is not None:
            return _opened(existing, False, uow)
        case = _open(command, kit_lots, uow)
        try:
            uow.commit()
        except IntegrityError:  # the commit left the unit of work empty: the next attempt reads afresh
            if not uow.app.exists(command.recall_id):
                continue  # another opening took the number: try again with the next one
            request = current_request.get()  # a concurrent retry with the same key won: as create_once does
            if request is not None:
                refuse_if_reused(uow.app, request)
            return _opened(uow.get(command.recall_id, RecallCase), False, uow)
        return _opened(case, True, uow)
    raise IntegrityError(f"no recall number could be taken in {NUMBERING_ATTEMPTS} attempts")


def _open(command: OpenRecall, kit_lots: list[dict[str, str]], uow: TraceabilityUnitOfWork) -> RecallCase:
    """The case, with its number taken and its adverse event linked, all collected (nothing saved yet)."""
    check_opening(command.decided_at, command.lots, command.serials, uow.now())  # before a number is taken for it
    unknown_scope_lots(command.lots, uow.master_data, command.allow_unknown_lots)
    linked = []
    if command.adverse_event_id is not None:  # both or neither: one adverse event opens one recall
        adverse = adverse_event(uow, command.adverse_event_id)
        adverse.link_recall(command.recall_id)
        linked.append(adverse)
    numbers = _numbers_for(uow, command.decided_at, command.recall_id)
    case = RecallCase.open(command.recall_id, command.title, command.scheme, command.level, command.reason,
                           command.decided_at, command.lots, command.serials, uow.now(), command.adverse_event_id,
                           kit_lots, number=numbers.issued[str(command.recall_id)])
    uow.collect(case, numbers, *linked)
    return case


def _numbers_for(uow: TraceabilityUnitOfWork, decided_at: datetime, recall_id: UUID) -> RecallNumbers:
    year = numbering_year(decided_at)
    numbers = uow.get(sequence_id(year), RecallNumbers)
    if numbers is None:
        return RecallNumbers.first(year, recall_id)
    numbers.issue(recall_id)
    return numbers


def _opened(case: RecallCase, created: bool, uow: TraceabilityUnitOfWork) -> OpenedRecall:
    return OpenedRecall(case, created, unknown_scope_lots(case.lots, uow.master_data, allow_unknown=True))


def adverse_event(uow: TraceabilityUnitOfWork, adverse_event_id: UUID) -> AdverseEvent:
    event = uow.get(adverse_event_id, AdverseEvent)
    if event is None:
        raise NotFound("Adverse event", adverse_event_id)
    return event
