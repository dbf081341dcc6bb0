"""Events produced by the inventory service (topic `inventory.events`).

Stock is kept per item (one aggregate per GTIN, so reservations of one item are serialised by
optimistic concurrency); reservation and dispatch are per order (the fulfilment aggregate).
"""

from datetime import date
from typing import ClassVar, Literal
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
    status: Literal["quarantine", "available"] = Field(
        "available", description="quality status on receipt: quarantine until inspected; absent (available) in events"
                                 " recorded before quality inspection existed")
    supplier_id: UUID | None = Field(None, description="the qualified supplier the goods came from")
    receipt_id: UUID | None = Field(None, description="the goods receipt this line belongs to")
    serials: list[str] | None = Field(None, description="serial numbers (GS1 AI 21), one per unit, when serialised")
    production_date: date | None = None
    location: str | None = Field(None, max_length=50, description="storage location (bin) in the warehouse")
    near_expiry: bool = Field(False, description="expires within the configured warning period of the receipt date")


class LotInspected(ItemEvent):
    """Quality inspection of quarantined stock: released (available) or rejected (blocked for good)."""

    event_name: ClassVar[str] = "LotInspected"

    gtin: GTIN
    lot: LotNumber
    warehouse: str = Field(min_length=1, max_length=50)
    result: Literal["released", "rejected"]
    reason: str | None = None


class LotHeld(ItemEvent):
    """Quality put the lot on hold in every warehouse: it is neither reserved nor shipped until released."""

    event_name: ClassVar[str] = "LotHeld"

    gtin: GTIN
    lot: LotNumber
    reason: str = Field(min_length=1, max_length=500)


class LotHoldReleased(ItemEvent):
    event_name: ClassVar[str] = "LotHoldReleased"

    gtin: GTIN
    lot: LotNumber
    reason: str = Field(min_length=1, max_length=500)


class SupplierEvent(InventoryEvent):
    """A supplier goods are received from, and its qualification documents (首营资质)."""

    subject_field: ClassVar[str] = "supplier_id"
    supplier_id: UUID


class SupplierRegistered(SupplierEvent):
    event_name: ClassVar[str] = "SupplierRegistered"

    name: str = Field(min_length=1, max_length=200)
    credit_code: str | None = Field(None, max_length=18, description="unified social credit code (统一社会信用代码)")


class SupplierQualificationRecorded(SupplierEvent):
    event_name: ClassVar[str] = "SupplierQualificationRecorded"

    document_type: str = Field(min_length=1, max_length=50,
                               description="business_licence, production_licence, distribution_licence, ...")
    number: str = Field(min_length=1, max_length=100)
    valid_from: date
    valid_to: date


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
    min_remaining_shelf_life_days: int | None = Field(None, ge=0)


class FulfilmentEvent(InventoryEvent):
    """Fulfilment of one sales order: one aggregate per order, from request to dispatch."""

    subject_field: ClassVar[str] = "fulfilment_id"
    fulfilment_id: UUID
    order_id: UUID


class FulfilmentRequested(FulfilmentEvent):
    event_name: ClassVar[str] = "FulfilmentRequested"

    ship_to_hospital_id: UUID
    lines: list[RequestedLine] = Field(min_length=1)
    requested_delivery_date: date | None = None


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
