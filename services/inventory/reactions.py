"""Process manager: an order placed in the order service becomes a FEFO reservation here."""

from datetime import UTC, datetime

from shared.events import CloudEvent, EventPayload
from shared.events.order import OrderPlaced
from shared.platform.consumer import ProcessManager
from services.inventory.application import InventoryApplication


class FulfilmentPlanner(ProcessManager):
    name = "inventory-fulfilment-planner"
    subscribes_to = ("order",)
    app: InventoryApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        if not isinstance(payload, OrderPlaced):
            return []
        lines = []
        for line in payload.lines:
            lines.append({"line_no": line.line_no, "gtin": line.gtin, "quantity": line.quantity})
            if line.min_remaining_shelf_life_days is not None:
                lines[-1]["min_remaining_shelf_life_days"] = line.min_remaining_shelf_life_days
        # Expiry is judged on the day the order was placed, so a replay decides the same way.
        today = envelope.time.astimezone(UTC).date() if envelope.time.tzinfo else datetime.now(UTC).date()
        return self.app.plan_reservation(payload.order_id, payload.hospital_id, lines, today,
                                         payload.requested_delivery_date)
