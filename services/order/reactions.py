"""Process manager: the order's status follows what inventory did with it."""

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ShipmentDispatched, StockReservationRejected, StockReserved
from shared.platform.consumer import ProcessManager
from services.order.application import OrderApplication


class OrderFulfilmentTracker(ProcessManager):
    name = "order-fulfilment-tracker"
    subscribes_to = ("inventory",)
    app: OrderApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        match payload:
            case StockReserved():
                order = self.app.get_order(payload.order_id)
                if order is None or order.status not in ("placed", "backordered"):
                    return []
                order.mark_reserved([
                    {"gtin": line.gtin, "lot": line.lot, "expiry": line.expiry, "quantity": line.quantity}
                    for line in payload.lines
                ])
                return [order]
            case StockReservationRejected():
                order = self.app.get_order(payload.order_id)
                if order is None or order.status != "placed":
                    return []
                shortages = ", ".join(f"{s.gtin}: {s.available} of {s.requested} available" for s in payload.shortages)
                order.backorder(f"{payload.reason} ({shortages})")
                return [order]
            case ShipmentDispatched():
                order = self.app.get_order(payload.order_id)
                if order is None or not order.record_shipment(payload.shipment_id):
                    return []
                return [order]
        return []
