"""Entry point: the order API (`python -m services.order.web`)."""

from services.order.api.routes import router
from services.order.application import OrderApplication
from services.order.worker import PROJECTIONS
from shared.platform.api import create_service_app, serve

app = create_service_app("order", [router], OrderApplication, read_models=PROJECTIONS,
                         description="Sales orders from placement to shipment.")

if __name__ == "__main__":
    serve(app, "order")
