"""A sales order to a hospital (delivered direct or through a distributor); its status follows fulfilment: placed -> reserved -> shipped (or backordered)."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate


class OrderStateError(RuleViolation):
    """The order's status does not allow the step (e.g. backordering a shipped order): a 409 like any rule."""

    def __init__(self, detail: str) -> None:
        super().__init__("order-status", detail)


class SalesOrder(TracedAggregate):
    @event("Placed")
    def __init__(self, order_id: UUID, hospital_id: UUID, customer_reference: str | None, currency: str,
                 lines: list[dict[str, Any]], requested_delivery_date: date | None = None,
                 ship_to_distributor_id: UUID | None = None) -> None:
        # Lines may carry `min_remaining_shelf_life_days`; orders placed before it existed have neither it nor a
        # requested delivery date nor a distributor (replayed with the defaults).
        self.hospital_id = hospital_id
        self.ship_to_distributor_id = ship_to_distributor_id
        self.requested_delivery_date = requested_delivery_date
        self.customer_reference = customer_reference
        self.currency = currency
        self.lines = lines
        self.status = "placed"
        self.allocations: list[dict[str, Any]] = []
        self.shipment_ids: list[UUID] = []
        self.backorder_reason: str | None = None

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return order_id

    @classmethod
    def place(cls, order_id: UUID, hospital_id: UUID, customer_reference: str | None, currency: str,
              lines: list[dict[str, Any]], requested_delivery_date: date | None = None,
              ship_to_distributor_id: UUID | None = None) -> "SalesOrder":
        """The order as accepted (the checks before acceptance: compliance.py), its lines numbered from 1."""
        numbered = []
        for n, line in enumerate(lines, start=1):
            numbered.append({"line_no": n, "gtin": line["gtin"], "quantity": line["quantity"],
                             "unit_price": Decimal(line["unit_price"])})
            if line.get("min_remaining_shelf_life_days") is not None:
                numbered[-1]["min_remaining_shelf_life_days"] = line["min_remaining_shelf_life_days"]
        optional: dict[str, Any] = {"requested_delivery_date": requested_delivery_date} if requested_delivery_date else {}
        if ship_to_distributor_id is not None:
            optional["ship_to_distributor_id"] = ship_to_distributor_id
        return cls(order_id=order_id, hospital_id=hospital_id, customer_reference=customer_reference,
                   currency=currency, lines=numbered, **optional)

    def mark_reserved(self, allocations: list[dict[str, Any]]) -> None:
        """A placed order is reserved; so is a backordered one when released stock covers it later."""
        if self.status not in ("placed", "backordered"):
            raise OrderStateError(f"order is {self.status}; only a placed or backordered order can be reserved")
        self._reserved(allocations=allocations)

    @event("Reserved")
    def _reserved(self, allocations: list[dict[str, Any]]) -> None:
        self.allocations = allocations
        self.status = "reserved"

    def backorder(self, reason: str) -> None:
        if self.status != "placed":
            raise OrderStateError(f"order is {self.status}; only a placed order can be backordered")
        self._backordered(reason=reason)

    @event("Backordered")
    def _backordered(self, reason: str) -> None:
        self.backorder_reason = reason
        self.status = "backordered"

    def record_shipment(self, shipment_id: UUID) -> bool:
        """False when this shipment is already recorded (nothing to do)."""
        if shipment_id in self.shipment_ids:
            return False
        if self.status not in ("reserved", "shipped"):
            raise OrderStateError(f"order is {self.status}; only a reserved order ships")
        self._shipped(shipment_id=shipment_id)
        return True

    @event("Shipped")
    def _shipped(self, shipment_id: UUID) -> None:
        self.shipment_ids.append(shipment_id)
        self.status = "shipped"
