"""Traceability's application layer: the event store it writes to, the unit of work its handlers run in (with the
read models its rules ask, as ports), and one module of commands per capability:

- recall_opening.py: open a recall case with the year's next number (from an adverse event too);
- recall_cases.py: notify consignees, hear back from them, count units coming back, close;
- scope_reductions.py: take lots or units out of a case's scope, four eyes;
- adverse_events.py: report an adverse event, record its submission to the regulator;
- sellout_reports.py: record a distributor's sell-out (流向) report.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.traceability.domain.adverse import AdverseEvent
from services.traceability.domain.channel_stock import ChannelInventoryReport
from services.traceability.domain.consignees import CaseConsignee
from services.traceability.domain.historical import HistoricalShipment
from services.traceability.domain.master_data import DistributorDirectory
from services.traceability.domain.master_data import MasterData as KnownLotsAndHospitals
from services.traceability.domain.recall import RecallCase
from services.traceability.domain.recall_number import RecallNumbers
from services.traceability.domain.sellout import SellOutReport
from services.traceability.domain.terminal_matching import Terminal
from services.traceability.queries.ports import SqlCaseConsignees, SqlLineage, SqlMasterData, SqlOpenRecalls
from shared.events import traceability as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.read_models import ReadModels
from shared.platform.unit_of_work import UnitOfWork


def utc_now() -> datetime:
    return datetime.now(UTC)


class TraceabilityApplication(ServiceApplication):
    service = "traceability"
    published = {
        RecallCase.Opened: contracts.RecallOpened,
        RecallCase.ConsigneeNotified: contracts.RecallConsigneeNotified,
        RecallCase.Acknowledged: contracts.RecallAcknowledged,
        RecallCase.UnitsReturned: contracts.RecallUnitsReturned,
        RecallCase.ScopeReductionProposed: contracts.RecallScopeReductionProposed,  # the scope's (domain/scope.py)
        RecallCase.ScopeReduced: contracts.RecallScopeReduced,
        RecallCase.ScopeReductionRejected: contracts.RecallScopeReductionRejected,
        RecallCase.ClosureRequested: contracts.RecallClosureRequested,
        RecallCase.Closed: contracts.RecallClosed,
        RecallNumbers.Started: contracts.RecallNumberIssued,
        RecallNumbers.Issued: contracts.RecallNumberIssued,
        AdverseEvent.Reported: contracts.AdverseEventReported,
        AdverseEvent.Submitted: contracts.AdverseEventSubmitted,
        AdverseEvent.RecallOpened: contracts.AdverseEventRecallOpened,
        SellOutReport.Reported: contracts.SellOutReported,
        SellOutReport.LineMatched: contracts.SellOutLineMatched,
        ChannelInventoryReport.Reported: contracts.ChannelInventoryReported,
        HistoricalShipment.Imported: contracts.HistoricalShipmentImported,
    }
    # The time rules are judged against ("not in the future"); tests move it.
    clock: Callable[[], datetime] = staticmethod(utc_now)


# The ports: what the rules ask the read models (implemented on them in queries/ports.py).

Lot = tuple[str, str]  # (GTIN-14, lot)


class MasterData(KnownLotsAndHospitals, DistributorDirectory, Protocol):
    """The lots traceability knows, the hospitals and distributors registered in the channel."""

    def terminals(self, names: list[str]) -> list[Terminal]:
        """The hospitals of the terminal master (with all their names) that any of these reported names may be."""


class Lineage(Protocol):
    def kit_lots_made_from(self, lots: list[dict[str, str]]) -> list[dict[str, str]]:
        """The kit lots assembled from these lots, transitively, nearest first."""

    def distributor_position(self, distributor_id: UUID, lots: list[Lot]) -> tuple[dict[Lot, int], dict[Lot, int]]:
        """Per (GTIN, lot): what the distributor received (net of returns), and what it reported sold on so far."""

    def consignee_of_shipment(self, shipment_id: UUID) -> UUID | None:
        """Whom the shipment went to (a distributor, for goods shipped through one); None if unknown here."""


class OpenRecalls(Protocol):
    def covering(self, gtin: str, lot: str, serials: list[str]) -> list[UUID]:
        """The open recalls whose scope names the lot or one of the units."""


class CaseConsignees(Protocol):
    def of_case(self, case: RecallCase, at: datetime) -> list[CaseConsignee]:
        """Every consignee of the lots and serials in the case's scope, live from the lineage, as of `at`."""


class TraceabilityUnitOfWork(UnitOfWork):
    """The unit of work with the read models traceability's rules ask. Without ports given, they are the SQL ones
    on `pool` (in the service's schema); unit tests give their own."""

    app: TraceabilityApplication

    def __init__(self, app: TraceabilityApplication, pool: ConnectionPool | None, *, deferred: bool = False,
                 master_data: MasterData | None = None, lineage: Lineage | None = None,
                 open_recalls: OpenRecalls | None = None, consignees: CaseConsignees | None = None) -> None:
        super().__init__(app, deferred=deferred)
        read = ReadModels(pool, app.schema) if pool is not None else None
        self.master_data: MasterData = master_data or SqlMasterData(read)
        self.lineage: Lineage = lineage or SqlLineage(read)
        self.open_recalls: OpenRecalls = open_recalls or SqlOpenRecalls(read)
        self.consignees: CaseConsignees = consignees or SqlCaseConsignees(read)

    def now(self) -> datetime:
        return self.app.clock()
