"""The billing service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.billing.api.routes import router
from services.billing.application import BillingApplication, BillingUnitOfWork
from services.billing.projections.invoice_list import InvoiceList
from services.billing.projections.order_terms import OrderTerms
from services.billing.projections.parties import KnownParties
from services.billing.reactions import ConsumptionInvoicer, RebateDiscounts, ShipmentInvoicer
from shared.platform.service import ServiceDefinition

BILLING = ServiceDefinition(
    name="billing",
    application=BillingApplication,
    # Invoices are priced from billing's own copy of the orders' terms: a read model in its schema.
    unit_of_work=lambda app, pool, deferred: BillingUnitOfWork(app, pool, deferred=deferred),
    projections=(OrderTerms, InvoiceList, KnownParties),
    process_managers=(ShipmentInvoicer, ConsumptionInvoicer, RebateDiscounts),
    routers=(router,),
    default_port=8004,
    description="Invoices, credit notes, payments and statements.",
)
