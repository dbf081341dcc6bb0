"""The order service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.order.api.routes import router
from services.order.application import OrderApplication, OrderUnitOfWork
from services.order.projections.catalogue import DistributorLicences, KnownItems
from services.order.projections.hospitals import KnownDistributors, KnownHospitals
from services.order.projections.order_list import OrderList
from services.order.reactions import OrderFulfilmentTracker
from shared.platform.service import ServiceDefinition

ORDER = ServiceDefinition(
    name="order",
    application=OrderApplication,
    # A sale is checked against the order service's own copies of channel and inventory: read models in its schema.
    unit_of_work=lambda app, pool, deferred: OrderUnitOfWork(app, pool, deferred=deferred),
    projections=(KnownHospitals, KnownDistributors, OrderList, KnownItems, DistributorLicences),
    process_managers=(OrderFulfilmentTracker,),
    routers=(router,),
    default_port=8001,
    description="Sales orders from placement to shipment.",
)
