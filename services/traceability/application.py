"""Traceability's write side: recall cases, adverse events and distributor sell-out reports.

Rules that need the lineage read model (is this a consignee of the recall? how effective was it?) are
checked by the caller, which hands in what it read; the aggregates hold the rules on their own state.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

from services.traceability.domain.adverse import AdverseEvent
from services.traceability.domain.recall import Effectiveness, RecallCase
from services.traceability.domain.sellout import (
    ReportedLine, SellOutPosition, SellOutReport, flagged_lines, sellout_report_id,
)
from shared.events import traceability as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.idempotency import create_once


def utc_now() -> datetime:
    return datetime.now(UTC)


class TraceabilityApplication(ServiceApplication):
    service = "traceability"
    published = {
        RecallCase.Opened: contracts.RecallOpened,
        RecallCase.ConsigneeNotified: contracts.RecallConsigneeNotified,
        RecallCase.Acknowledged: contracts.RecallAcknowledged,
        RecallCase.UnitsReturned: contracts.RecallUnitsReturned,
        RecallCase.Closed: contracts.RecallClosed,
        AdverseEvent.Reported: contracts.AdverseEventReported,
        AdverseEvent.Submitted: contracts.AdverseEventSubmitted,
        AdverseEvent.RecallOpened: contracts.AdverseEventRecallOpened,
        SellOutReport.Reported: contracts.SellOutReported,
    }
    # The time rules are judged against ("not in the future"); tests move it.
    clock: Callable[[], datetime] = staticmethod(utc_now)

    # Recall cases --------------------------------------------------------------------------------------------

    def open_recall(self, recall_id: UUID, *, title: str, scheme: str, level: int, reason: str,
                    decided_at: datetime, lots: list[dict[str, str]], serials: list[dict[str, str]],
                    kit_lots: list[dict[str, str]] = (), adverse_event_id: UUID | None = None,
                    ) -> tuple[RecallCase, bool]:
        def opened() -> RecallCase:
            return RecallCase.open(recall_id, title, scheme, level, reason, decided_at, lots, serials, self.clock(),
                                   adverse_event_id, kit_lots)
        if adverse_event_id is None:
            return create_once(self, recall_id, opened)
        if self.exists(recall_id):
            return self.repository.get(recall_id), False
        adverse = self.repository.get(adverse_event_id)
        adverse.link_recall(recall_id)
        case = opened()
        self.save(case, adverse)  # both or neither: one adverse event opens one recall
        return case, True

    def get_recall(self, recall_id: UUID) -> RecallCase | None:
        return self.get_aggregate(recall_id, RecallCase)

    def notify_consignee(self, case: RecallCase, consignee_id: UUID, notified_at: datetime, method: str,
                         note: str | None) -> RecallCase:
        if case.notify(consignee_id, notified_at, method, note, self.clock()):
            self.save(case)
        return case

    def acknowledge(self, case: RecallCase, consignee_id: UUID, acknowledged_at: datetime, acknowledged_by: str,
                    note: str | None) -> RecallCase:
        if case.acknowledge(consignee_id, acknowledged_at, acknowledged_by, note, self.clock()):
            self.save(case)
        return case

    def close_recall(self, case: RecallCase, closed_at: datetime, summary: str,
                     effectiveness: Effectiveness) -> RecallCase:
        case.close(closed_at, summary, effectiveness, self.clock())
        self.save(case)
        return case

    # Adverse events ------------------------------------------------------------------------------------------

    def report_adverse_event(self, adverse_event_id: UUID, **fields: object) -> tuple[AdverseEvent, bool]:
        return create_once(self, adverse_event_id,
                           lambda: AdverseEvent.report(adverse_event_id, now=self.clock(), **fields))

    def get_adverse_event(self, adverse_event_id: UUID) -> AdverseEvent | None:
        return self.get_aggregate(adverse_event_id, AdverseEvent)

    def submit_adverse_event(self, adverse: AdverseEvent, submitted_at: datetime,
                             regulator_reference: str) -> AdverseEvent:
        if adverse.submit(submitted_at, regulator_reference, self.clock()):
            self.save(adverse)
        return adverse

    # Distributor sell-out reports ----------------------------------------------------------------------------

    def report_sellout(self, distributor_id: UUID, report_reference: str, period: tuple[date, date], source: str,
                       lines: list[tuple[int, ReportedLine]],
                       read_position: Callable[[], SellOutPosition]) -> tuple[SellOutReport, bool]:
        """Record the report once per (distributor, reference); (the stored report, False) for a resubmission.

        `read_position` reads, from the lineage read model, what the distributor received and had reported of each
        lot and which hospitals are registered: only called when the report is new, and its answer is recorded.
        """
        def reported() -> SellOutReport:
            received, reported_before, known_hospitals = read_position()
            return SellOutReport(distributor_id=distributor_id, report_reference=report_reference,
                                 period={"start": period[0], "end": period[1]}, source=source,
                                 lines=flagged_lines(lines, received, reported_before, known_hospitals))
        return create_once(self, sellout_report_id(distributor_id, report_reference), reported)

    def get_sellout_report(self, report_id: UUID) -> SellOutReport | None:
        return self.get_aggregate(report_id, SellOutReport)
