"""Events produced by the order service (topic `order.events`)."""

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import GTIN, CurrencyCode, EventPayload, LotNumber, Money, Quantity, ValueObject


class OrderEvent(EventPayload):
    producer: ClassVar[str] = "order"
    subject_field: ClassVar[str] = "order_id"
    order_id: UUID


class OrderLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    quantity: Quantity
    unit_price: Money = Field(ge=0)
    min_remaining_shelf_life_days: int | None = Field(
        None, ge=0, description="only lots with at least this many days of shelf life left on delivery")


class OrderPlaced(OrderEvent):
    event_name: ClassVar[str] = "OrderPlaced"

    hospital_id: UUID
    customer_reference: str | None = Field(None, max_length=100)
    currency: CurrencyCode
    lines: list[OrderLine] = Field(min_length=1)
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = Field(
        None, description="the order is delivered through this distributor (配送商): goods ship to the distributor,"
                          " who delivers to the hospital and reports it in its sell-out (流向); absent: shipped direct")


class AllocatedLot(ValueObject):
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity


class OrderReserved(OrderEvent):
    event_name: ClassVar[str] = "OrderReserved"

    allocations: list[AllocatedLot] = Field(min_length=1)


class OrderBackordered(OrderEvent):
    event_name: ClassVar[str] = "OrderBackordered"

    reason: str


class OrderShipped(OrderEvent):
    event_name: ClassVar[str] = "OrderShipped"

    shipment_id: UUID
