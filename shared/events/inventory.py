"""Events produced by the inventory service (topic `inventory.events`).

Stock is kept per item (one aggregate per GTIN, so reservations of one item are serialised by
optimistic concurrency); reservation and dispatch are per order (the fulfilment aggregate).
"""

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import GTIN, AwareDatetime, EventPayload, LotNumber, Quantity, ValueObject


class InventoryEvent(EventPayload):
    producer: ClassVar[str] = "inventory"


class ItemEvent(InventoryEvent):
    subject_field: ClassVar[str] = "item_id"
    item_id: UUID


class ItemRegistered(ItemEvent):
    event_name: ClassVar[str] = "ItemRegistered"

    gtin: GTIN
    name: str = Field(min_length=1, max_length=200)
    device_class: int = Field(ge=1, le=3, description="NMPA device class I/II/III")


class LotReceived(ItemEvent):
    event_name: ClassVar[str] = "LotReceived"

    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    warehouse: str = Field(min_length=1, max_length=50)


class LotAllocation(ValueObject):
    lot: LotNumber
    expiry: date
    warehouse: str
    quantity: Quantity


class StockAllocated(ItemEvent):
    """Lots of one item set aside for an order, earliest expiry first (FEFO)."""

    event_name: ClassVar[str] = "StockAllocated"

    gtin: GTIN
    order_id: UUID
    allocations: list[LotAllocation] = Field(min_length=1)


class AllocatedStockShipped(ItemEvent):
    event_name: ClassVar[str] = "AllocatedStockShipped"

    gtin: GTIN
    order_id: UUID
    shipment_id: UUID
    allocations: list[LotAllocation] = Field(min_length=1)


class RequestedLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity


class FulfilmentEvent(InventoryEvent):
    """Fulfilment of one sales order: one aggregate per order, from request to dispatch."""

    subject_field: ClassVar[str] = "fulfilment_id"
    fulfilment_id: UUID
    order_id: UUID


class FulfilmentRequested(FulfilmentEvent):
    event_name: ClassVar[str] = "FulfilmentRequested"

    ship_to_hospital_id: UUID
    lines: list[RequestedLine] = Field(min_length=1)


class ReservedLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    lot: LotNumber
    expiry: date
    warehouse: str
    quantity: Quantity


class StockReserved(FulfilmentEvent):
    event_name: ClassVar[str] = "StockReserved"

    lines: list[ReservedLine] = Field(min_length=1)


class Shortage(ValueObject):
    gtin: GTIN
    requested: Quantity
    available: int = Field(ge=0)


class StockReservationRejected(FulfilmentEvent):
    """Not enough usable stock for the whole order: nothing was reserved (no silent partial reservation)."""

    event_name: ClassVar[str] = "StockReservationRejected"

    reason: str
    shortages: list[Shortage] = Field(min_length=1)


class ShipmentLine(ValueObject):
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity


class ShipmentDispatched(FulfilmentEvent):
    event_name: ClassVar[str] = "ShipmentDispatched"

    shipment_id: UUID
    ship_to_hospital_id: UUID
    ship_from_warehouse: str
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    dispatched_at: AwareDatetime
    lines: list[ShipmentLine] = Field(min_length=1)
