"""Reservation: an order placed in the order service is reserved FEFO here (reactions.py: FulfilmentPlanner). What
usable stock covers is reserved and can ship (a partial delivery); what it does not is backordered and reserved,
oldest order first, each time stock of the item is released by quality or freed by another order
(reactions.py: BackorderRetries). An order that ships complete is reserved every line in full or not at all.

Only released stock that is not held, not recalled, not expired and — per line — with at least the line's minimum
remaining shelf life on the requested delivery date is taken (domain/fefo.py). Both are judged on the day of the
event that caused them, so a replay decides the same way.
"""

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain import Fulfilment, StockItem, fulfilment_id_for, item_id_for
from services.inventory.domain.fulfilment import deliveries_of
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
    ship_complete: bool = False
    order_type: str = "standard"  # consignment and loaner orders ship to a consignment location
    delivery_address: str | None = None


class RetryBackorders(Command):
    gtin: str  # the item stock was released of
    today: date


@dataclass(frozen=True)
class _Allocation:
    reserved: list[dict[str, Any]]
    backordered: list[dict[str, Any]]  # what is left of each line that could not be reserved in full
    shortages: list[dict[str, Any]]
    items: list[StockItem]

    def decided(self, ship_complete: bool) -> bool:
        """Whether this allocation is recorded: something is reserved, and with a complete delivery, everything."""
        return bool(self.reserved) and not (ship_complete and self.shortages)


def reserve_order(command: ReserveOrder, uow: InventoryUnitOfWork) -> tuple[Fulfilment, bool]:
    """The order's fulfilment, reserved (perhaps partly) or rejected (backordered), and whether this command decided
    it: an order already handled (an event delivered again) is left as it is."""
    def decide() -> Fulfilment:
        optional: dict[str, Any] = {}
        if command.requested_delivery_date is not None:
            optional["requested_delivery_date"] = command.requested_delivery_date
        if command.ship_to_distributor_id is not None:
            optional["ship_to_distributor_id"] = command.ship_to_distributor_id
        if command.ship_complete:
            optional["ship_complete"] = True
        if command.order_type != "standard":
            optional["order_type"] = command.order_type
        if command.delivery_address:
            optional["delivery_address"] = command.delivery_address
        fulfilment = Fulfilment(order_id=command.order_id, ship_to_hospital_id=command.ship_to_hospital_id,
                                lines=[dict(line) for line in command.lines], **optional)
        _plan(fulfilment, fulfilment.requested, command.today, uow)
        return fulfilment

    return create_once(uow, fulfilment_id_for(command.order_id), Fulfilment, decide)


def _plan(fulfilment: Fulfilment, lines: list[dict[str, Any]], today: date, uow: InventoryUnitOfWork,
          released: tuple[StockItem, ...] = ()) -> None:
    """The lines' deliveries: those of a delivery plan due later than the horizon (INVENTORY_DELIVERY_HORIZON_DAYS)
    are scheduled, to be reserved when they come due (reserve_due_deliveries); the others are reserved now."""
    horizon = today + timedelta(days=uow.settings.delivery_horizon_days)
    parts = deliveries_of(lines)
    later = [p for p in parts if p.get("delivery_date") is not None and p["delivery_date"] > horizon]
    due = [p for p in parts if p not in later]
    if later:
        fulfilment.schedule(later)
    if due:
        _reserve_or_backorder(fulfilment, due, today, uow, released)
    else:
        uow.collect(fulfilment, *released)


def _reserve_or_backorder(fulfilment: Fulfilment, lines: list[dict[str, Any]], today: date, uow: InventoryUnitOfWork,
                          released: tuple[StockItem, ...] = ()) -> None:
    """Reserve what the lines can have (all of it, for an order that ships complete), else backorder them all; the
    stock items `released` from an earlier reservation are saved either way. A trial on copies of the items decides
    first, so a rejection touches no item."""
    trial = _allocate(fulfilment, lines, today, uow, trial=True)
    if not trial.decided(fulfilment.ship_complete):
        fulfilment.reject(order_id=fulfilment.order_id, reason="insufficient usable stock", shortages=trial.shortages,
                          waiting=[*fulfilment.waiting, *lines])
        uow.collect(fulfilment, *released)
        return
    allocation = _allocate(fulfilment, lines, today, uow)
    fulfilment.reserve(order_id=fulfilment.order_id, lines=allocation.reserved,
                       picking_required=uow.settings.picking_required,
                       backordered=[*[w for w in fulfilment.waiting if w not in lines], *allocation.backordered])
    uow.collect(fulfilment, *released, *allocation.items)  # in this order: the reservation, then the stock it took


def retry_backorders(command: RetryBackorders, uow: InventoryUnitOfWork) -> list[Fulfilment]:
    """Offer released stock to the orders backordered for the item, oldest first; returns those that took some."""
    reserved = []
    for order_id in uow.backorders.waiting_for(command.gtin):
        fulfilment = uow.get(fulfilment_id_for(order_id), Fulfilment)
        if fulfilment is None or not fulfilment.waiting or fulfilment.status in ("cancelled", "closed"):
            continue
        allocation = _allocate(fulfilment, fulfilment.waiting, command.today, uow, trial=True)
        if not allocation.decided(fulfilment.ship_complete):
            continue  # still short: it takes nothing, and waits for the next release
        allocation = _allocate(fulfilment, fulfilment.waiting, command.today, uow)
        fulfilment.reserve(order_id=order_id, lines=allocation.reserved, picking_required=uow.settings.picking_required,
                           backordered=allocation.backordered)
        uow.collect(fulfilment, *allocation.items)
        uow.commit()  # each order on its own: the next one sees what this one took
        reserved.append(fulfilment)
    return reserved


def _allocate(fulfilment: Fulfilment, lines: list[dict[str, Any]], today: date, uow: InventoryUnitOfWork,
              trial: bool = False) -> _Allocation:
    """FEFO allocations for what usable stock covers of each line (an order that ships complete: whole lines only),
    on the items as this command sees them (`trial`: on copies of them, touching no item)."""
    copies: dict[str, StockItem | None] = {}
    order_id = fulfilment.order_id
    preferred = _serving(fulfilment, uow)
    reserved, backordered, shortages, items = [], [], [], {}
    for line in lines:
        gtin, min_days, wanted = line["gtin"], line.get("min_remaining_shelf_life_days") or 0, line["quantity"]
        deliver_on = line.get("delivery_date") or fulfilment.requested_delivery_date  # a planned delivery's own day
        item = uow.get(item_id_for(gtin), StockItem)
        if trial:
            item = copies.setdefault(gtin, copy.deepcopy(item))
        usable = 0 if item is None else usable_quantity(item.lot_stock(), today, deliver_on, min_days,
                                                        item.recalls.withheld_units())
        take = wanted if usable >= wanted else (0 if fulfilment.ship_complete else usable)
        if take > 0:
            for a in item.allocate(order_id, take, today, deliver_on, min_days, preferred):
                reserved.append({"line_no": line["line_no"], "gtin": gtin, "lot": a.lot, "expiry": a.expiry,
                                 "warehouse": a.warehouse, "quantity": a.quantity,
                                 **({"delivery_date": line["delivery_date"]} if line.get("delivery_date") else {})})
            items[gtin] = item
        if take < wanted:
            shortages.append({"gtin": gtin, "requested": wanted, "available": usable})
            backordered.append({**line, "quantity": wanted - take})
    return _Allocation(reserved, backordered, shortages, list(items.values()))


def _serving(fulfilment: Fulfilment, uow: InventoryUnitOfWork) -> frozenset[str]:
    """The warehouses serving the hospital's province (settings: INVENTORY_WAREHOUSE_REGIONS), reserved from first:
    orders for different regions are fulfilled from their own warehouses, in parallel."""
    regions = uow.settings.warehouse_regions
    if not regions:
        return frozenset()
    province = uow.hospital_provinces.province_of(fulfilment.ship_to_hospital_id)
    return frozenset(warehouse for warehouse, provinces in regions.items() if province in provinces)


class ReserveDueDeliveries(Command):
    today: date


def reserve_due_deliveries(command: ReserveDueDeliveries, uow: InventoryUnitOfWork) -> list[Fulfilment]:
    """The scheduled deliveries coming due within the horizon are reserved (as far as stock goes; the rest waits as
    a backorder), each order in its own transaction. Run daily (cron: POST /deliveries/reserve-due); a second run
    finds nothing more to do."""
    by = command.today + timedelta(days=uow.settings.delivery_horizon_days)
    handled = []
    for order_id in uow.schedules.due_by(by):
        fulfilment = uow.get(fulfilment_id_for(order_id), Fulfilment)
        due = [] if fulfilment is None else fulfilment.due_deliveries(by)
        if not due:
            continue
        fulfilment.make_due(due)
        allocation = _allocate(fulfilment, fulfilment.waiting, command.today, uow, trial=True)
        if allocation.decided(fulfilment.ship_complete):
            allocation = _allocate(fulfilment, fulfilment.waiting, command.today, uow)
            fulfilment.reserve(order_id=order_id, lines=allocation.reserved,
                               picking_required=uow.settings.picking_required, backordered=allocation.backordered)
            uow.collect(fulfilment, *allocation.items)
        else:
            uow.collect(fulfilment)  # due, and waiting for stock like a backorder
        uow.commit()
        handled.append(fulfilment)
    return handled


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
    """The order service asks to cancel an order in fulfilment: unless everything has shipped, what is reserved and
    not shipped is released and nothing more ships (after a partial delivery the order is closed), in one
    transaction: a dispatch racing it loses on the aggregates' versions, so no unit is both released and shipped.
    Otherwise the cancellation is refused, saying why. A retry changes nothing."""
    fulfilment = uow.get(fulfilment_id_for(command.order_id), Fulfilment)
    if fulfilment is None or fulfilment.status in ("cancelled", "closed"):
        uow.commit()
        return fulfilment
    if fulfilment.status == "shipped":
        fulfilment.refuse_cancellation(f"already shipped: {len(fulfilment.shipments)} shipment(s) left")
        uow.collect(fulfilment)
        uow.commit()
        return fulfilment
    released = _release(fulfilment, uow)
    fulfilment.cancel()
    uow.collect(fulfilment, *released)
    uow.commit()
    return fulfilment


def _release(fulfilment: Fulfilment, uow: InventoryUnitOfWork) -> list[StockItem]:
    """Deallocate what is reserved for the order and not shipped (shipping took the rest out of the allocations)."""
    released = []
    for gtin in sorted({line["gtin"] for line in fulfilment.reserved}):
        item = uow.get(item_id_for(gtin), StockItem)
        if item is not None and item.deallocate(fulfilment.order_id):
            released.append(item)
    return released


class AmendFulfilment(Command):
    order_id: UUID
    lines: tuple[dict[str, Any], ...]  # line_no, gtin, quantity, and min_remaining_shelf_life_days when asked
    requested_delivery_date: date | None
    today: date
    delivery_address: str | None = None


def amend_fulfilment(command: AmendFulfilment, uow: InventoryUnitOfWork) -> Fulfilment | None:
    """The order was amended: what was reserved and not shipped is released and what the new lines leave to ship
    is reserved FEFO (partly, or backordered, as when placed), in one transaction: a dispatch racing it loses on the
    aggregates' versions. Refused, saying why, when it would change what has shipped."""
    fulfilment = uow.get(fulfilment_id_for(command.order_id), Fulfilment)
    if fulfilment is None:
        uow.commit()
        return None
    lines = [dict(line) for line in command.lines]
    if problem := fulfilment.amendment_problem(lines):
        fulfilment.refuse_amendment(problem)
        uow.collect(fulfilment)
        uow.commit()
        return fulfilment
    released = _release(fulfilment, uow)
    fulfilment.replan(lines, command.requested_delivery_date, command.delivery_address)
    _plan(fulfilment, fulfilment.requested, command.today, uow, tuple(released))
    uow.commit()
    return fulfilment
