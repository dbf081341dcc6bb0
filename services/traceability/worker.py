"""Entry point: traceability's read models and its reaction to returns (`python -m services.traceability.worker`)."""

from services.traceability.application import TraceabilityApplication
from services.traceability.projections.history import LotHistory
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.projections.lots import LotCatalogue
from services.traceability.projections.recalls import RecallCases
from services.traceability.reactions import RecallReturns
from shared.platform.consumer import Handler, Projection
from shared.platform.db import new_pool
from shared.platform.process import run_consumers
from shared.platform.settings import Settings, get_settings


# The read models this service keeps (its API reads them; `erp projections` lists and rebuilds them).
PROJECTIONS: tuple[type[Projection], ...] = (ShipmentLineage, RecallCases, LotHistory, LotCatalogue)


def handlers(settings: Settings) -> list[Handler]:
    pool = new_pool(settings, name="traceability-worker")
    return [*(p(pool, settings.schema_for("traceability")) for p in PROJECTIONS),
            RecallReturns(TraceabilityApplication(settings), pool)]


if __name__ == "__main__":
    run_consumers(lambda: handlers(get_settings()))
