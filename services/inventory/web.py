"""Entry point: the inventory API (`python -m services.inventory.web`)."""

from services.inventory.api.routes import router
from services.inventory.api.outbound import router as outbound_router
from services.inventory.api.scanning import router as scanning_router
from services.inventory.api.stock_control import router as stock_control_router
from services.inventory.application import InventoryApplication
from services.inventory.worker import PROJECTIONS
from shared.platform.api import create_service_app, serve

app = create_service_app("inventory", [router, scanning_router, outbound_router, stock_control_router], InventoryApplication, read_models=PROJECTIONS,
                         description="Items (UDI-DI), lots, stock, FEFO reservation and dispatch.")

if __name__ == "__main__":
    serve(app, "inventory")
