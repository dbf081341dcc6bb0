"""Billing commands: raise the invoice for a shipment."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from services.billing.domain import Invoice, invoice_id_for, price_lines
from shared.events import billing as contracts
from shared.platform.eventstore import ServiceApplication


class BillingApplication(ServiceApplication):
    service = "billing"
    published = {Invoice.Raised: contracts.InvoiceRaised}

    def plan_invoice(self, shipment_id: UUID, order_id: UUID, hospital_id: UUID, currency: str,
                     shipped: list[dict[str, Any]], unit_prices: dict[str, Decimal],
                     bill_to_distributor_id: UUID | None = None) -> list[Invoice]:
        """The invoice to save for this shipment, or nothing when it was already raised."""
        if self.exists(invoice_id_for(shipment_id)):
            return []
        lines = price_lines(shipped, unit_prices)
        return [Invoice.raise_for(shipment_id, order_id, hospital_id, currency, lines, bill_to_distributor_id)]

    def get_invoice(self, invoice_id: UUID) -> Invoice | None:
        return self.get_aggregate(invoice_id, Invoice)
