"""Inventory commands: the item master, receiving, FEFO reservation for orders, and dispatch."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from services.inventory.domain import Fulfilment, InsufficientStockError, StockItem, fulfilment_id_for, item_id_for
from services.inventory.domain.fefo import usable_quantity
from shared.events import inventory as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.idempotency import create_once


class UnknownItemError(LookupError):
    pass


class InventoryApplication(ServiceApplication):
    service = "inventory"
    published = {
        StockItem.Registered: contracts.ItemRegistered,
        StockItem.LotReceived: contracts.LotReceived,
        StockItem.StockAllocated: contracts.StockAllocated,
        StockItem.AllocatedStockShipped: contracts.AllocatedStockShipped,
        Fulfilment.Requested: contracts.FulfilmentRequested,
        Fulfilment.Reserved: contracts.StockReserved,
        Fulfilment.Rejected: contracts.StockReservationRejected,
        Fulfilment.Dispatched: contracts.ShipmentDispatched,
    }

    def register_item(self, gtin: str, name: str, device_class: int) -> tuple[StockItem, bool]:
        """Items are keyed by GTIN: registering the same GTIN again returns the existing item."""
        return create_once(self, item_id_for(gtin), lambda: StockItem(gtin=gtin, name=name, device_class=device_class))

    def get_item(self, item_id: UUID) -> StockItem | None:
        return self.get_aggregate(item_id, StockItem)

    def item_by_gtin(self, gtin: str) -> StockItem | None:
        return self.get_item(item_id_for(gtin))

    def receive_lot(self, gtin: str, lot: str, expiry: date, quantity: int, warehouse: str) -> StockItem:
        item = self.item_by_gtin(gtin)
        if item is None:
            raise UnknownItemError(gtin)
        item.receive_lot(lot, expiry, quantity, warehouse, today=datetime.now(UTC).date())
        self.save(item)
        return item

    def get_fulfilment(self, order_id: UUID) -> Fulfilment | None:
        return self.get_aggregate(fulfilment_id_for(order_id), Fulfilment)

    def plan_reservation(self, order_id: UUID, ship_to: UUID, lines: list[dict], today: date) -> list:
        """Reserve every line FEFO, or none: returns the aggregates to save (nothing if already handled)."""
        if self.exists(fulfilment_id_for(order_id)):
            return []
        fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=ship_to, lines=lines)
        items: dict[str, StockItem | None] = {}
        reserved, shortages = [], []
        for line in lines:
            gtin = line["gtin"]
            if gtin not in items:
                items[gtin] = self.item_by_gtin(gtin)
            item = items[gtin]
            try:
                if item is None:
                    raise InsufficientStockError(line["quantity"], 0)
                for a in item.allocate(order_id, line["quantity"], today):
                    reserved.append({"line_no": line["line_no"], "gtin": gtin, "lot": a.lot, "expiry": a.expiry,
                                     "warehouse": a.warehouse, "quantity": a.quantity})
            except InsufficientStockError:
                available = usable_quantity(item.lot_stock(), today) if item else 0
                shortages.append({"gtin": gtin, "requested": line["quantity"], "available": available})
        if shortages:
            # The allocations made for other lines stay unsaved: nothing is reserved for a rejected order.
            fulfilment.reject(order_id=order_id, reason="insufficient usable stock", shortages=shortages)
            return [fulfilment]
        fulfilment.reserve(order_id=order_id, lines=reserved)
        return [fulfilment, *[i for i in items.values() if i is not None]]

    def dispatch(self, order_id: UUID, carrier: str, tracking_number: str) -> Fulfilment | None:
        fulfilment = self.get_fulfilment(order_id)
        if fulfilment is None:
            return None
        changed: dict[UUID, StockItem] = {}
        now = datetime.now(UTC)
        for warehouse in fulfilment.warehouses_to_ship():
            shipment_id = uuid4()
            fulfilment.dispatch(shipment_id, warehouse, carrier, tracking_number, now)
            for gtin in sorted({r["gtin"] for r in fulfilment.reserved if r["warehouse"] == warehouse}):
                item = changed.get(item_id_for(gtin)) or self.item_by_gtin(gtin)
                item.ship_allocated(order_id, shipment_id, warehouse)
                changed[item.id] = item
        self.save(fulfilment, *changed.values())
        return fulfilment
