"""Stock of one item (one aggregate per GTIN): its lots, what is allocated to which order, what shipped.

One aggregate per item means two orders racing for the last units of a lot conflict on the
aggregate's version, and the loser retries against the new stock: stock never goes negative.
"""

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.inventory.domain.fefo import Allocation, LotStock, plan_fefo
from shared.platform.aggregate import TracedAggregate


def item_id_for(gtin: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:item:{gtin}")


class UnknownAllocationError(Exception):
    pass


class LotExpiredError(ValueError):
    pass


class StockItem(TracedAggregate):
    @event("Registered")
    def __init__(self, gtin: str, name: str, device_class: int) -> None:
        self.gtin = gtin
        self.name = name
        self.device_class = device_class
        self.lots: dict[tuple[str, str], LotStock] = {}
        self.allocations: dict[str, list[Allocation]] = {}

    @staticmethod
    def create_id(gtin: str) -> UUID:
        return item_id_for(gtin)

    def lot_stock(self) -> list[LotStock]:
        return list(self.lots.values())

    def receive_lot(self, lot: str, expiry: date, quantity: int, warehouse: str, today: date) -> None:
        """Expired goods are not received (the rule is checked here, not in the event: replays must not re-judge)."""
        if expiry <= today:
            raise LotExpiredError(f"lot {lot} expired on {expiry}; expired goods are not received")
        self._lot_received(gtin=self.gtin, lot=lot, expiry=expiry, quantity=quantity, warehouse=warehouse)

    @event("LotReceived")
    def _lot_received(self, gtin: str, lot: str, expiry: date, quantity: int, warehouse: str) -> None:
        key = (lot, warehouse)
        current = self.lots.get(key)
        if current is None:
            self.lots[key] = LotStock(lot, warehouse, expiry, quantity, 0)
        else:
            self.lots[key] = replace(current, on_hand=current.on_hand + quantity)

    def allocate(self, order_id: UUID, quantity: int, today: date) -> list[Allocation]:
        """FEFO over usable lots; raises InsufficientStockError and records nothing when short."""
        plan = plan_fefo(self.lot_stock(), quantity, today)
        self._allocated(gtin=self.gtin, order_id=order_id, allocations=[_as_record(a) for a in plan])
        return plan

    @event("StockAllocated")
    def _allocated(self, gtin: str, order_id: UUID, allocations: list[dict[str, Any]]) -> None:
        taken = [_from_record(a) for a in allocations]
        for a in taken:
            lot = self.lots[(a.lot, a.warehouse)]
            self.lots[(a.lot, a.warehouse)] = replace(lot, allocated=lot.allocated + a.quantity)
        self.allocations.setdefault(str(order_id), []).extend(taken)

    def ship_allocated(self, order_id: UUID, shipment_id: UUID, warehouse: str) -> list[Allocation]:
        shipping = [a for a in self.allocations.get(str(order_id), []) if a.warehouse == warehouse]
        if not shipping:
            raise UnknownAllocationError(f"nothing of {self.gtin} is allocated to order {order_id} in {warehouse}")
        self._shipped(gtin=self.gtin, order_id=order_id, shipment_id=shipment_id,
                      allocations=[_as_record(a) for a in shipping])
        return shipping

    @event("AllocatedStockShipped")
    def _shipped(self, gtin: str, order_id: UUID, shipment_id: UUID, allocations: list[dict[str, Any]]) -> None:
        shipped = [_from_record(a) for a in allocations]
        for a in shipped:
            lot = self.lots[(a.lot, a.warehouse)]
            self.lots[(a.lot, a.warehouse)] = replace(
                lot, on_hand=lot.on_hand - a.quantity, allocated=lot.allocated - a.quantity
            )
        remaining = [a for a in self.allocations.get(str(order_id), []) if a not in shipped]
        self.allocations[str(order_id)] = remaining


def _as_record(a: Allocation) -> dict[str, Any]:
    return {"lot": a.lot, "warehouse": a.warehouse, "expiry": a.expiry, "quantity": a.quantity}


def _from_record(r: dict[str, Any]) -> Allocation:
    return Allocation(r["lot"], r["warehouse"], r["expiry"], r["quantity"])
