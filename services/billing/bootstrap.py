"""The billing service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.billing.api.routes import router
from services.billing.application import BillingApplication
from services.billing.projections.invoice_list import InvoiceList
from services.billing.projections.order_terms import OrderTerms
from services.billing.projections.parties import KnownParties
from services.billing.reactions import ShipmentInvoicer
from shared.platform.service import ServiceDefinition
from shared.platform.unit_of_work import UnitOfWork

BILLING = ServiceDefinition(
    name="billing",
    application=BillingApplication,
    unit_of_work=lambda app, pool, deferred: UnitOfWork(app, deferred=deferred),
    projections=(OrderTerms, InvoiceList, KnownParties),
    process_managers=(ShipmentInvoicer,),
    routers=(router,),
    default_port=8004,
    description="Invoices, credit notes, payments and statements.",
)
