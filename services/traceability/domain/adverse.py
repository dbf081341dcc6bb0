"""Adverse events: intake, the statutory report deadline its outcome sets, submission, and the recall it led to.

Deadlines (China, 医疗器械不良事件监测和再评价管理办法) run from when the manufacturer became aware: a death
within 7 days, a serious injury within 20 days, a group event within 12 hours. `other` carries no statutory
deadline here; it is reported in the periodic summary.
"""

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import event

from services.traceability.domain.deadlines import not_in_future
from shared.domain.rules import InvalidReference, RuleViolation
from shared.platform.aggregate import TracedAggregate

REPORT_WITHIN = {"death": timedelta(days=7), "serious_injury": timedelta(days=20),
                 "group_event": timedelta(hours=12)}


def report_due_at(outcome: str, became_aware_at: datetime) -> datetime | None:
    within = REPORT_WITHIN.get(outcome)
    return None if within is None else became_aware_at + within


class AdverseEvent(TracedAggregate):
    @event("Reported")
    def __init__(self, adverse_event_id: UUID, gtin: str, lot: str | None, serial: str | None, udi: str | None,
                 hospital_id: UUID | None, outcome: str, description: str, occurred_at: datetime | None,
                 became_aware_at: datetime, report_due_at: datetime | None) -> None:
        self.gtin, self.lot, self.serial, self.udi = gtin, lot, serial, udi
        self.hospital_id, self.outcome, self.description = hospital_id, outcome, description
        self.occurred_at, self.became_aware_at, self.report_due_at = occurred_at, became_aware_at, report_due_at
        self.submitted_at: datetime | None = None
        self.regulator_reference: str | None = None
        self.recall_id: UUID | None = None

    @staticmethod
    def create_id(adverse_event_id: UUID) -> UUID:
        return adverse_event_id

    @classmethod
    def report(cls, adverse_event_id: UUID, *, gtin: str, lot: str | None, serial: str | None, udi: str | None,
               hospital_id: UUID | None, outcome: str, description: str, occurred_at: datetime | None,
               became_aware_at: datetime, now: datetime) -> "AdverseEvent":
        not_in_future("became_aware_at", became_aware_at, now)
        if occurred_at is not None:
            not_in_future("occurred_at", occurred_at, now)
            if occurred_at > became_aware_at:
                raise InvalidReference("occurred_at", "occurred-before-aware", "an event is known of after it occurred")
        return cls(adverse_event_id=adverse_event_id, gtin=gtin, lot=lot, serial=serial, udi=udi,
                   hospital_id=hospital_id, outcome=outcome, description=description, occurred_at=occurred_at,
                   became_aware_at=became_aware_at, report_due_at=report_due_at(outcome, became_aware_at))

    def submit(self, submitted_at: datetime, regulator_reference: str, now: datetime) -> bool:
        if self.submitted_at is not None:
            if (self.submitted_at, self.regulator_reference) == (submitted_at, regulator_reference):
                return False
            raise RuleViolation("submit-once", f"already submitted as {self.regulator_reference}",
                                "regulator_reference")
        not_in_future("submitted_at", submitted_at, now)
        if submitted_at < self.became_aware_at:
            raise InvalidReference("submitted_at", "after-aware", "a report is submitted after the event became known")
        self._submitted(submitted_at=submitted_at, regulator_reference=regulator_reference)
        return True

    @event("Submitted")
    def _submitted(self, submitted_at: datetime, regulator_reference: str) -> None:
        self.submitted_at, self.regulator_reference = submitted_at, regulator_reference

    def link_recall(self, recall_id: UUID) -> None:
        if self.recall_id is not None:
            raise RuleViolation("one-recall", f"a recall ({self.recall_id}) was already opened from it")
        self._recall_opened(recall_id=recall_id)

    @event("RecallOpened")
    def _recall_opened(self, recall_id: UUID) -> None:
        self.recall_id = recall_id

    def status(self, now: datetime) -> str:
        """submitted | submitted_late | overdue | due | no_deadline."""
        if self.submitted_at is not None:
            late = self.report_due_at is not None and self.submitted_at > self.report_due_at
            return "submitted_late" if late else "submitted"
        if self.report_due_at is None:
            return "no_deadline"
        return "overdue" if now > self.report_due_at else "due"
