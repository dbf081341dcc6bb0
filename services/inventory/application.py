"""Inventory commands: the item master, suppliers and their qualifications, receiving into quarantine, quality
inspection and holds, FEFO reservation for orders, and dispatch."""

import os
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from services.inventory.domain import (
    Fulfilment, FulfilmentStateError, InsufficientStockError, StockItem, Supplier, fulfilment_id_for, item_id_for,
)
from services.inventory.domain.stock import UnknownAllocationError
from services.inventory.domain.fefo import usable_quantity
from services.inventory.domain.external import ExternalMessage
from services.inventory.domain.item_master import ItemMasterData
from services.inventory.domain.stock_control import StockControl
from services.inventory.stock_commands import StockCommands
from services.inventory.outbound import OutboundCommands
from shared.events import inventory as contracts
from shared.platform.context import current_meta
from shared.platform.eventstore import ServiceApplication
from shared.platform.idempotency import create_once


class UnknownItemError(LookupError):
    def __init__(self, gtin: str, line: int | None = None) -> None:
        super().__init__(gtin)
        self.gtin, self.line = gtin, line


class UnknownSupplierError(LookupError):
    pass


class InventoryApplication(StockCommands, OutboundCommands, ServiceApplication):  # StockCommands: stock_commands.py
    service = "inventory"
    published = {
        StockItem.Registered: contracts.ItemRegistered,
        StockItem.LotReceived: contracts.LotReceived,
        StockItem.LotInspected: contracts.LotInspected,
        StockItem.LotHeld: contracts.LotHeld,
        StockItem.LotHoldReleased: contracts.LotHoldReleased,
        StockItem.StockAllocated: contracts.StockAllocated,
        StockItem.AllocatedStockShipped: contracts.AllocatedStockShipped,
        Supplier.Registered: contracts.SupplierRegistered,
        Supplier.QualificationRecorded: contracts.SupplierQualificationRecorded,
        Fulfilment.Requested: contracts.FulfilmentRequested,
        Fulfilment.Reserved: contracts.StockReserved,
        Fulfilment.Rejected: contracts.StockReservationRejected,
        Fulfilment.Dispatched: contracts.ShipmentDispatched,
        ItemMasterData.PackagingLevelAdded: contracts.PackagingLevelAdded,
        ItemMasterData.RegistrationCertificateSet: contracts.RegistrationCertificateSet,
        ItemMasterData.StorageConditionsSet: contracts.StorageConditionsSet,
        ItemMasterData.TrackingSet: contracts.TrackingSet,
        StockControl.StockMoved: contracts.StockMoved,
        StockControl.StockCounted: contracts.StockCounted,
        StockControl.StockAdjusted: contracts.StockAdjusted,
        StockControl.StockNearingExpiry: contracts.StockNearingExpiry,
        ExternalMessage.Accepted: contracts.ExternalMessageAccepted,
        # Outbound (outbound.py): picking by scan, delivery, acceptance, returns, kits.
        Fulfilment.PicksConfirmed: contracts.PicksConfirmed,
        Fulfilment.Delivered: contracts.ShipmentDelivered,
        Fulfilment.Accepted: contracts.ShipmentAccepted,
        Fulfilment.Returned: contracts.ShipmentReturned,
        StockItem.StockReturned: contracts.StockReturned,
        StockItem.ComponentsConsumed: contracts.ComponentsConsumed,
        StockItem.KitAssembled: contracts.KitAssembled,
    }

    @property
    def near_expiry_days(self) -> int:
        """Goods expiring within this many days of the receipt date are flagged (`near_expiry`) when received."""
        return int(os.environ.get("INVENTORY_NEAR_EXPIRY_DAYS", "90"))

    def register_item(self, gtin: str, name: str, device_class: int) -> tuple[StockItem, bool]:
        """Items are keyed by GTIN: registering the same GTIN again returns the existing item."""
        return create_once(self, item_id_for(gtin), lambda: StockItem(gtin=gtin, name=name, device_class=device_class))

    def get_item(self, item_id: UUID) -> StockItem | None:
        return self.get_aggregate(item_id, StockItem)

    def item_by_gtin(self, gtin: str) -> StockItem | None:
        return self.get_item(item_id_for(gtin))

    # Suppliers (首营) -------------------------------------------------------------------------------------------

    def register_supplier(self, supplier_id: UUID, name: str, credit_code: str | None) -> tuple[Supplier, bool]:
        return create_once(self, supplier_id, lambda: Supplier(supplier_id=supplier_id, name=name, credit_code=credit_code))

    def get_supplier(self, supplier_id: UUID) -> Supplier | None:
        return self.get_aggregate(supplier_id, Supplier)

    def record_qualification(self, supplier_id: UUID, document_type: str, number: str, valid_from: date,
                             valid_to: date) -> Supplier | None:
        supplier = self.get_supplier(supplier_id)
        if supplier is None:
            return None
        supplier.record_qualification(document_type, number, valid_from, valid_to)
        self.save(supplier)
        return supplier

    # Receiving and quality --------------------------------------------------------------------------------------

    def receive_goods(self, supplier_id: UUID, lines: list[dict[str, Any]],
                      today: date | None = None, *, receipt_id: UUID | None = None,
                      save: bool = True) -> tuple[UUID, list[StockItem], list[dict[str, Any]]]:
        """Receive every line into quarantine, or none. Returns the receipt id, the items and near-expiry warnings.

        Every receipt is from a supplier whose qualifications are valid today (QualificationError otherwise):
        there is no way to receive goods around that rule.
        """
        today = today or datetime.now(UTC).date()
        supplier = self.get_supplier(supplier_id)
        if supplier is None:
            raise UnknownSupplierError(supplier_id)
        supplier.check_qualified_on(today)
        receipt_id = receipt_id or uuid4()
        items: dict[str, StockItem] = {}
        warnings = []
        for n, line in enumerate(lines):
            gtin = line["gtin"]
            item = items.get(gtin) or self.item_by_gtin(gtin)
            if item is None:
                raise UnknownItemError(gtin, n)
            items[gtin] = item
            near = item.receive_lot(line["lot"], line["expiry"], line["quantity"], line["warehouse"], today,
                                    near_expiry_days=self.near_expiry_days, supplier_id=supplier_id,
                                    receipt_id=receipt_id, serials=line.get("serials"),
                                    production_date=line.get("production_date"), location=line.get("location"))
            if near:
                warnings.append({"line": n, "rule": "near-expiry", "gtin": gtin, "lot": line["lot"],
                                 "detail": f"lot {line['lot']} expires on {line['expiry']}, within"
                                           f" {self.near_expiry_days} days of receipt"})
        if save:  # a WMS receipt is saved with its message (stock_commands.py)
            self.save(*items.values())
        return receipt_id, list(items.values()), warnings

    def _item(self, gtin: str) -> StockItem:
        item = self.item_by_gtin(gtin)
        if item is None:
            raise UnknownItemError(gtin)
        return item

    def inspect_lot(self, gtin: str, lot: str, warehouse: str, released: bool, reason: str | None = None) -> StockItem:
        item = self._item(gtin)
        item.inspect_lot(lot, warehouse, "available" if released else "rejected", reason or current_meta().reason)
        self.save(item)
        return item

    def hold_lot(self, gtin: str, lot: str, reason: str | None = None) -> StockItem:
        item = self._item(gtin)
        item.hold_lot(lot, reason or current_meta().reason)
        self.save(item)
        return item

    def release_hold(self, gtin: str, lot: str, reason: str | None = None) -> StockItem:
        item = self._item(gtin)
        item.release_hold(lot, reason or current_meta().reason)
        self.save(item)
        return item

    # Reservation and dispatch -----------------------------------------------------------------------------------

    def get_fulfilment(self, order_id: UUID) -> Fulfilment | None:
        return self.get_aggregate(fulfilment_id_for(order_id), Fulfilment)

    def plan_reservation(self, order_id: UUID, ship_to: UUID, lines: list[dict], today: date,
                         requested_delivery_date: date | None = None, ship_to_distributor_id: UUID | None = None) -> list:
        """Reserve every line FEFO, or none: returns the aggregates to save (nothing if already handled).

        Only released stock that is not on hold, not expired and — per line — with at least the line's minimum
        remaining shelf life on the requested delivery date is taken.
        """
        if self.exists(fulfilment_id_for(order_id)):
            return []
        optional: dict[str, Any] = {"requested_delivery_date": requested_delivery_date} if requested_delivery_date else {}
        if ship_to_distributor_id is not None:
            optional["ship_to_distributor_id"] = ship_to_distributor_id
        fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=ship_to, lines=lines, **optional)
        items: dict[str, StockItem | None] = {}
        reserved, shortages = [], []
        for line in lines:
            gtin = line["gtin"]
            min_days = line.get("min_remaining_shelf_life_days") or 0
            if gtin not in items:
                items[gtin] = self.item_by_gtin(gtin)
            item = items[gtin]
            try:
                if item is None:
                    raise InsufficientStockError(line["quantity"], 0)
                for a in item.allocate(order_id, line["quantity"], today, requested_delivery_date, min_days):
                    reserved.append({"line_no": line["line_no"], "gtin": gtin, "lot": a.lot, "expiry": a.expiry,
                                     "warehouse": a.warehouse, "quantity": a.quantity})
            except InsufficientStockError:
                available = usable_quantity(item.lot_stock(), today, requested_delivery_date, min_days) if item else 0
                shortages.append({"gtin": gtin, "requested": line["quantity"], "available": available})
        if shortages:
            # The allocations made for other lines stay unsaved: nothing is reserved for a rejected order.
            fulfilment.reject(order_id=order_id, reason="insufficient usable stock", shortages=shortages)
            return [fulfilment]
        fulfilment.reserve(order_id=order_id, lines=reserved, picking_required=self.picking_required)
        return [fulfilment, *[i for i in items.values() if i is not None]]

    def dispatch(self, order_id: UUID, carrier: str, tracking_number: str) -> Fulfilment | None:
        """Raises LotRuleError (and records nothing) when a reserved lot is on hold."""
        fulfilment, items = self.plan_dispatch(order_id, carrier, tracking_number)
        if fulfilment is not None:
            self.save(fulfilment, *items)
        return fulfilment

    def plan_dispatch(self, order_id: UUID, carrier: str,
                      tracking_number: str) -> tuple[Fulfilment | None, list[StockItem]]:
        """The dispatched fulfilment and the items it ships from, unsaved (a WMS shipment saves them with its
        message); (None, []) when there is no fulfilment for the order."""
        fulfilment = self.get_fulfilment(order_id)
        if fulfilment is None:
            return None, []
        changed: dict[UUID, StockItem] = {}
        now = datetime.now(UTC)
        for warehouse in fulfilment.warehouses_to_ship():
            shipment_id = uuid4()
            fulfilment.dispatch(shipment_id, warehouse, carrier, tracking_number, now)
            for gtin in sorted({r["gtin"] for r in fulfilment.reserved if r["warehouse"] == warehouse}):
                item = changed.get(item_id_for(gtin)) or self.item_by_gtin(gtin)
                try:
                    item.ship_allocated(order_id, shipment_id, warehouse)
                except UnknownAllocationError:
                    # The stock was shipped by a dispatch that saved after this one read the fulfilment: the
                    # race's loser, refused like any dispatch of an order no longer reserved.
                    raise FulfilmentStateError(f"order {order_id} was dispatched meanwhile") from None
                changed[item.id] = item
        return fulfilment, list(changed.values())
