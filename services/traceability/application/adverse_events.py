"""Adverse events: intake (naming a hospital registered in the channel, or none), the regulator's reference once the
report was submitted, and the recall opened from one (its own lot by default; once)."""

from datetime import datetime
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.application.recall_opening import OpenedRecall, OpenRecall, adverse_event, open_recall
from services.traceability.domain.adverse import AdverseEvent
from services.traceability.domain.master_data import registered_hospital
from shared.platform.idempotency import create_once
from shared.platform.command import Command


class ReportAdverseEvent(Command):
    adverse_event_id: UUID
    gtin: str
    lot: str | None
    serial: str | None
    udi: str | None  # as scanned, when the device was identified by it
    hospital_id: UUID | None
    outcome: str
    description: str
    occurred_at: datetime | None
    became_aware_at: datetime


class SubmitAdverseEvent(Command):
    adverse_event_id: UUID
    submitted_at: datetime
    regulator_reference: str


class OpenRecallFromAdverseEvent(OpenRecall):
    """A recall opened from an adverse event: the same facts, its lot recalled unless `lots` names others."""

    adverse_event_id: UUID
    lots: list[dict[str, str]] | None = None  # None: the adverse event's own lot


def report_adverse_event(command: ReportAdverseEvent, uow: TraceabilityUnitOfWork) -> tuple[AdverseEvent, bool]:
    """The event, and whether this command reported it (False: a retry found the first report)."""
    def reported() -> AdverseEvent:
        registered_hospital(command.hospital_id, uow.master_data)
        return AdverseEvent.report(
            command.adverse_event_id, gtin=command.gtin, lot=command.lot, serial=command.serial, udi=command.udi,
            hospital_id=command.hospital_id, outcome=command.outcome, description=command.description,
            occurred_at=command.occurred_at, became_aware_at=command.became_aware_at, now=uow.now())

    return create_once(uow, command.adverse_event_id, AdverseEvent, reported)


def submit_adverse_event(command: SubmitAdverseEvent, uow: TraceabilityUnitOfWork) -> AdverseEvent:
    """Record that the report reached the regulator; the same submission again (a retry) records nothing."""
    event = adverse_event(uow, command.adverse_event_id)
    if event.submit(command.submitted_at, command.regulator_reference, uow.now()):
        uow.collect(event)
    uow.commit()
    return event


def open_recall_from_adverse_event(command: OpenRecallFromAdverseEvent, uow: TraceabilityUnitOfWork) -> OpenedRecall:
    """A recall case opened from the adverse event (one per event), recalling its lot unless told otherwise."""
    event = adverse_event(uow, command.adverse_event_id)
    lots = command.lots if command.lots is not None else ([{"gtin": event.gtin, "lot": event.lot}] if event.lot else [])
    return open_recall(OpenRecall(**{**vars(command), "lots": lots, "adverse_event_id": event.id}), uow)
