"""Reservation: an order placed in the order service is reserved FEFO here, every line or none (reactions.py:
FulfilmentPlanner); an order that falls short is backordered, and tried again, oldest first, each time quality
releases stock of one of its items (reactions.py: BackorderRetries).

Only released stock that is not held, not recalled, not expired and — per line — with at least the line's minimum
remaining shelf life on the requested delivery date is taken (domain/fefo.py). Both are judged on the day of the
event that caused them, so a replay decides the same way.
"""

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain import Fulfilment, InsufficientStockError, StockItem, fulfilment_id_for, item_id_for
from services.inventory.domain.fefo import usable_quantity
from shared.platform.idempotency import create_once
from shared.platform.command import Command


class ReserveOrder(Command):
    order_id: UUID
    ship_to_hospital_id: UUID
    lines: tuple[dict[str, Any], ...]  # line_no, gtin, quantity, and min_remaining_shelf_life_days when asked
    today: date
    requested_delivery_date: date | None = None
    ship_to_distributor_id: UUID | None = None


class RetryBackorders(Command):
    gtin: str  # the item stock was released of
    today: date


@dataclass(frozen=True)
class _Allocation:
    reserved: list[dict[str, Any]]
    shortages: list[dict[str, Any]]
    items: list[StockItem]


def reserve_order(command: ReserveOrder, uow: InventoryUnitOfWork) -> tuple[Fulfilment, bool]:
    """The order's fulfilment, reserved or rejected (backordered), and whether this command decided it: an order
    already handled (an event delivered again) is left as it is."""
    def decide() -> Fulfilment:
        optional: dict[str, Any] = {}
        if command.requested_delivery_date is not None:
            optional["requested_delivery_date"] = command.requested_delivery_date
        if command.ship_to_distributor_id is not None:
            optional["ship_to_distributor_id"] = command.ship_to_distributor_id
        fulfilment = Fulfilment(order_id=command.order_id, ship_to_hospital_id=command.ship_to_hospital_id,
                                lines=[dict(line) for line in command.lines], **optional)
        allocation = _allocate(fulfilment, command.today, uow)
        if allocation.shortages:  # the allocations made for other lines are not collected: nothing is reserved
            fulfilment.reject(order_id=command.order_id, reason="insufficient usable stock",
                              shortages=allocation.shortages)
        else:
            fulfilment.reserve(order_id=command.order_id, lines=allocation.reserved,
                               picking_required=uow.settings.picking_required)
            uow.collect(fulfilment, *allocation.items)  # in this order: the reservation, then the stock it took
        return fulfilment

    return create_once(uow, fulfilment_id_for(command.order_id), Fulfilment, decide)


def retry_backorders(command: RetryBackorders, uow: InventoryUnitOfWork) -> list[Fulfilment]:
    """Offer released stock to the orders backordered for the item, oldest first; returns those now reserved."""
    reserved = []
    for order_id in uow.backorders.waiting_for(command.gtin):
        fulfilment = uow.get(fulfilment_id_for(order_id), Fulfilment)
        if fulfilment is None or fulfilment.status != "rejected":
            continue
        allocation = _allocate(fulfilment, command.today, uow)
        if allocation.shortages:
            uow.rollback()  # still short: it takes nothing, and waits for the next release
            continue
        fulfilment.reserve(order_id=order_id, lines=allocation.reserved, picking_required=uow.settings.picking_required)
        uow.collect(fulfilment, *allocation.items)
        uow.commit()  # each order on its own: the next one sees what this one took
        reserved.append(fulfilment)
    return reserved


def _allocate(fulfilment: Fulfilment, today: date, uow: InventoryUnitOfWork, trial: bool = False) -> _Allocation:
    """FEFO allocations for every requested line, on the items as this command sees them (`trial`: on copies of
    them, to learn whether every line can be reserved without touching the items)."""
    copies: dict[str, StockItem | None] = {}
    order_id, deliver_on = fulfilment.order_id, fulfilment.requested_delivery_date
    reserved, shortages, items = [], [], {}
    for line in fulfilment.requested:
        gtin, min_days = line["gtin"], line.get("min_remaining_shelf_life_days") or 0
        item = uow.get(item_id_for(gtin), StockItem)
        if trial:
            item = copies.setdefault(gtin, copy.deepcopy(item))
        try:
            if item is None:
                raise InsufficientStockError(line["quantity"], 0)
            for a in item.allocate(order_id, line["quantity"], today, deliver_on, min_days):
                reserved.append({"line_no": line["line_no"], "gtin": gtin, "lot": a.lot, "expiry": a.expiry,
                                 "warehouse": a.warehouse, "quantity": a.quantity})
            items[gtin] = item
        except InsufficientStockError:
            available = 0 if item is None else usable_quantity(item.lot_stock(), today, deliver_on, min_days,
                                                               item.recalls.withheld_units())
            shortages.append({"gtin": gtin, "requested": line["quantity"], "available": available})
    return _Allocation(reserved, shortages, list(items.values()))


class FollowOrderHold(Command):
    order_id: UUID
    hold: str
    held: bool  # True: put on; False: released


def follow_order_hold(command: FollowOrderHold, uow: InventoryUnitOfWork) -> Fulfilment | None:
    """An order held (or released) after it reached fulfilment: its fulfilment follows. An order not in fulfilment
    yet is the order service's to hold back; repeating changes nothing."""
    fulfilment = uow.get(fulfilment_id_for(command.order_id), Fulfilment)
    if fulfilment is not None and (fulfilment.hold(command.hold) if command.held else fulfilment.release(command.hold)):
        uow.collect(fulfilment)
    uow.commit()
    return fulfilment


class CancelFulfilment(Command):
    order_id: UUID


def cancel_fulfilment(command: CancelFulfilment, uow: InventoryUnitOfWork) -> Fulfilment | None:
    """The order service asks to cancel an order in fulfilment: if nothing has shipped, the fulfilment is cancelled
    and its stock released in one transaction (a dispatch racing it loses on the aggregates' versions, so no unit is
    both released and shipped); otherwise the cancellation is refused, saying why. A retry changes nothing."""
    fulfilment = uow.get(fulfilment_id_for(command.order_id), Fulfilment)
    if fulfilment is None or fulfilment.status == "cancelled":
        uow.commit()
        return fulfilment
    if fulfilment.shipments:
        fulfilment.refuse_cancellation(f"already {fulfilment.status}: {len(fulfilment.shipments)} shipment(s) left")
        uow.collect(fulfilment)
        uow.commit()
        return fulfilment
    fulfilment.cancel()
    released = []
    for gtin in sorted({line["gtin"] for line in fulfilment.reserved}):
        item = uow.get(item_id_for(gtin), StockItem)
        if item is not None and item.deallocate(command.order_id):
            released.append(item)
    uow.collect(fulfilment, *released)
    uow.commit()
    return fulfilment


class AmendFulfilment(Command):
    order_id: UUID
    lines: tuple[dict[str, Any], ...]  # line_no, gtin, quantity, and min_remaining_shelf_life_days when asked
    requested_delivery_date: date | None
    today: date


def amend_fulfilment(command: AmendFulfilment, uow: InventoryUnitOfWork) -> Fulfilment | None:
    """The order was amended: unless something has shipped, what was reserved for it is released and the new lines
    reserved FEFO, every line or none (else backordered, retried as stock is released), in one transaction: a
    dispatch racing it loses on the aggregates' versions. Otherwise the amendment is refused, saying why."""
    fulfilment = uow.get(fulfilment_id_for(command.order_id), Fulfilment)
    if fulfilment is None:
        uow.commit()
        return None
    if fulfilment.shipments or fulfilment.status == "cancelled":
        fulfilment.refuse_amendment(f"already {fulfilment.status}: it is no longer amended")
        uow.collect(fulfilment)
        uow.commit()
        return fulfilment
    released = []
    for gtin in sorted({line["gtin"] for line in fulfilment.reserved}):
        item = uow.get(item_id_for(gtin), StockItem)
        if item is not None and item.deallocate(command.order_id):
            released.append(item)
    fulfilment.replan([dict(line) for line in command.lines], command.requested_delivery_date)
    shortages = _allocate(fulfilment, command.today, uow, trial=True).shortages
    if shortages:
        fulfilment.reject(order_id=command.order_id, reason="insufficient usable stock", shortages=shortages)
        uow.collect(fulfilment, *released)
    else:
        allocation = _allocate(fulfilment, command.today, uow)
        fulfilment.reserve(order_id=command.order_id, lines=allocation.reserved,
                           picking_required=uow.settings.picking_required)
        uow.collect(fulfilment, *released, *allocation.items)
    uow.commit()
    return fulfilment
