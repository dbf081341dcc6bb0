"""Inventory commands: the item master, suppliers and their qualifications, receiving into quarantine, quality
inspection and holds, FEFO reservation for orders, and dispatch."""

import copy
import os
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from services.inventory.domain import (
    Fulfilment, FulfilmentStateError, InsufficientStockError, LotRuleError, StockItem, Supplier, fulfilment_id_for,
    item_id_for,
)
from services.inventory.domain.stock import UnknownAllocationError
from services.inventory.domain.fefo import usable_quantity
from services.inventory.domain.external import ExternalMessage
from services.inventory.domain.item_master import ItemMasterData
from services.inventory.domain.stock_control import StockControl
from services.inventory.stock_commands import StockCommands
from services.inventory.outbound import OutboundCommands
from shared.domain.certificates import certificate_problem
from shared.events import inventory as contracts
from shared.platform.context import current_meta
from shared.domain.rules import RuleViolation
from shared.platform.eventstore import ServiceApplication, UniqueClaim
from shared.platform.idempotency import create_once


class UnknownItemError(LookupError):
    def __init__(self, gtin: str, line: int | None = None) -> None:
        super().__init__(gtin)
        self.gtin, self.line = gtin, line


class UnknownSupplierError(LookupError):
    pass


class OpenRecallsPort(Protocol):
    """Which open recalls cover these goods (projections/open_recalls.py keeps them)."""

    def covering(self, gtin: str, lots: list[str], serials: list[str]) -> list[str]: ...


class InventoryApplication(StockCommands, OutboundCommands, ServiceApplication):  # StockCommands: stock_commands.py
    service = "inventory"
    published = {
        StockItem.Registered: contracts.ItemRegistered,
        StockItem.LotReceived: contracts.LotReceived,
        StockItem.LotInspected: contracts.LotInspected,
        StockItem.LotHeld: contracts.LotHeld,
        StockItem.LotHoldReleased: contracts.LotHoldReleased,
        StockItem.SerialsRecalled: contracts.SerialsRecalled,
        StockItem.RecallStopLifted: contracts.RecallStopLifted,
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

    def register_item(self, gtin: str, name: str, device_class: int, model: str | None = None,
                      manufacturer: str | None = None) -> tuple[StockItem, bool]:
        """Items are keyed by GTIN: registering the same GTIN again returns the existing item."""
        return create_once(self, item_id_for(gtin), lambda: StockItem(
            gtin=gtin, name=name, device_class=device_class, model=model, manufacturer=manufacturer))

    def get_item(self, item_id: UUID) -> StockItem | None:
        return self.get_aggregate(item_id, StockItem)

    def item_by_gtin(self, gtin: str) -> StockItem | None:
        return self.get_item(item_id_for(gtin))

    # Suppliers (首营) -------------------------------------------------------------------------------------------

    def register_supplier(self, supplier_id: UUID, name: str, credit_code: str | None) -> tuple[Supplier, bool]:
        """A supplier once (by its id); its unified social credit code identifies one company, so one supplier."""
        if self.exists(supplier_id):
            return self.repository.get(supplier_id), False
        claims = []
        if credit_code is not None:
            claims.append(UniqueClaim("supplier-credit-code", credit_code, supplier_id))
            holder = self.claimant("supplier-credit-code", credit_code)
            if holder is not None:
                raise RuleViolation("supplier-credit-code-unique", f"a supplier with credit code {credit_code} is already"
                                    f" registered ({holder})", "credit_code", existing_supplier_id=holder)
        return create_once(self, supplier_id, lambda: Supplier(supplier_id=supplier_id, name=name,
                                                               credit_code=credit_code), unique_claims=claims)

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
            if problem := certificate_problem(item.registration_certificate, today, self.settings.certificate_grace_until):
                raise LotRuleError("registration-certificate-valid", f"lines[{n}]: {item.name} ({gtin}) cannot be"
                                   f" received on {today}: {problem}")
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
        reserved, shortages, items = self._allocate(fulfilment, today, {})
        if shortages:
            # The allocations made for other lines stay unsaved: nothing is reserved for a rejected order.
            fulfilment.reject(order_id=order_id, reason="insufficient usable stock", shortages=shortages)
            return [fulfilment]
        fulfilment.reserve(order_id=order_id, lines=reserved, picking_required=self.picking_required)
        return [fulfilment, *items]

    def plan_backorder_retries(self, order_ids: list[UUID], today: date) -> list:
        """Try again to reserve backordered (rejected) orders, oldest first, now that stock was released: those that
        can now be reserved in full are; the others stay backordered and record nothing new."""
        changed: dict[UUID, Any] = {}
        items: dict[str, StockItem | None] = {}
        for order_id in order_ids:
            fulfilment = self.get_fulfilment(order_id)
            if fulfilment is None or fulfilment.status != "rejected":
                continue
            trial = {gtin: copy.deepcopy(item) for gtin, item in items.items()}  # an order short again takes nothing
            reserved, shortages, used = self._allocate(fulfilment, today, trial)
            if shortages:
                continue
            items = trial
            fulfilment.reserve(order_id=order_id, lines=reserved, picking_required=self.picking_required)
            changed[fulfilment.id] = fulfilment
            changed.update({item.id: item for item in used})
        return list(changed.values())

    def _allocate(self, fulfilment: Fulfilment, today: date,
                  items: dict[str, StockItem | None]) -> tuple[list[dict], list[dict], list[StockItem]]:
        """FEFO allocations for every requested line (on the items given, loading the others): reserved lines,
        shortages, and the items allocated from."""
        order_id, deliver_on = fulfilment.order_id, fulfilment.requested_delivery_date
        reserved, shortages = [], []
        for line in fulfilment.requested:
            gtin = line["gtin"]
            min_days = line.get("min_remaining_shelf_life_days") or 0
            if gtin not in items:
                items[gtin] = self.item_by_gtin(gtin)
            item = items[gtin]
            try:
                if item is None:
                    raise InsufficientStockError(line["quantity"], 0)
                for a in item.allocate(order_id, line["quantity"], today, deliver_on, min_days):
                    reserved.append({"line_no": line["line_no"], "gtin": gtin, "lot": a.lot, "expiry": a.expiry,
                                     "warehouse": a.warehouse, "quantity": a.quantity})
            except InsufficientStockError:
                available = usable_quantity(item.lot_stock(), today, deliver_on, min_days, item.withheld_units()) if item else 0
                shortages.append({"gtin": gtin, "requested": line["quantity"], "available": available})
        used = [items[g] for g in dict.fromkeys(line["gtin"] for line in fulfilment.requested) if items.get(g) is not None]
        return reserved, shortages, used

    def dispatch(self, order_id: UUID, carrier: str, tracking_number: str, *,
                 open_recalls: OpenRecallsPort) -> Fulfilment | None:
        """Raises LotRuleError (and records nothing) when a reserved lot is on hold or under an open recall."""
        fulfilment, items = self.plan_dispatch(order_id, carrier, tracking_number, open_recalls=open_recalls)
        if fulfilment is not None:
            self.save(fulfilment, *items)
        return fulfilment

    def plan_dispatch(self, order_id: UUID, carrier: str, tracking_number: str, *,
                      open_recalls: OpenRecallsPort) -> tuple[Fulfilment | None, list[StockItem]]:
        """The dispatched fulfilment and the items it ships from, unsaved (a WMS shipment saves them with its
        message); (None, []) when there is no fulfilment for the order.

        Recalled stock is refused twice, independently: by the items' recall stops (ship_allocated) and by the
        register of open recalls traceability announced (`open_recalls`)."""
        fulfilment = self.get_fulfilment(order_id)
        if fulfilment is None:
            return None, []
        changed: dict[UUID, StockItem] = {}
        now = datetime.now(UTC)
        for warehouse in fulfilment.warehouses_to_ship():
            shipment_id = uuid4()
            fulfilment.dispatch(shipment_id, warehouse, carrier, tracking_number, now)
            for gtin in sorted({r["gtin"] for r in fulfilment.reserved if r["warehouse"] == warehouse}):
                lots = sorted({r["lot"] for r in fulfilment.reserved if r["gtin"] == gtin and r["warehouse"] == warehouse})
                serials = fulfilment.picked_serials(gtin, warehouse)
                if recalls := open_recalls.covering(gtin, lots, serials):
                    raise LotRuleError("recalled-stock-not-shipped",
                                       f"{gtin} lot {', '.join(lots)} is under open recall {', '.join(recalls)}:"
                                       " recalled stock is not shipped while the recall is open")
                item = changed.get(item_id_for(gtin)) or self.item_by_gtin(gtin)
                try:
                    item.ship_allocated(order_id, shipment_id, warehouse, serials)
                except UnknownAllocationError:
                    # The stock was shipped by a dispatch that saved after this one read the fulfilment: the
                    # race's loser, refused like any dispatch of an order no longer reserved.
                    raise FulfilmentStateError(f"order {order_id} was dispatched meanwhile") from None
                changed[item.id] = item
        return fulfilment, list(changed.values())
