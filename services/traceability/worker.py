"""Entry point: the traceability lineage projection (`python -m services.traceability.worker`)."""

from services.traceability.projections.lineage import ShipmentLineage
from shared.platform.consumer import Handler, Projection
from shared.platform.db import new_pool
from shared.platform.process import run_consumers
from shared.platform.settings import Settings, get_settings


# The read models this service keeps (its API reads them; `erp projections` lists and rebuilds them).
PROJECTIONS: tuple[type[Projection], ...] = (ShipmentLineage,)


def handlers(settings: Settings) -> list[Handler]:
    pool = new_pool(settings, name="traceability-worker")
    return [p(pool, settings.schema_for("traceability")) for p in PROJECTIONS]


if __name__ == "__main__":
    run_consumers(lambda: handlers(get_settings()))
