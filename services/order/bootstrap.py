"""The order service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.order.api.contracts import router as contracts_router
from services.order.api.credit import router as credit_router
from services.order.api.platforms import router as platforms_router
from services.order.api.quotes import router as quotes_router
from services.order.api.routes import router
from services.order.application import OrderApplication, OrderUnitOfWork
from services.order.imports import IMPORTS, SCOPE_CHECKS
from services.order.projections.catalogue import DistributorLicences, KnownItems
from services.order.projections.hospitals import KnownDistributors, KnownHospitals
from services.order.projections.contract_list import ContractList
from services.order.projections.credit_exposure import CreditExposure
from services.order.projections.order_history import OrderHistory
from services.order.projections.order_list import OrderList
from services.order.projections.price_book import PriceBook
from services.order.projections.quote_list import QuoteList
from services.order.projections.vbp_progress import VbpProgress
from services.order.reactions import OrderFulfilmentTracker, RebateGoods
from shared.platform.imports_api import import_router
from shared.platform.service import ServiceDefinition

ORDER = ServiceDefinition(
    name="order",
    application=OrderApplication,
    # A sale is checked against the order service's own copies of channel and inventory: read models in its schema.
    unit_of_work=lambda app, pool, deferred: OrderUnitOfWork(app, pool, deferred=deferred),
    projections=(KnownHospitals, KnownDistributors, OrderList, KnownItems, DistributorLicences, PriceBook, QuoteList,
                 ContractList, VbpProgress, CreditExposure, OrderHistory),
    process_managers=(OrderFulfilmentTracker, RebateGoods),
    routers=(router, quotes_router, contracts_router, credit_router, platforms_router,
             import_router(IMPORTS, SCOPE_CHECKS)),
    imports=IMPORTS,
    default_port=8001,
    description="Quotes, contracts and sales orders, priced by the one rulebook, from placement to shipment.",
)
