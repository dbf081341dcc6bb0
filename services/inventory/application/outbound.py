"""Outbound: picking reserved units by their UDI scans, dispatch (one shipment per warehouse), delivery and the
hospital's acceptance (验收). Returns and kits: returns.py, kits.py.

Recalled stock never ships: dispatch asks the items' recall stops and, on its own, the register of open recalls
(`uow.open_recalls`); picking refuses stopped lots and units too.
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from services.inventory.application import InventoryUnitOfWork, consignment
from services.inventory.domain.consignment import CONSIGNED
from services.inventory.domain import Fulfilment, FulfilmentStateError, LotRuleError, StockItem, fulfilment_id_for
from services.inventory.domain import item_id_for
from services.inventory.domain.picking import RecalledStock, Scan
from services.inventory.domain.stock import UnknownAllocationError
from shared.domain.rules import NotFound
from shared.platform.command import Command


class ConfirmPicks(Command):
    order_id: UUID
    scans: tuple[Scan, ...]  # parsed from what the scanner sent


class Dispatch(Command):
    order_id: UUID
    carrier: str
    tracking_number: str


class ConfirmDelivery(Command):
    order_id: UUID
    shipment_id: UUID
    delivered_at: datetime | None = None  # default: now
    received_by: str | None = None


class AcceptShipment(Command):
    order_id: UUID
    shipment_id: UUID
    accepted_by: str
    accepted_at: datetime | None = None  # default: now
    discrepancies: tuple[dict[str, Any], ...] = ()
    note: str | None = None


def confirm_picks(command: ConfirmPicks, uow: InventoryUnitOfWork) -> Fulfilment:
    """All scans or none: PickRefusedError names the first that differs from the reservation."""
    found = fulfilment(uow, command.order_id)
    serials_of: dict[tuple[str, str], set[str]] = {}
    stopped_lots, stopped_serials = set(), set()
    for gtin, lot in {(r["gtin"], r["lot"]) for r in found.reserved}:
        item = uow.get(item_id_for(gtin), StockItem)
        if item is None:
            continue
        if item.serials_of(lot):
            serials_of[(gtin, lot)] = item.serials_of(lot)
        if lot in item.recalls.lots:
            stopped_lots.add((gtin, lot))
        stopped_serials |= {(gtin, serial) for serial in item.recalls.serials}
    found.confirm_picks(list(command.scans), serials_of, RecalledStock(frozenset(stopped_lots), frozenset(stopped_serials)))
    uow.collect(found)
    uow.commit()
    return found


def dispatch(command: Dispatch, uow: InventoryUnitOfWork) -> Fulfilment:
    """One shipment per warehouse not shipped yet, with what is allocated there. Recalled stock is refused twice,
    independently: by the register of open recalls, and by the items' recall stops (ship_allocated)."""
    found = fulfilment(uow, command.order_id)
    now = datetime.now(UTC)
    shipped_from: dict[UUID, StockItem] = {}
    for warehouse in found.warehouses_to_ship():
        shipment_id = uuid4()
        shipping = [r for r in found.reserved if r["warehouse"] == warehouse]
        serials_of = {gtin: found.picked_serials(gtin, warehouse) for gtin in {r["gtin"] for r in shipping}}
        found.dispatch(shipment_id, warehouse, command.carrier, command.tracking_number, now)  # no longer reserved
        for gtin in sorted(serials_of):
            lots = sorted({r["lot"] for r in shipping if r["gtin"] == gtin})
            serials = serials_of[gtin]
            if recalls := uow.open_recalls.covering(gtin, lots, serials):
                raise LotRuleError("recalled-stock-not-shipped", f"{gtin} lot {', '.join(lots)} is under open recall"
                                   f" {', '.join(recalls)}: recalled stock is not shipped while the recall is open")
            item = uow.get(item_id_for(gtin), StockItem)
            try:
                item.ship_allocated(command.order_id, shipment_id, warehouse, serials)
            except UnknownAllocationError:
                # Shipped by a dispatch that saved after this one read the fulfilment: the race's loser, refused like
                # any dispatch of an order no longer reserved.
                raise FulfilmentStateError(f"order {command.order_id} was dispatched meanwhile") from None
            shipped_from[item.id] = item
    uow.collect(found, *shipped_from.values())  # in this order: the shipment, then the stock it took
    if found.kind in CONSIGNED:
        uow.collect(consignment.place_shipments(found, uow))
    uow.commit()
    return found


def confirm_delivery(command: ConfirmDelivery, uow: InventoryUnitOfWork) -> Fulfilment:
    found = fulfilment(uow, command.order_id)
    found.confirm_delivery(command.shipment_id, command.delivered_at or datetime.now(UTC), command.received_by)
    uow.collect(found)
    uow.commit()
    return found


def accept_shipment(command: AcceptShipment, uow: InventoryUnitOfWork) -> Fulfilment:
    found = fulfilment(uow, command.order_id)
    found.accept(command.shipment_id, command.accepted_by, command.accepted_at or datetime.now(UTC),
                 [dict(d) for d in command.discrepancies], command.note)
    uow.collect(found)
    uow.commit()
    return found


def fulfilment(uow: InventoryUnitOfWork, order_id: UUID) -> Fulfilment:
    """The order's fulfilment, or 404."""
    found = uow.get(fulfilment_id_for(order_id), Fulfilment)
    if found is None:
        raise NotFound("Fulfilment", order_id)
    return found
