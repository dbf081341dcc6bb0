"""Entry point: order's read models and its fulfilment tracking (`python -m services.order.worker`)."""

from services.order.application import OrderApplication
from services.order.projections.catalogue import DistributorLicences, KnownItems
from services.order.projections.hospitals import KnownDistributors, KnownHospitals
from services.order.projections.order_list import OrderList
from services.order.reactions import OrderFulfilmentTracker
from shared.platform.consumer import Handler, Projection
from shared.platform.db import new_pool
from shared.platform.process import run_consumers
from shared.platform.settings import Settings, get_settings


# The read models this service keeps (its API reads them; `erp projections` lists and rebuilds them).
PROJECTIONS: tuple[type[Projection], ...] = (KnownHospitals, KnownDistributors, OrderList, KnownItems,
                                              DistributorLicences)


def handlers(settings: Settings) -> list[Handler]:
    pool = new_pool(settings, name="order-worker")
    schema = settings.schema_for("order")
    return [*(p(pool, schema) for p in PROJECTIONS), OrderFulfilmentTracker(OrderApplication(settings), pool)]


if __name__ == "__main__":
    run_consumers(lambda: handlers(get_settings()))
