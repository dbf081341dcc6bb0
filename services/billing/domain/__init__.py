from services.billing.domain.allowance import RebateAllowance, allowance_id_for, discount_lines
from services.billing.domain.invoice import STANDARD_VAT_RATE, AgreedTerms, Invoice, invoice_id_for, price_lines

__all__ = ["STANDARD_VAT_RATE", "AgreedTerms", "Invoice", "RebateAllowance", "allowance_id_for", "discount_lines",
           "invoice_id_for", "price_lines"]
