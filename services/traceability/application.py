"""Traceability's write side: recall cases, adverse events and distributor sell-out reports.

Rules that need the lineage read model (is this a consignee of the recall? how effective was it?) are
checked by the caller, which hands in what it read; the aggregates hold the rules on their own state.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

from services.traceability.domain.adverse import AdverseEvent
from services.traceability.domain.master_data import MasterData, registered_hospital, unknown_scope_lots
from services.traceability.domain.recall import Effectiveness, RecallCase, check_opening
from services.traceability.domain.recall_number import RecallNumbers, numbering_year, sequence_id
from services.traceability.domain.sellout import (
    ReportedLine, SellOutPosition, SellOutReport, flagged_lines, sellout_report_id,
)
from shared.events import traceability as contracts
from shared.platform.context import current_meta
from shared.platform.eventstore import IntegrityError, ServiceApplication
from shared.platform.idempotency import create_once, refuse_if_reused
from shared.platform.request_records import current_request

# Concurrent openings in one year race for its number sequence; the loser takes the next number. Each attempt is
# one transaction, so this many is far more than any burst of recalls needs.
NUMBERING_ATTEMPTS = 20


def utc_now() -> datetime:
    return datetime.now(UTC)


class TraceabilityApplication(ServiceApplication):
    service = "traceability"
    published = {
        RecallCase.Opened: contracts.RecallOpened,
        RecallCase.ConsigneeNotified: contracts.RecallConsigneeNotified,
        RecallCase.Acknowledged: contracts.RecallAcknowledged,
        RecallCase.UnitsReturned: contracts.RecallUnitsReturned,
        RecallCase.ScopeReductionProposed: contracts.RecallScopeReductionProposed,
        RecallCase.ScopeReduced: contracts.RecallScopeReduced,
        RecallCase.ScopeReductionRejected: contracts.RecallScopeReductionRejected,
        RecallCase.Closed: contracts.RecallClosed,
        RecallNumbers.Started: contracts.RecallNumberIssued,
        RecallNumbers.Issued: contracts.RecallNumberIssued,
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
                    master_data: MasterData, allow_unknown_lots: bool = False,
                    kit_lots: list[dict[str, str]] = (), adverse_event_id: UUID | None = None,
                    ) -> tuple[RecallCase, bool]:
        """Open the case once per id with the year's next recall number; (the stored case, False) when it exists.

        The case, the year's number sequence (and the adverse event it came from) are saved in one transaction, so
        this is create_once (shared/platform/idempotency.py) for several aggregates, retried when the number was
        taken meanwhile.
        """
        for _ in range(NUMBERING_ATTEMPTS):
            if self.exists(recall_id):
                return self.repository.get(recall_id), False
            check_opening(decided_at, lots, serials, self.clock())
            unknown_scope_lots(lots, master_data, allow_unknown_lots)
            linked = []
            if adverse_event_id is not None:
                adverse = self.repository.get(adverse_event_id)
                adverse.link_recall(recall_id)
                linked.append(adverse)  # both or neither: one adverse event opens one recall
            numbers = self._numbers_for(decided_at, recall_id)
            case = RecallCase.open(recall_id, title, scheme, level, reason, decided_at, lots, serials, self.clock(),
                                   adverse_event_id, kit_lots, number=numbers.issued[str(recall_id)])
            try:
                self.save(case, numbers, *linked)
            except IntegrityError:
                if not self.exists(recall_id):
                    continue  # another opening took the number: try again with the next one
                request = current_request.get()  # a concurrent retry with the same key won: as create_once does
                if request is not None:
                    refuse_if_reused(self, request)
                return self.repository.get(recall_id), False
            return case, True
        raise IntegrityError(f"no recall number could be taken in {NUMBERING_ATTEMPTS} attempts")

    def _numbers_for(self, decided_at: datetime, recall_id: UUID) -> RecallNumbers:
        year = numbering_year(decided_at)
        numbers = self.get_aggregate(sequence_id(year), RecallNumbers)
        if numbers is None:
            return RecallNumbers.first(year, recall_id)
        numbers.issue(recall_id)
        return numbers

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

    def propose_scope_reduction(self, case: RecallCase, proposal_id: UUID, lots: list[dict[str, str]],
                                serials: list[dict[str, str]], reason: str) -> bool:
        """The acting recall officer proposes it; False for a retry of the same proposal."""
        if case.propose_scope_reduction(proposal_id, lots, serials, reason, current_meta().actor):
            self.save(case)
            return True
        return False

    def approve_scope_reduction(self, case: RecallCase, proposal_id: UUID) -> RecallCase:
        """The acting recall officer approves it: never the one who proposed it."""
        if case.approve_scope_reduction(proposal_id, current_meta().actor):
            self.save(case)
        return case

    def reject_scope_reduction(self, case: RecallCase, proposal_id: UUID, reason: str) -> RecallCase:
        if case.reject_scope_reduction(proposal_id, current_meta().actor, reason):
            self.save(case)
        return case

    def close_recall(self, case: RecallCase, closed_at: datetime, summary: str,
                     effectiveness: Effectiveness) -> RecallCase:
        case.close(closed_at, summary, effectiveness, self.clock())
        self.save(case)
        return case

    # Adverse events ------------------------------------------------------------------------------------------

    def report_adverse_event(self, adverse_event_id: UUID, master_data: MasterData,
                             **fields: object) -> tuple[AdverseEvent, bool]:
        def reported() -> AdverseEvent:
            registered_hospital(fields.get("hospital_id"), master_data)
            return AdverseEvent.report(adverse_event_id, now=self.clock(), **fields)
        return create_once(self, adverse_event_id, reported)

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
