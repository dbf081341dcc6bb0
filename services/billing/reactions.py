"""Process manager: a dispatched shipment is invoiced at the prices its order agreed."""

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ShipmentDispatched
from shared.platform.consumer import ProcessManager, RetryLater
from services.billing.application import BillingApplication
from services.billing.projections.order_terms import load_terms


class OrderTermsNotYetKnownError(RetryLater):
    """The shipment arrived before its order's terms: retried (the partition waits) until they arrive."""


class ShipmentInvoicer(ProcessManager):
    name = "billing-shipment-invoicer"
    subscribes_to = ("inventory",)
    app: BillingApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        if not isinstance(payload, ShipmentDispatched):
            return []
        with self.pool.connection() as conn, conn.cursor() as cur:
            terms = load_terms(cur, self.schema, payload.order_id)
        if terms is None:
            raise OrderTermsNotYetKnownError(f"order {payload.order_id} of shipment {payload.shipment_id}")
        currency, unit_prices = terms
        shipped = [{"gtin": line.gtin, "lot": line.lot, "quantity": line.quantity} for line in payload.lines]
        # Goods delivered through a distributor are invoiced to it (两票制: it invoices the hospital in turn).
        return self.app.plan_invoice(payload.shipment_id, payload.order_id, payload.ship_to_hospital_id, currency,
                                     shipped, unit_prices, payload.ship_to_distributor_id)
