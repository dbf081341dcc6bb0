"""The billing service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.billing.api.accounts import router as accounts_router
from services.billing.api.bank import router as bank_router
from services.billing.api.documents import router as documents_router
from services.billing.api.two_invoices import router as two_invoices_router
from services.billing.api.ledger import router as ledger_router
from services.billing.api.payments import router as payments_router
from services.billing.api.routes import router
from services.billing.application import BillingApplication, BillingUnitOfWork
from services.billing.imports import IMPORTS
from services.billing.projections.bank_lines import BankLines
from services.billing.projections.invoice_list import InvoiceList
from services.billing.projections.order_terms import OrderTerms
from services.billing.projections.parties import KnownParties
from services.billing.projections.receivables import Receivables
from services.billing.projections.two_invoices import TwoInvoiceChains
from services.billing.reactions import ConsumptionInvoicer, RebateDiscounts, ReturnCredits, ShipmentInvoicer
from services.billing.settings import BillingSettings
from shared.platform.imports_api import import_router
from shared.platform.service import ServiceDefinition

BILLING = ServiceDefinition(
    name="billing",
    application=BillingApplication,
    # Invoices are priced from billing's own copy of the orders' terms: a read model in its schema.
    unit_of_work=lambda app, pool, deferred: BillingUnitOfWork(app, pool, deferred=deferred),
    projections=(OrderTerms, InvoiceList, KnownParties, Receivables, TwoInvoiceChains, BankLines),
    process_managers=(ShipmentInvoicer, ConsumptionInvoicer, RebateDiscounts, ReturnCredits),
    routers=(router, payments_router, accounts_router, ledger_router, bank_router, two_invoices_router,
             documents_router, import_router(IMPORTS)),
    imports=IMPORTS,
    settings=(BillingSettings,),
    default_port=8004,
    description="Invoices, credit notes, payments and statements.",
)
