from services.billing.domain.invoice import STANDARD_VAT_RATE, AgreedTerms, Invoice, invoice_id_for, price_lines

__all__ = ["STANDARD_VAT_RATE", "AgreedTerms", "Invoice", "invoice_id_for", "price_lines"]
