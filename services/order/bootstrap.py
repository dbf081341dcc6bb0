"""The order service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.order.api.routes import router
from services.order.application import OrderApplication
from services.order.projections.catalogue import DistributorLicences, KnownItems
from services.order.projections.hospitals import KnownDistributors, KnownHospitals
from services.order.projections.order_list import OrderList
from services.order.reactions import OrderFulfilmentTracker
from shared.platform.service import ServiceDefinition
from shared.platform.unit_of_work import UnitOfWork

ORDER = ServiceDefinition(
    name="order",
    application=OrderApplication,
    unit_of_work=lambda app, pool, deferred: UnitOfWork(app, deferred=deferred),
    projections=(KnownHospitals, KnownDistributors, OrderList, KnownItems, DistributorLicences),
    process_managers=(OrderFulfilmentTracker,),
    routers=(router,),
    default_port=8001,
    description="Sales orders from placement to shipment.",
)
