"""Process manager: an order placed in the order service becomes a FEFO reservation here."""

from datetime import UTC, datetime

from shared.events import CloudEvent, EventPayload
from shared.events.order import OrderPlaced
from shared.events.traceability import RecallOpened
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
                                         payload.requested_delivery_date, payload.ship_to_distributor_id)


class RecallHolds(ProcessManager):
    """A recall opened in traceability puts its lots on hold here, so they are neither reserved nor shipped."""

    name = "inventory-recall-holds"
    subscribes_to = ("traceability",)
    app: InventoryApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        if not isinstance(payload, RecallOpened):
            return []
        reason = f"recall {payload.title} ({payload.recall_id}): {payload.reason}"[:500]
        changed = {}
        for ref in [*payload.lots, *payload.kit_lots]:  # kit lots made from a recalled lot are recalled too
            item = changed.get(ref.gtin) or self.app.item_by_gtin(ref.gtin)
            if item is None or not item.lots_numbered(ref.lot) or all(s.held for s in item.lots_numbered(ref.lot)):
                continue  # not a lot this inventory holds (or already held): nothing to stop here
            item.hold_lot(ref.lot, reason)
            changed[ref.gtin] = item
        return list(changed.values())
