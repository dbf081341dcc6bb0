"""Entry point: the traceability lineage projection (`python -m services.traceability.worker`)."""

from services.traceability.projections.lineage import ShipmentLineage
from shared.platform.consumer import Handler
from shared.platform.db import new_pool
from shared.platform.process import run_consumers
from shared.platform.settings import Settings, get_settings


def handlers(settings: Settings) -> list[Handler]:
    pool = new_pool(settings, name="traceability-worker")
    return [ShipmentLineage(pool, settings.schema_for("traceability"))]


if __name__ == "__main__":
    run_consumers(lambda: handlers(get_settings()))
