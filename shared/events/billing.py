"""Events produced by the billing service (topic `billing.events`)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import (
    GTIN, CurrencyCode, EventPayload, LotNumber, Money, NoneIsEmpty, Quantity, ValueObject,
)


class InvoiceLine(ValueObject):
    gtin: GTIN
    lot: LotNumber
    quantity: Quantity
    unit_price: Money
    net_amount: Money
    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    vat_amount: Money
    gross_amount: Money


class InvoiceDiscount(ValueObject):
    """A rebate settled as an invoice discount (票折): a negative line at one VAT rate, reducing the VAT base."""

    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    net_amount: Money = Field(le=0)
    vat_amount: Money = Field(le=0)
    gross_amount: Money = Field(le=0)
    settlements: list[str] = Field(min_length=1, description="the rebate settlements it pays (account:settlement)")


class InvoiceRaised(EventPayload):
    producer: ClassVar[str] = "billing"
    event_name: ClassVar[str] = "InvoiceRaised"
    subject_field: ClassVar[str] = "invoice_id"

    invoice_id: UUID
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID = Field(description="the hospital the goods are for")
    bill_to_distributor_id: UUID | None = Field(
        None, description="set when the goods went through this distributor: it is invoiced (the first of the"
                          " 两票制 two invoices; it invoices the hospital itself); absent: the hospital is invoiced")
    currency: CurrencyCode
    lines: list[InvoiceLine] = Field(min_length=1)
    discounts: Annotated[list[InvoiceDiscount], NoneIsEmpty] = Field(
        default_factory=list, description="rebates settled as 票折 on this invoice (negative amounts, one per VAT rate):"
                                          " they reduce its VAT base; the totals are net of them")
    net_total: Money
    vat_total: Money
    gross_total: Money
    number: str | None = Field(None, max_length=40, description="from the gap-free series INV-<year> (absent on"
                                                                " invoices raised before numbering)")
    issued_on: date | None = Field(None, description="the business day in China it was raised")
    due_on: date | None = Field(None, description="issued_on plus the payment terms")
    payment_terms_days: int | None = Field(None, ge=0, le=720)
    payment_terms_source: str | None = Field(None, max_length=80, description="contract:<id>, customer (its"
                                                                               " default) or default (billing's)")


class RebateAllowanceEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "allowance_id"
    allowance_id: UUID = Field(description="one per distributor: its rebates approved as invoice discounts (票折)")
    distributor_id: UUID


class RebateAllowanceOpened(RebateAllowanceEvent):
    event_name: ClassVar[str] = "RebateAllowanceOpened"


class RebateAllowanceGranted(RebateAllowanceEvent):
    """A rebate settlement approved as 票折 (channel's RebateSettlementApproved): deducted from the next invoices."""

    event_name: ClassVar[str] = "RebateAllowanceGranted"
    settlement: str = Field(min_length=1, max_length=200, description="account:settlement number, once")
    amount: Money = Field(gt=0, description="tax-inclusive (含税)")


class RebateAllowanceApplied(RebateAllowanceEvent):
    """Part or all of the allowance deducted on an invoice (its `discounts`)."""

    event_name: ClassVar[str] = "RebateAllowanceApplied"
    invoice_id: UUID
    amount: Money = Field(gt=0)
    settlements: list[str] = Field(min_length=1)


class RebateAllowanceRestored(RebateAllowanceEvent):
    """An invoice's 票折 given back to the allowance: a full credit note (红冲) reversed the invoice and its discount,
    so the rebate is still owed and the next invoice deducts it (first)."""

    event_name: ClassVar[str] = "RebateAllowanceRestored"
    invoice_id: UUID
    credit_note_number: str = Field(min_length=1, max_length=40, description="the credit note that reversed it")
    amount: Money = Field(gt=0, description="tax-inclusive (含税)")


# --- credit notes and payments on an invoice (services/billing/domain/invoice.py) ----------------------------------

class InvoiceEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "invoice_id"
    invoice_id: UUID


class CreditNoteLine(ValueObject):
    line_no: int = Field(ge=1, description="the invoice line it takes back (in the invoice's line order)")
    gtin: GTIN
    lot: LotNumber
    quantity: int = Field(ge=0, description="units taken back; 0 for an allowance or a price correction")
    net_amount: Money = Field(lt=0)
    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    vat_amount: Money = Field(le=0)
    gross_amount: Money = Field(lt=0)


class ReversedDiscount(ValueObject):
    """A 票折 line of the invoice, reversed by a full credit note: positive, since it adds back what the discount took
    off (a red invoice mirrors the blue one, its discount line too)."""

    vat_rate: Decimal = Field(ge=0, le=1, decimal_places=4)
    net_amount: Money = Field(ge=0)
    vat_amount: Money = Field(ge=0)
    gross_amount: Money = Field(ge=0)
    settlements: list[str] = Field(min_length=1, description="the rebate settlements the discount had paid")


class CreditNoteIssued(InvoiceEvent):
    """A red-letter credit note (红字发票) citing the invoice: negative lines, none beyond what is left of its line;
    it lowers what the customer owes."""

    event_name: ClassVar[str] = "CreditNoteIssued"
    credit_note_id: UUID
    number: str = Field(min_length=1, max_length=40, description="from the gap-free series CN-<year>")
    reason: Literal["return", "sales_allowance", "invoicing_error", "other"]
    lines: list[CreditNoteLine] = Field(min_length=1)
    discounts: Annotated[list[ReversedDiscount], NoneIsEmpty] = Field(
        default_factory=list, description="a full credit note's reversal of the invoice's 票折 lines (the totals"
                                          " include them)")
    net_total: Money = Field(lt=0)
    vat_total: Money = Field(le=0)
    gross_total: Money = Field(lt=0)
    issued_on: date
    note: str | None = Field(None, max_length=500)


class InvoicePaymentApplied(InvoiceEvent):
    """Part of a payment paid this invoice (the payment's PaymentAllocated, seen from the invoice)."""

    event_name: ClassVar[str] = "InvoicePaymentApplied"
    payment_id: UUID
    amount: Money = Field(gt=0)
    applied_on: date


class InvoicePaymentUnapplied(InvoiceEvent):
    """A reversed payment no longer pays this invoice: the amount is open again."""

    event_name: ClassVar[str] = "InvoicePaymentUnapplied"
    payment_id: UUID
    amount: Money = Field(gt=0)
    reason: str = Field(min_length=1, max_length=500)
    unapplied_on: date


class OpeningReceivableRecorded(InvoiceEvent):
    """A customer's invoice from the system before go-live, still unpaid (期初应收), recorded so that the account,
    the aging, dunning, statements and payment allocation are right from the first day. Payments and reversals apply
    to it as to an invoice (InvoicePaymentApplied and InvoicePaymentUnapplied name it as `invoice_id`).

    It is no sale of this system: no goods, no lines, no revenue or VAT to book (the old ledger booked them), and its
    number is the old system's, outside the INV series; consumers counting sales must not count it."""

    event_name: ClassVar[str] = "OpeningReceivableRecorded"
    customer_id: UUID = Field(description="the party billed")
    customer_kind: Literal["hospital", "distributor"]
    legacy_number: str = Field(min_length=1, max_length=40, description="the old system's invoice number (发票号码)")
    currency: CurrencyCode
    issued_on: date
    due_on: date
    payment_terms_days: int | None = Field(None, ge=0, le=720, description="when the due date came from terms")
    outstanding: Money = Field(gt=0, description="what was open of it at go-live, tax-inclusive (含税)")
    original_gross: Money | None = Field(None, gt=0, description="the invoice's whole amount, when known (含税)")
    note: str | None = Field(None, max_length=500)


# --- gap-free document numbers (services/billing/domain/numbering.py) ---------------------------------------------

class DocumentSeriesEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "series_id"
    series_id: UUID


class DocumentSeriesOpened(DocumentSeriesEvent):
    event_name: ClassVar[str] = "DocumentSeriesOpened"
    series: str = Field(min_length=1, max_length=40)


class DocumentNumberIssued(DocumentSeriesEvent):
    """The next number of the series, given to one document: the series' log is its continuity."""

    event_name: ClassVar[str] = "DocumentNumberIssued"
    document_id: UUID
    number: str = Field(min_length=1, max_length=40)


# --- payments (services/billing/domain/payment.py) -----------------------------------------------------------------

class PaymentEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "payment_id"
    payment_id: UUID


class PaymentReceived(PaymentEvent):
    """Money received from a customer (收款): booked in the account's currency (at the rate given, when paid in
    another)."""

    event_name: ClassVar[str] = "PaymentReceived"
    customer_id: UUID
    amount: Money = Field(gt=0, description="as paid, in `currency`")
    currency: CurrencyCode
    received_on: date
    bank_reference: str = Field(min_length=1, max_length=100)
    payer: str = Field(min_length=1, max_length=200, description="the payer's name as the bank shows it")
    booked: Money = Field(gt=0, description="in the account's currency")
    account_currency: CurrencyCode
    exchange_rate: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=8)
    source: Literal["manual", "bank_statement"] = "manual"


class PaymentAllocated(PaymentEvent):
    """Part of the payment allocated to one of its customer's invoices."""

    event_name: ClassVar[str] = "PaymentAllocated"
    invoice_id: UUID
    amount: Money = Field(gt=0)
    allocated_on: date


class ReversedAllocation(ValueObject):
    invoice_id: UUID
    amount: Money = Field(gt=0)


class PaymentReversed(PaymentEvent):
    """The payment bounced (or was recorded in error): every allocation it made is taken back; the reason is the
    event's and the request's."""

    event_name: ClassVar[str] = "PaymentReversed"
    reason: str = Field(min_length=1, max_length=500)
    reversed_on: date
    allocations: list[ReversedAllocation] = Field(default_factory=list)


# --- statements (对账单, services/billing/domain/statement.py) ------------------------------------------------------

class StatementEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "statement_id"
    statement_id: UUID


class StatementLine(ValueObject):
    line_no: int = Field(ge=1)
    kind: Literal["invoice", "credit_note", "payment", "payment_reversal"]
    document_id: UUID = Field(description="the invoice (for an invoice or its credit note), or the payment")
    number: str = Field(max_length=100, description="the invoice's or credit note's number, the payment's bank"
                                                    " reference")
    on: date
    due_on: date | None = None
    amount: Money = Field(description="what it adds to the balance (a credit note or a payment: negative)")


class StatementIssued(StatementEvent):
    """A statement of the customer's account for a period, sent to the customer."""

    event_name: ClassVar[str] = "StatementIssued"
    customer_id: UUID
    currency: CurrencyCode
    period_start: date
    period_end: date
    opening_balance: Money
    closing_balance: Money
    lines: list[StatementLine] = Field(max_length=5000)
    aging: dict[str, Money] = Field(description="bucket -> open amount at period end, by days past due")


class StatementConfirmed(StatementEvent):
    event_name: ClassVar[str] = "StatementConfirmed"
    confirmed_by: str = Field(min_length=1, max_length=200)


class StatementLineDisputed(StatementEvent):
    """The customer disputes a line (the reason is the event's): the document stays out of dunning."""

    event_name: ClassVar[str] = "StatementLineDisputed"
    line_no: int = Field(ge=1)
    document_id: UUID
    reason: str = Field(min_length=1, max_length=500)


class StatementDisputeResolved(StatementEvent):
    event_name: ClassVar[str] = "StatementDisputeResolved"
    line_no: int = Field(ge=1)
    document_id: UUID
    outcome: Literal["upheld", "rejected"]
    note: str = Field(min_length=1, max_length=500)


# --- the ledger export (services/billing/domain/ledger.py) ---------------------------------------------------------

class LedgerPeriodEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "ledger_period_id"
    ledger_period_id: UUID


class LedgerPeriodExported(LedgerPeriodEvent):
    """A month's journal was exported for the accounting system: the period is marked."""

    event_name: ClassVar[str] = "LedgerPeriodExported"
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    vouchers: int = Field(ge=0)
    lines: int = Field(ge=0)
    debit_total: Money
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the exported lines, to tell exports apart")


class LedgerPeriodExportedAgain(LedgerPeriodEvent):
    """A month exported again, on purpose (the reason is the event's)."""

    event_name: ClassVar[str] = "LedgerPeriodExportedAgain"
    vouchers: int = Field(ge=0)
    lines: int = Field(ge=0)
    debit_total: Money
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    reason: str = Field(min_length=1, max_length=500)


# --- bank statements (services/billing/domain/bank_statement.py) ---------------------------------------------------

class BankStatementEvent(EventPayload):
    producer: ClassVar[str] = "billing"
    subject_field: ClassVar[str] = "statement_id"
    statement_id: UUID


class BankLine(ValueObject):
    line_no: int = Field(ge=1)
    row: int = Field(ge=2, description="the file's row")
    on: date
    amount: Money = Field(gt=0)
    payer: str = Field(min_length=1, max_length=200)
    memo: str = Field(max_length=500)
    bank_reference: str = Field(min_length=1, max_length=100)
    customer_id: UUID | None = Field(None, description="absent: matched to nobody, in the review queue")
    matched_by: Literal["invoice_number", "payer", "review"] | None = None
    invoice_ids: list[UUID] = Field(default_factory=list, description="the invoices its memo names")


class BankStatementImported(BankStatementEvent):
    """A bank statement's credit lines, each matched to a customer or left for review; the matched ones become
    payments (PaymentReceived, source bank_statement)."""

    event_name: ClassVar[str] = "BankStatementImported"
    digest: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file: the same file, the same statement")
    filename: str = Field(max_length=200)
    lines: list[BankLine] = Field(max_length=5000)


class BankStatementLineMatched(BankStatementEvent):
    """Finance named the customer of a line nobody matched (the reason is the event's)."""

    event_name: ClassVar[str] = "BankStatementLineMatched"
    line_no: int = Field(ge=1)
    customer_id: UUID


# --- the two-invoice chain (两票制, services/billing/domain/two_invoices.py) ----------------------------------------

class SecondInvoiceLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    lot: LotNumber
    quantity: Quantity
    first_invoice_number: str | None = Field(None, max_length=40, description="our invoice it cites")
    first_invoice_id: UUID | None = None
    flag: Literal["no-first-invoice", "third-invoice", "lot-not-on-first-invoice",
                  "quantity-exceeds-first-invoice"] | None = Field(
        None, description="where the chain breaks (only where the hospital's province applies the rule)")


class SecondInvoiceRecorded(EventPayload):
    """A distributor's invoice to a hospital (the second of 两票制), with the first invoice each line cites."""

    producer: ClassVar[str] = "billing"
    event_name: ClassVar[str] = "SecondInvoiceRecorded"
    subject_field: ClassVar[str] = "second_invoice_id"
    second_invoice_id: UUID
    distributor_id: UUID
    number: str = Field(min_length=1, max_length=40, description="the distributor's invoice number")
    hospital_id: UUID
    issued_on: date
    province: str | None = Field(None, max_length=100)
    rule_applies: bool = Field(description="the hospital's province applies the two-invoice rule")
    lines: list[SecondInvoiceLine] = Field(min_length=1, max_length=500)
