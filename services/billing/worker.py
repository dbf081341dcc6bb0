"""Entry point: billing's read models and invoicing of shipments (`python -m services.billing.worker`)."""

from services.billing.application import BillingApplication
from services.billing.projections.invoice_list import InvoiceList
from services.billing.projections.order_terms import OrderTerms
from services.billing.projections.parties import KnownParties
from services.billing.reactions import ShipmentInvoicer
from shared.platform.consumer import Handler, Projection
from shared.platform.db import new_pool
from shared.platform.process import run_consumers
from shared.platform.settings import Settings, get_settings


# The read models this service keeps (its API reads them; `erp projections` lists and rebuilds them).
PROJECTIONS: tuple[type[Projection], ...] = (OrderTerms, InvoiceList, KnownParties)


def handlers(settings: Settings) -> list[Handler]:
    pool = new_pool(settings, name="billing-worker")
    schema = settings.schema_for("billing")
    return [*(p(pool, schema) for p in PROJECTIONS), ShipmentInvoicer(BillingApplication(settings), pool)]


if __name__ == "__main__":
    run_consumers(lambda: handlers(get_settings()))
