"""Entry point: inventory's read models and its reaction to placed orders (`python -m services.inventory.worker`)."""

from services.inventory.application import InventoryApplication
from services.inventory.projections.stock import StockOnHand
from services.inventory.projections.returns import ReturnsByReason
from services.inventory.projections.backorders import Backorders
from services.inventory.projections.open_recalls import OpenRecalls
from services.inventory.projections.serials import SerialStock
from services.inventory.reactions import BackorderRetries, FulfilmentPlanner, RecallHolds
from shared.platform.consumer import Handler, Projection
from shared.platform.db import new_pool
from shared.platform.process import run_consumers
from shared.platform.settings import Settings, get_settings


# The read models this service keeps (its API reads them; `erp projections` lists and rebuilds them).
PROJECTIONS: tuple[type[Projection], ...] = (StockOnHand, ReturnsByReason, SerialStock, OpenRecalls, Backorders)


def handlers(settings: Settings) -> list[Handler]:
    pool = new_pool(settings, name="inventory-worker")
    schema = settings.schema_for("inventory")
    return [*(p(pool, schema) for p in PROJECTIONS), FulfilmentPlanner(InventoryApplication(settings), pool),
            RecallHolds(InventoryApplication(settings), pool), BackorderRetries(InventoryApplication(settings), pool)]


if __name__ == "__main__":
    run_consumers(lambda: handlers(get_settings()))
