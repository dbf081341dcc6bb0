"""The inventory service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.inventory.api.outbound import router as outbound_router
from services.inventory.api.routes import router
from services.inventory.api.scanning import router as scanning_router
from services.inventory.api.stock_control import router as stock_control_router
from services.inventory.application import InventoryApplication
from services.inventory.projections.backorders import Backorders
from services.inventory.projections.open_recalls import OpenRecalls
from services.inventory.projections.returns import ReturnsByReason
from services.inventory.projections.serials import SerialStock
from services.inventory.projections.stock import StockOnHand
from services.inventory.reactions import BackorderRetries, FulfilmentPlanner, RecallHolds
from shared.platform.service import ServiceDefinition
from shared.platform.unit_of_work import UnitOfWork

INVENTORY = ServiceDefinition(
    name="inventory",
    application=InventoryApplication,
    unit_of_work=lambda app, pool, deferred: UnitOfWork(app, deferred=deferred),
    projections=(StockOnHand, ReturnsByReason, SerialStock, OpenRecalls, Backorders),
    process_managers=(FulfilmentPlanner, RecallHolds, BackorderRetries),
    routers=(router, scanning_router, outbound_router, stock_control_router),
    default_port=8003,
    description="Items (UDI-DI), lots, stock, FEFO reservation and dispatch.",
)
