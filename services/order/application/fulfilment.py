"""Following fulfilment: the order's status follows what inventory did with it (reactions.py turns inventory's
events into these commands). Each is safe to repeat: an event delivered again, or about an order this service does
not hold, changes nothing."""

from typing import Any
from uuid import UUID

from services.order.domain import SalesOrder
from shared.platform.unit_of_work import UnitOfWork
from shared.platform.command import Command


class MarkReserved(Command):
    order_id: UUID
    allocations: tuple[dict[str, Any], ...]  # line_no, gtin, lot, expiry, quantity per reserved lot
    backordered: tuple[dict[str, Any], ...] = ()  # line_no, gtin, quantity still short


class Backorder(Command):
    order_id: UUID
    reason: str


class RecordShipment(Command):
    order_id: UUID
    shipment_id: UUID
    lines: tuple[dict[str, Any], ...] | None = None  # line_no, gtin, quantity (absent: the whole order)


def mark_reserved(command: MarkReserved, uow: UnitOfWork) -> SalesOrder | None:
    """A placed order is reserved (perhaps in part), and so is what was short when released stock covers it; an
    order cancelled or shipped meanwhile stays as it is."""
    order = uow.get(command.order_id, SalesOrder)
    if order is not None and order.status in ("placed", "backordered", "partially_reserved", "partially_shipped"):
        order.mark_reserved(list(command.allocations), list(command.backordered))
        uow.collect(order)
    uow.commit()
    return order


def backorder(command: Backorder, uow: UnitOfWork) -> SalesOrder | None:
    """Only a placed order is backordered: one reserved meanwhile (or already backordered) stays as it is."""
    order = uow.get(command.order_id, SalesOrder)
    if order is not None and order.status == "placed":
        order.backorder(command.reason)
        uow.collect(order)
    uow.commit()
    return order


def record_shipment(command: RecordShipment, uow: UnitOfWork) -> SalesOrder | None:
    """The shipment is recorded once; one of an order that was never reserved is refused (OrderStateError)."""
    order = uow.get(command.order_id, SalesOrder)
    if order is not None and order.record_shipment(
            command.shipment_id, None if command.lines is None else list(command.lines)):
        uow.collect(order)
    uow.commit()
    return order
