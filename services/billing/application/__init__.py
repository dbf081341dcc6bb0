"""Billing's application layer: the event store it writes to, the unit of work its commands read the orders' terms
through, and one module of commands per capability (invoicing.py: raise the invoice of a shipment)."""

from typing import Protocol
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.billing.domain import AgreedTerms, Invoice, RebateAllowance
from services.billing.queries import OrderTermsFromReadModels
from shared.events import billing as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.read_models import ReadModels
from shared.platform.unit_of_work import UnitOfWork


class BillingApplication(ServiceApplication):
    service = "billing"
    published = {
        Invoice.Raised: contracts.InvoiceRaised,
        RebateAllowance.Opened: contracts.RebateAllowanceOpened,
        RebateAllowance.Granted: contracts.RebateAllowanceGranted,
        RebateAllowance.Applied: contracts.RebateAllowanceApplied,
    }


class OrderTermsLookup(Protocol):
    """Billing's copy of what each order agreed (projections/order_terms.py), learned from the order's events."""

    def agreed(self, order_id: UUID) -> AgreedTerms | None: ...


class BillingUnitOfWork(UnitOfWork):
    """A unit of work whose commands may ask the terms each order agreed (`order_terms`). Without a port given, it is
    the SQL one on `pool`, in the service's schema; unit tests give their own."""

    app: BillingApplication

    def __init__(self, app: BillingApplication, pool: ConnectionPool | None = None, *, deferred: bool = False,
                 order_terms: OrderTermsLookup | None = None) -> None:
        super().__init__(app, deferred=deferred)
        self.order_terms: OrderTermsLookup = order_terms or OrderTermsFromReadModels(ReadModels(pool, app.schema))
