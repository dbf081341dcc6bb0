"""Inventory commands for item master data, stock control (moves, counts, adjustments), near-expiry reports and
messages from external warehouse systems. A base class of `InventoryApplication` (see application.py)."""

import hashlib
import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from services.inventory.domain.external import ExternalMessage, external_message_id
from shared.platform.eventstore import IntegrityError

DEFAULT_NEAR_EXPIRY_THRESHOLDS = (180, 90, 30)


def near_expiry_thresholds(value: str | None = None) -> list[int]:
    """INVENTORY_NEAR_EXPIRY_THRESHOLDS: days before expiry, comma-separated (default 180,90,30)."""
    raw = value if value is not None else os.environ.get("INVENTORY_NEAR_EXPIRY_THRESHOLDS", "")
    if not raw.strip():
        return list(DEFAULT_NEAR_EXPIRY_THRESHOLDS)
    try:
        thresholds = sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True)
    except ValueError:
        raise ValueError(f"INVENTORY_NEAR_EXPIRY_THRESHOLDS must be whole days, comma-separated: {raw!r}") from None
    if not thresholds or min(thresholds) < 0:
        raise ValueError(f"INVENTORY_NEAR_EXPIRY_THRESHOLDS must be days >= 0: {raw!r}")
    return thresholds


def payload_sha256(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ExternalReferenceReusedError(Exception):
    def __init__(self, external_reference: str, kind: str) -> None:
        super().__init__(f"external reference {external_reference!r} was already used for a different {kind}"
                         " message; nothing was stored")
        self.external_reference, self.kind = external_reference, kind


class StockCommands:
    """Needs `_item`, `save`, `exists`, `get_aggregate`, `receive_goods` of InventoryApplication."""

    # Item master data --------------------------------------------------------------------------------------

    def _change_item(self, gtin: str, change: Callable[[Any], bool]) -> Any:
        item = self._item(gtin)
        if change(item):
            self.save(item)
        return item

    def add_packaging_level(self, gtin: str, level: str, packaging_gtin: str, quantity: int) -> Any:
        from services.inventory.domain.item_master import ItemMasterError
        from services.inventory.domain.stock import item_id_for

        if self.exists(item_id_for(packaging_gtin)):
            raise ItemMasterError("packaging-gtin-unique", f"GTIN {packaging_gtin} is registered as an item of its own")
        return self._change_item(gtin, lambda item: item.add_packaging_level(level, packaging_gtin, quantity))

    def set_registration_certificate(self, gtin: str, number: str, holder: str, valid_from: date, valid_to: date,
                                     scope: str | None) -> Any:
        return self._change_item(
            gtin, lambda item: item.set_registration_certificate(number, holder, valid_from, valid_to, scope))

    def set_storage_conditions(self, gtin: str, min_temperature_c: float | None, max_temperature_c: float | None,
                               description: str | None) -> Any:
        return self._change_item(
            gtin, lambda item: item.set_storage_conditions(min_temperature_c, max_temperature_c, description))

    def set_tracking(self, gtin: str, lot_tracked: bool, serial_tracked: bool, implant: bool) -> Any:
        return self._change_item(gtin, lambda item: item.set_tracking(lot_tracked, serial_tracked, implant))

    # Stock control -----------------------------------------------------------------------------------------

    def move_stock(self, gtin: str, lot: str, from_warehouse: str, to_warehouse: str, quantity: int,
                   to_location: str | None = None, move_id: str | None = None, *, save: bool = True) -> Any:
        item = self._item(gtin)
        item.move_stock(lot, from_warehouse, to_warehouse, quantity, to_location, move_id)
        if save:
            self.save(item)
        return item

    def count_stock(self, gtin: str, lot: str, warehouse: str, counted: int, reason: str | None,
                    count_id: str | None = None) -> tuple[Any, int]:
        item = self._item(gtin)
        change = item.count_stock(lot, warehouse, counted, reason, count_id)
        self.save(item)
        return item, change

    def adjust_stock(self, gtin: str, lot: str, warehouse: str, quantity_change: int, reason: str | None) -> Any:
        item = self._item(gtin)
        item.adjust_stock(lot, warehouse, quantity_change, reason)
        self.save(item)
        return item

    def report_near_expiry(self, gtins: list[str], today: date | None = None,
                           thresholds: list[int] | None = None) -> list[dict[str, Any]]:
        """Record StockNearingExpiry for the items' lots that crossed a threshold since the last report."""
        today = today or datetime.now(UTC).date()
        thresholds = thresholds or near_expiry_thresholds()
        reported = []
        for gtin in sorted(set(gtins)):
            item = self.item_by_gtin(gtin)
            if item is None:
                continue
            recorded = item.report_near_expiry(today, thresholds)
            if recorded:
                self.save(item)
            reported += [{"gtin": gtin, "lot": lot, "warehouse": warehouse, "threshold_days": threshold,
                          "expiry": item.lots[(lot, warehouse)].expiry} for lot, warehouse, threshold in recorded]
        return reported

    # Messages from an external warehouse system (WMS) ------------------------------------------------------

    def external_message(self, external_reference: str) -> ExternalMessage | None:
        return self.get_aggregate(external_message_id(external_reference), ExternalMessage)

    def _accept_once(self, external_reference: str, kind: str, payload: dict[str, Any],
                     apply: Callable[[], tuple[list[Any], dict[str, Any]]]) -> tuple[dict[str, Any], bool]:
        """Apply a WMS message once: returns (result, first time). A repeat returns the first result and stores
        nothing; a different payload under the same reference raises ExternalReferenceReusedError."""
        digest = payload_sha256({"kind": kind, **payload})

        def earlier() -> tuple[dict[str, Any], bool] | None:
            message = self.external_message(external_reference)
            if message is None:
                return None
            if message.kind != kind or message.payload_sha256 != digest:
                raise ExternalReferenceReusedError(external_reference, kind)
            return message.result, False

        if (seen := earlier()) is not None:
            return seen
        changed, result = apply()
        message = ExternalMessage(external_reference=external_reference, kind=kind, payload_sha256=digest, result=result)
        try:
            self.save(*changed, message)
        except IntegrityError:
            if (seen := earlier()) is not None:  # the same message, delivered twice at once: the other one won
                return seen
            raise
        return result, True

    def receive_from_wms(self, external_reference: str, supplier_id: UUID, lines: list[dict[str, Any]],
                         payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """A goods receipt posted by a WMS: the same rules as POST /goods-receipts, once per reference."""
        def apply() -> tuple[list[Any], dict[str, Any]]:
            receipt_id = uuid5(NAMESPACE_URL, f"erp:inventory:wms-receipt:{external_reference}")
            receipt_id, items, warnings = self.receive_goods(supplier_id, lines, receipt_id=receipt_id, save=False)
            return items, {"receipt_id": str(receipt_id), "warnings": warnings}

        return self._accept_once(external_reference, "receipt", payload, apply)

    def move_from_wms(self, external_reference: str, move: dict[str, Any],
                      payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        def apply() -> tuple[list[Any], dict[str, Any]]:
            item = self.move_stock(move["gtin"], move["lot"], move["from_warehouse"], move["to_warehouse"],
                                   move["quantity"], move.get("to_location"), external_reference, save=False)
            return [item], {"item_id": str(item.id), "item_version": item.version}

        return self._accept_once(external_reference, "stock_move", payload, apply)

    def pick_from_wms(self, external_reference: str, order_id: UUID, scans: list[Any],
                      payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Picks (parsed UDI scans) posted by a WMS: the rules of POST /fulfilments/{order_id}/picks, once per
        reference. The result names the lines this message confirmed and what is left to pick."""
        def apply() -> tuple[list[Any], dict[str, Any]]:
            before = len(self._fulfilment(order_id).picked)
            fulfilment = self.confirm_picks(order_id, scans, save=False)
            return [fulfilment], _json_safe({
                "order_id": str(order_id), "picked": fulfilment.picked[before:],
                "units_to_pick": fulfilment.units_to_pick, "picks_complete": fulfilment.picks_complete})

        return self._accept_once(external_reference, "pick", payload, apply)

    def dispatch_from_wms(self, external_reference: str, order_id: UUID, carrier: str, tracking_number: str,
                          payload: dict[str, Any], *, open_recalls: Any) -> tuple[dict[str, Any], bool]:
        """A shipment posted by a WMS (or TMS): the rules of POST /fulfilments/{order_id}/dispatch, once per
        reference. The result holds the shipments this message created (one per warehouse)."""
        from services.inventory.outbound import UnknownFulfilmentError

        def apply() -> tuple[list[Any], dict[str, Any]]:
            fulfilment = self.get_fulfilment(order_id)
            if fulfilment is None:
                raise UnknownFulfilmentError(order_id)
            before = len(fulfilment.shipments)
            fulfilment, items = self.plan_dispatch(order_id, carrier, tracking_number, open_recalls=open_recalls)
            return [fulfilment, *items], _json_safe({
                "order_id": str(order_id), "status": fulfilment.status, "shipments": fulfilment.shipments[before:]})

        return self._accept_once(external_reference, "shipment", payload, apply)


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    """As the WMS is answered (and the answer stored): ids and dates as strings."""
    return json.loads(json.dumps(value, default=str))
