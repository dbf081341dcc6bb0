"""Inventory's outbound commands, mixed into InventoryApplication: picking by UDI scan, delivery, the hospital's
acceptance (验收), returns (RMA) with their stock effects, and kit assembly (or re-packing)."""

import os
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from services.inventory.domain.fulfilment import Fulfilment, RecallStops, Scan, fulfilment_id_for
from services.inventory.domain.stock import StockItem, item_id_for


class UnknownFulfilmentError(LookupError):
    pass


class UnknownComponentError(LookupError):
    def __init__(self, gtin: str, index: int | None = None) -> None:
        super().__init__(gtin)
        self.gtin, self.index = gtin, index


class OutboundCommands:
    """Needs the ServiceApplication it is mixed into (get_aggregate, save)."""

    @property
    def picking_required(self) -> bool:
        """New reservations require every unit to be confirmed by a UDI scan before dispatch (default: yes;
        INVENTORY_PICKING_REQUIRED=false turns it off)."""
        return os.environ.get("INVENTORY_PICKING_REQUIRED", "true").strip().lower() not in ("0", "false", "no", "off")

    def _fulfilment(self, order_id: UUID) -> Fulfilment:
        fulfilment = self.get_aggregate(fulfilment_id_for(order_id), Fulfilment)  # type: ignore[attr-defined]
        if fulfilment is None:
            raise UnknownFulfilmentError(order_id)
        return fulfilment

    def _stock_item(self, gtin: str) -> StockItem | None:
        return self.get_aggregate(item_id_for(gtin), StockItem)  # type: ignore[attr-defined]

    def confirm_picks(self, order_id: UUID, scans: list[Scan], *, save: bool = True) -> Fulfilment:
        """All scans or none: PickRefusedError names the first that differs from the reservation."""
        fulfilment = self._fulfilment(order_id)
        serials_of: dict[tuple[str, str], set[str]] = {}
        stopped_lots, stopped_serials = set(), set()
        for gtin, lot in {(r["gtin"], r["lot"]) for r in fulfilment.reserved}:
            item = self._stock_item(gtin)
            if item is None:
                continue
            if item.serials_of(lot):
                serials_of[(gtin, lot)] = item.serials_of(lot)
            if lot in item.recalled_lots:
                stopped_lots.add((gtin, lot))
            stopped_serials |= {(gtin, serial) for serial in item.recalled_serials}
        fulfilment.confirm_picks(scans, serials_of, RecallStops(frozenset(stopped_lots), frozenset(stopped_serials)))
        if save:  # a WMS pick is saved with its message (stock_commands.py)
            self.save(fulfilment)  # type: ignore[attr-defined]
        return fulfilment

    def confirm_delivery(self, order_id: UUID, shipment_id: UUID, delivered_at: datetime | None,
                         received_by: str | None) -> Fulfilment:
        fulfilment = self._fulfilment(order_id)
        fulfilment.confirm_delivery(shipment_id, delivered_at or datetime.now(UTC), received_by)
        self.save(fulfilment)  # type: ignore[attr-defined]
        return fulfilment

    def accept_shipment(self, order_id: UUID, shipment_id: UUID, accepted_by: str, accepted_at: datetime | None,
                        discrepancies: list[dict[str, Any]], note: str | None) -> Fulfilment:
        fulfilment = self._fulfilment(order_id)
        fulfilment.accept(shipment_id, accepted_by, accepted_at or datetime.now(UTC), discrepancies, note)
        self.save(fulfilment)  # type: ignore[attr-defined]
        return fulfilment

    def record_return(self, return_id: UUID, order_id: UUID, shipment_id: UUID, reason: str, disposition: str,
                      warehouse: str, lines: list[dict[str, Any]], note: str | None) -> tuple[Fulfilment, bool]:
        """The return and its stock effects in one transaction; returns (fulfilment, created)."""
        fulfilment = self._fulfilment(order_id)
        if any(str(r["return_id"]) == str(return_id) for r in fulfilment.returns):
            return fulfilment, False  # a retry with the same Idempotency-Key
        returned = fulfilment.record_return(return_id, shipment_id, reason, disposition, warehouse, lines, note)
        items: dict[str, StockItem] = {}
        for line in returned:
            item = items.get(line["gtin"]) or self._stock_item(line["gtin"])
            items[line["gtin"]] = item
            item.receive_return(line["lot"], line["expiry"], warehouse, line["quantity"], return_id=return_id,
                                order_id=order_id, shipment_id=shipment_id, reason=reason, disposition=disposition)
        self.save(fulfilment, *items.values())  # type: ignore[attr-defined]
        return fulfilment, True

    def assemble_kit(self, assembly_id: UUID, kit_gtin: str, lot: str, quantity: int, warehouse: str,
                     components: list[dict[str, Any]], expiry: date | None = None,
                     today: date | None = None) -> tuple[StockItem, bool]:
        """Consume component lots (available stock) and produce a kit lot, all or nothing; returns (kit, created):
        an assembly already recorded (a retry) assembles nothing again."""
        today = today or datetime.now(UTC).date()
        kit = self._stock_item(kit_gtin)
        if kit is None:
            raise UnknownComponentError(kit_gtin)
        if str(assembly_id) in kit.assemblies:
            return kit, False
        by_item: dict[str, list[dict[str, Any]]] = {}
        for n, c in enumerate(components):
            if c["gtin"] != kit_gtin and self._stock_item(c["gtin"]) is None:
                raise UnknownComponentError(c["gtin"], n)
            by_item.setdefault(c["gtin"], []).append(c)
        items, inputs = [], []
        for gtin, takes in by_item.items():
            item = kit if gtin == kit_gtin else self._stock_item(gtin)
            for c in item.consume_components(assembly_id, kit_gtin, lot, takes, today):
                inputs.append({"gtin": gtin, **c})
            items.append(item)
        kit.assemble_kit(assembly_id, lot, quantity, warehouse, inputs, expiry)
        self.save(kit, *[i for i in items if i is not kit])  # type: ignore[attr-defined]
        return kit, True
