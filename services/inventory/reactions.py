"""Process manager: an order placed in the order service becomes a FEFO reservation here."""

from datetime import UTC, datetime

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import LotHoldReleased, LotInspected
from shared.events.order import OrderPlaced
from shared.events.traceability import RecallClosed, RecallOpened, RecallScopeReduced
from shared.platform.consumer import ProcessManager
from services.inventory.application import InventoryApplication
from services.inventory.projections.backorders import backordered


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


class BackorderRetries(ProcessManager):
    """Stock released by quality (an inspection, or a hold released) is offered to the orders backordered for that
    item, oldest first: each one that can now be reserved in full is (the order follows from backordered to
    reserved); the others wait for the next release."""

    name = "inventory-backorder-retries"
    subscribes_to = ("inventory",)
    app: InventoryApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        released = (isinstance(payload, LotInspected) and payload.result == "released") or isinstance(payload, LotHoldReleased)
        if not released:
            return []
        waiting = backordered(self.pool, self.schema, payload.gtin)
        if not waiting:
            return []
        # Judged on the day of the release, so a replay decides the same way.
        return self.app.plan_backorder_retries(waiting, envelope.time.astimezone(UTC).date())


class RecallHolds(ProcessManager):
    """Recalls opened in traceability stop their lots and units here, so they are neither reserved, picked, moved
    nor shipped; the stop lifts when the recall closes or an approved decision takes them out of its scope (a lot
    then stays on hold until quality releases it)."""

    name = "inventory-recall-holds"
    subscribes_to = ("traceability",)
    app: InventoryApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        match payload:
            case RecallOpened():
                reason = f"recall {payload.number or payload.title} ({payload.recall_id}): {payload.reason}"[:500]
                # Kit lots made from a recalled lot are recalled too.
                scope = _by_gtin([*payload.lots, *payload.kit_lots], payload.serials)
                return self._change(scope, lambda item, lots, serials: item.stop_for_recall(
                    str(payload.recall_id), lots, serials, reason))
            case RecallScopeReduced():
                reason = f"taken out of the recall's scope: {payload.reason}"[:500]
                return self._change(_by_gtin(payload.lots, payload.serials), lambda item, lots, serials: item.lift_recall(
                    str(payload.recall_id), lots, serials, "removed_from_scope", reason))
            case RecallClosed() if payload.lots is not None or payload.serials is not None:
                scope = _by_gtin(payload.lots or [], payload.serials or [])
                return self._change(scope, lambda item, lots, serials: item.lift_recall(
                    str(payload.recall_id), lots, serials, "recall_closed", f"recall closed: {payload.summary}"[:500]))
        return []

    def _change(self, scope: dict[str, tuple[list[str], list[str]]], change) -> list:  # noqa: ANN001
        changed = []
        for gtin, (lots, serials) in sorted(scope.items()):
            item = self.app.item_by_gtin(gtin)
            if item is not None and change(item, lots, serials):  # an item this inventory never held: nothing to stop
                changed.append(item)
        return changed


def _by_gtin(lots: list, serials: list) -> dict[str, tuple[list[str], list[str]]]:
    scope: dict[str, tuple[list[str], list[str]]] = {}
    for ref in lots:
        scope.setdefault(ref.gtin, ([], []))[0].append(ref.lot)
    for unit in serials:
        scope.setdefault(unit.gtin, ([], []))[1].append(unit.serial)
    return scope
