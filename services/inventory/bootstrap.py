"""The inventory service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.inventory.api import fulfilments, items, kits, receiving, returns, scanning, stock, stock_control, suppliers
from services.inventory.api import consignment, retention, wms
from services.inventory.application import InventoryApplication, InventoryUnitOfWork
from services.inventory.projections.backorders import Backorders, ScheduledDeliveries
from services.inventory.projections.fulfilment_queue import FulfilmentQueue
from services.inventory.projections.consignment import ConsignmentStock
from services.inventory.projections.hospitals import HospitalProvinces
from services.inventory.projections.open_recalls import OpenRecalls
from services.inventory.projections.returns import ReturnsByReason
from services.inventory.projections.retention import LotRetention
from services.inventory.projections.serials import SerialStock
from services.inventory.projections.stock import StockOnHand
from services.inventory.projections.udi_master import UdiMaster
from services.inventory.reactions import BackorderRetries, FulfilmentPlanner, RecallHolds
from services.inventory.imports import IMPORTS
from services.inventory.settings import InventorySettings
from shared.platform.imports_api import import_router
from shared.platform.service import ServiceDefinition

INVENTORY = ServiceDefinition(
    name="inventory",
    application=InventoryApplication,
    # The rules ask the register of open recalls, the backorders and the stock expiring soon: read models in the
    # service's own schema (application/__init__.py).
    unit_of_work=lambda app, pool, deferred: InventoryUnitOfWork(app, pool, deferred=deferred),
    projections=(StockOnHand, ReturnsByReason, SerialStock, OpenRecalls, Backorders, HospitalProvinces,
                 ConsignmentStock, ScheduledDeliveries, FulfilmentQueue, UdiMaster, LotRetention),
    process_managers=(FulfilmentPlanner, RecallHolds, BackorderRetries),
    routers=tuple(module.router for module in (items, suppliers, receiving, stock, stock_control, fulfilments, returns,
                                               kits, wms, scanning, consignment, retention))
    + (import_router(IMPORTS),),
    imports=IMPORTS,
    default_port=8003,
    description="Items (UDI-DI), lots, stock, FEFO reservation and dispatch.",
    settings=(InventorySettings,),
)
