"""Billing's application layer: the event store it writes to, the unit of work its commands read through, and one
module of commands per capability: invoicing.py (an invoice per shipment, numbered, with its due date),
credit_notes.py (红字), payments.py (receipts, allocation, reversal), statements.py (对账单, confirmed or disputed),
opening.py (the open receivables taken over at go-live, 期初应收)."""

from datetime import date
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.billing.domain import (
    AgreedTerms, DocumentSeries, Invoice, OpeningReceivable, Payment, RebateAllowance, Statement,
)
from services.billing.domain.bank_statement import BankStatement
from services.billing.domain.ledger import LedgerPeriod
from services.billing.domain.two_invoices import SecondInvoice
from services.billing.settings import BillingSettings
from shared.events import billing as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.read_models import ReadModels
from shared.platform.settings import Settings
from shared.platform.unit_of_work import UnitOfWork


class BillingApplication(ServiceApplication):
    service = "billing"
    published = {
        Invoice.Raised: contracts.InvoiceRaised,
        Invoice.CreditNoteIssued: contracts.CreditNoteIssued,
        Invoice.PaymentApplied: contracts.InvoicePaymentApplied,
        Invoice.PaymentUnapplied: contracts.InvoicePaymentUnapplied,
        # An opening receivable's payments are Invoice's own events (it is an Invoice to them).
        OpeningReceivable.Recorded: contracts.OpeningReceivableRecorded,
        RebateAllowance.Opened: contracts.RebateAllowanceOpened,
        RebateAllowance.Granted: contracts.RebateAllowanceGranted,
        RebateAllowance.Applied: contracts.RebateAllowanceApplied,
        RebateAllowance.Restored: contracts.RebateAllowanceRestored,
        DocumentSeries.Opened: contracts.DocumentSeriesOpened,
        DocumentSeries.NumberIssued: contracts.DocumentNumberIssued,
        Payment.Received: contracts.PaymentReceived,
        Payment.Allocated: contracts.PaymentAllocated,
        Payment.Reversed: contracts.PaymentReversed,
        Statement.Issued: contracts.StatementIssued,
        Statement.Confirmed: contracts.StatementConfirmed,
        Statement.LineDisputed: contracts.StatementLineDisputed,
        Statement.DisputeResolved: contracts.StatementDisputeResolved,
        LedgerPeriod.Exported: contracts.LedgerPeriodExported,
        LedgerPeriod.ExportedAgain: contracts.LedgerPeriodExportedAgain,
        BankStatement.Imported: contracts.BankStatementImported,
        BankStatement.LineMatched: contracts.BankStatementLineMatched,
        SecondInvoice.Recorded: contracts.SecondInvoiceRecorded,
    }

    def __init__(self, settings: Settings | None = None, env: dict[str, str] | None = None, *,
                 in_memory: bool = False) -> None:
        super().__init__(settings, env, in_memory=in_memory)
        self.billing_settings = BillingSettings()


class OrderTermsLookup(Protocol):
    """Billing's copy of what each order agreed and of the customers' payment terms (projections/order_terms.py),
    learned from the order service's events."""

    def agreed(self, order_id: UUID) -> AgreedTerms | None: ...

    def customer_payment_terms(self, customer_id: UUID) -> int | None: ...


class Receivables(Protocol):
    """The customers' accounts as the AR read model keeps them (projections/receivables.py)."""

    def open_invoices(self, customer_id: UUID, currency: str) -> list[UUID]:
        """The customer's invoices with something open, oldest due first (then oldest issued)."""

    def statement(self, customer_id: UUID, currency: str, start: date, end: date) -> tuple[Decimal, list[dict[str, Any]]]:
        """The balance before `start`, and every movement from `start` to `end`, in date order."""

    def aging(self, customer_id: UUID, currency: str, as_of: date) -> dict[str, Decimal]:
        """The open amount per aging bucket (days past due) as of the day."""

    def invoices_numbered(self, numbers: list[str]) -> dict[str, tuple[UUID, UUID]]:
        """number -> (invoice id, customer) of the invoices with these numbers."""

    def customer_named(self, normalized: str) -> UUID | None:
        """The one customer whose name, normalized (domain/bank_statement.py), is this; None for none or several."""

    def customer_kind(self, customer_id: UUID) -> str | None:
        """hospital, distributor, or None for a party billing does not know."""

    def region_of(self, party_id: UUID) -> str | None:
        """A hospital's province, a distributor's region."""

    def cited(self, invoice_id: UUID, gtin: str, lot: str) -> int:
        """Units of the invoice's gtin and lot that second invoices (两票制) cited so far."""

    def journal(self, start: date, end: date) -> list[dict[str, Any]]:
        """Every journal line dated from start to end: entry_id, line_no, on_date, kind, number, customer_id,
        customer_name, account (a key of BILLING_LEDGER_ACCOUNTS), debit, credit."""


class BillingUnitOfWork(UnitOfWork):
    """A unit of work whose commands may ask the terms each order agreed (`order_terms`) and the customers' accounts
    (`receivables`). Without ports given, they are the SQL ones on `pool`, in the service's schema; unit tests give
    their own."""

    app: BillingApplication

    def __init__(self, app: BillingApplication, pool: ConnectionPool | None = None, *, deferred: bool = False,
                 order_terms: OrderTermsLookup | None = None, receivables: Receivables | None = None) -> None:
        super().__init__(app, deferred=deferred)
        from services.billing.queries import OrderTermsFromReadModels, ReceivablesFromReadModels

        read = ReadModels(pool, app.schema)
        self.order_terms: OrderTermsLookup = order_terms or OrderTermsFromReadModels(read)
        self.receivables: Receivables = receivables or ReceivablesFromReadModels(read, app.billing_settings)

    @property
    def settings(self) -> BillingSettings:
        return self.app.billing_settings
