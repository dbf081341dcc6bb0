"""Entry point: the billing API (`python -m services.billing.web`)."""

from services.billing.api.routes import router
from services.billing.application import BillingApplication
from services.billing.worker import PROJECTIONS
from shared.platform.api import create_service_app, serve

app = create_service_app("billing", [router], BillingApplication, read_models=PROJECTIONS,
                         description="Invoices, credit notes, payments and statements.")

if __name__ == "__main__":
    serve(app, "billing")
