from services.billing.domain.allowance import RebateAllowance, allowance_id_for, discount_lines
from services.billing.domain.invoice import (
    CREDIT_REASONS, STANDARD_VAT_RATE, AgreedTerms, Invoice, invoice_id_for, price_lines,
)
from services.billing.domain.numbering import DocumentSeries, series_name
from services.billing.domain.opening import OpeningReceivable, opening_receivable_id
from services.billing.domain.payment import Payment
from services.billing.domain.statement import Statement, statement_id_for

__all__ = ["CREDIT_REASONS", "STANDARD_VAT_RATE", "AgreedTerms", "DocumentSeries", "Invoice", "OpeningReceivable",
           "Payment", "RebateAllowance", "Statement", "allowance_id_for", "discount_lines", "invoice_id_for",
           "opening_receivable_id", "price_lines", "series_name", "statement_id_for"]
