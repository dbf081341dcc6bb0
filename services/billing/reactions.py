"""Process manager: a dispatched shipment is invoiced at the prices its order agreed (application/invoicing.py)."""

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ShipmentDispatched
from shared.platform.consumer import ProcessManager
from services.billing.application import BillingUnitOfWork, invoicing


class ShipmentInvoicer(ProcessManager):
    name = "billing-shipment-invoicer"
    subscribes_to = ("inventory",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: BillingUnitOfWork) -> None:
        if isinstance(payload, ShipmentDispatched):
            invoicing.invoice_shipment(invoicing.InvoiceShipment(
                shipment_id=payload.shipment_id, order_id=payload.order_id, hospital_id=payload.ship_to_hospital_id,
                bill_to_distributor_id=payload.ship_to_distributor_id,
                lines=tuple(invoicing.ShippedLine(gtin=line.gtin, lot=line.lot, quantity=line.quantity)
                            for line in payload.lines)), uow)
