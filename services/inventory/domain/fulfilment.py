"""Fulfilment of one sales order (one aggregate per order): requested, then reserved or rejected, then dispatched."""

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate


def fulfilment_id_for(order_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:fulfilment:{order_id}")


class FulfilmentStateError(Exception):
    pass


class Fulfilment(TracedAggregate):
    @event("Requested")
    def __init__(self, order_id: UUID, ship_to_hospital_id: UUID, lines: list[dict[str, Any]],
                 requested_delivery_date: date | None = None) -> None:
        # Lines may carry `min_remaining_shelf_life_days` (absent before shelf-life minimums existed).
        self.order_id = order_id
        self.requested_delivery_date = requested_delivery_date
        self.ship_to_hospital_id = ship_to_hospital_id
        self.requested = lines
        self.status = "requested"
        self.reserved: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return fulfilment_id_for(order_id)

    @event("Reserved")
    def reserve(self, order_id: UUID, lines: list[dict[str, Any]]) -> None:
        self.reserved = lines
        self.status = "reserved"

    @event("Rejected")
    def reject(self, order_id: UUID, reason: str, shortages: list[dict[str, Any]]) -> None:
        self.status = "rejected"
        self.reason = reason

    def warehouses_to_ship(self) -> list[str]:
        """One shipment per warehouse the reserved lots are in, for those not yet shipped."""
        if self.status not in ("reserved", "partially_shipped"):
            raise FulfilmentStateError(f"the fulfilment is {self.status}; only reserved stock can be dispatched")
        shipped = {s["warehouse"] for s in self.shipments}
        return sorted({line["warehouse"] for line in self.reserved} - shipped)

    def dispatch(self, shipment_id: UUID, warehouse: str, carrier: str, tracking_number: str, at: datetime) -> None:
        lines = [
            {"gtin": r["gtin"], "lot": r["lot"], "expiry": r["expiry"], "quantity": r["quantity"]}
            for r in self.reserved if r["warehouse"] == warehouse
        ]
        self._dispatched(order_id=self.order_id, shipment_id=shipment_id, ship_to_hospital_id=self.ship_to_hospital_id,
                         ship_from_warehouse=warehouse, carrier=carrier, tracking_number=tracking_number,
                         dispatched_at=at, lines=lines)

    @event("Dispatched")
    def _dispatched(self, order_id: UUID, shipment_id: UUID, ship_to_hospital_id: UUID, ship_from_warehouse: str,
                    carrier: str, tracking_number: str, dispatched_at: datetime, lines: list[dict[str, Any]]) -> None:
        self.shipments.append({"shipment_id": shipment_id, "warehouse": ship_from_warehouse, "lines": lines,
                               "carrier": carrier, "tracking_number": tracking_number})
        shipped_from = {s["warehouse"] for s in self.shipments}
        self.status = "shipped" if shipped_from >= {r["warehouse"] for r in self.reserved} else "partially_shipped"
