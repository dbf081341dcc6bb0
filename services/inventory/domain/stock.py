"""Stock of one item (one aggregate per GTIN): its lots, their quality status, what is allocated to which order,
what shipped. The item is composed of parts with rules and events of their own (parts.py): `master` (item master
data), `control` (moves, counts, near expiry), `recalls` (recall stops), `returns` and `kits`.

One aggregate per item means two orders racing for the last units of a lot conflict on the aggregate's version, and
the loser retries against the new stock: stock never goes negative.

Quality: received stock starts in quarantine until inspection releases it (available) or rejects it (blocked for
good). Independently, quality can put a lot on hold (every warehouse it is in) and release the hold; held stock is
neither reserved nor shipped. A lot a recall stops is held too, and that hold stays while the recall is open.
"""

from dataclasses import replace
from decimal import Decimal
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.inventory.domain.fefo import AVAILABLE, QUARANTINE, REJECTED, Allocation, LotStock, plan_fefo
from services.inventory.domain.item_master import ItemMaster
from services.inventory.domain.kits import Kits
from services.inventory.domain.recall_stops import RecallStops
from services.inventory.domain.returns import Returns
from services.inventory.domain.stock_control import StockControl
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.domain.pricing import DEFAULT_VAT_RATE as DEVICE_VAT_RATE
from shared.platform.aggregate import TracedAggregate


def item_id_for(gtin: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:item:{gtin}")


class LotRuleError(RuleViolation):
    """A rule about the item's lots refused the command (409, naming the item and lot)."""

    def __init__(self, rule: str, message: str, gtin: str | None = None, lot: str | None = None) -> None:
        super().__init__(rule, message, **{k: v for k, v in (("gtin", gtin), ("lot", lot)) if v is not None})


class LotExpiredError(RuleViolation):
    def __init__(self, lot: str, expiry: date) -> None:
        super().__init__("expired-at-receipt", f"lot {lot} expired on {expiry}; expired goods are not received", "expiry")


class UnknownLotError(NotFound):
    def __init__(self, gtin: str, lot: str, warehouse: str | None = None) -> None:
        super().__init__("Lot", f"{lot} of {gtin}" + (f" in {warehouse}" if warehouse else ""))


class UnknownAllocationError(RuleViolation):
    def __init__(self, gtin: str, order_id: UUID, warehouse: str) -> None:
        super().__init__("allocated-stock-only", f"nothing of {gtin} is allocated to order {order_id} in {warehouse}")


class StockItem(TracedAggregate):
    @event("Registered")
    def __init__(self, gtin: str, name: str, device_class: int, model: str | None = None,
                 manufacturer: str | None = None, vat_rate: Decimal | None = None) -> None:
        # `model` (型号规格), `manufacturer` and `vat_rate` are absent from items registered before they were recorded.
        self.gtin, self.name, self.device_class, self.model, self.manufacturer = gtin, name, device_class, model, manufacturer
        self.vat_rate = vat_rate
        self.lots: dict[tuple[str, str], LotStock] = {}
        self.allocations: dict[str, list[Allocation]] = {}  # order id -> what is allocated to it
        self.serials: dict[str, list[str]] = {}  # lot -> serials received, so picking tells a unit from a stranger
        self.master, self.control, self.recalls = ItemMaster.of(self), StockControl.of(self), RecallStops.of(self)
        self.returns, self.kits = Returns.of(self), Kits.of(self)

    @staticmethod
    def create_id(gtin: str) -> UUID:
        return item_id_for(gtin)

    @property
    def effective_vat_rate(self) -> Decimal:
        """The item's VAT rate: its own, else the 13% devices carry (prices derive net from tax-inclusive with it)."""
        return getattr(self, "vat_rate", None) or DEVICE_VAT_RATE

    def lot_stock(self) -> list[LotStock]:
        return list(self.lots.values())

    def lots_numbered(self, lot: str) -> list[LotStock]:
        return [s for (number, _), s in sorted(self.lots.items()) if number == lot]

    def lot_in(self, lot: str, warehouse: str) -> LotStock:
        if (lot, warehouse) not in self.lots:
            raise UnknownLotError(self.gtin, lot, warehouse)
        return self.lots[(lot, warehouse)]

    def serials_of(self, lot: str) -> set[str]:
        return set(self.serials.get(lot, []))

    # Receiving and quality ------------------------------------------------------------------------------------------

    def receive_lot(self, lot: str, expiry: date, quantity: int, warehouse: str, today: date, *,
                    near_expiry_days: int = 0, supplier_id: UUID | None = None, receipt_id: UUID | None = None,
                    serials: list[str] | None = None, production_date: date | None = None,
                    location: str | None = None) -> bool:
        """Received stock goes into quarantine. Returns whether it expires within `near_expiry_days` (a warning).
        The rules are checked here, not in the event: replays must not re-judge."""
        if expiry <= today:
            raise LotExpiredError(lot, expiry)
        current = self.lots.get((lot, warehouse))
        if current is not None and current.quality != QUARANTINE:
            raise LotRuleError("lot-already-inspected", f"lot {lot} in {warehouse} was already inspected"
                               f" ({current.quality}): more of it cannot join it: receive it into another warehouse",
                               self.gtin, lot)
        if current is not None and current.expiry != expiry:
            raise LotRuleError("lot-expiry-mismatch", f"lot {lot} in {warehouse} expires on {current.expiry}, not"
                               f" {expiry}", self.gtin, lot)
        near_expiry = (expiry - today).days <= near_expiry_days
        self._lot_received(gtin=self.gtin, lot=lot, expiry=expiry, quantity=quantity, warehouse=warehouse,
                           status=QUARANTINE, supplier_id=supplier_id, receipt_id=receipt_id, serials=serials,
                           production_date=production_date, location=location, near_expiry=near_expiry)
        return near_expiry

    @event("LotReceived")
    def _lot_received(self, gtin: str, lot: str, expiry: date, quantity: int, warehouse: str,
                      status: str = AVAILABLE, supplier_id: UUID | None = None, receipt_id: UUID | None = None,
                      serials: list[str] | None = None, production_date: date | None = None,
                      location: str | None = None, near_expiry: bool = False) -> None:
        # `status` is absent from events stored before quality inspection existed: that stock was available at once.
        current = self.lots.get((lot, warehouse))
        if current is None:
            self.lots[(lot, warehouse)] = LotStock(lot, warehouse, expiry, quantity, 0, quality=status,
                                                   held=self._held(lot), location=location,
                                                   recalled=lot in self.recalls.lots)
        else:
            self.lots[(lot, warehouse)] = replace(current, on_hand=current.on_hand + quantity,
                                                  location=location or current.location)
        if serials:
            self.serials.setdefault(lot, []).extend(serials)

    def inspect_lot(self, lot: str, warehouse: str, result: str, reason: str | None) -> None:
        """Quality inspection of quarantined stock: released (available) or rejected (blocked, with a reason)."""
        current = self.lot_in(lot, warehouse)
        if result not in (AVAILABLE, REJECTED):
            raise InvalidReference("result", "inspection-result", "an inspection releases or rejects the lot")
        if current.quality != QUARANTINE:
            raise LotRuleError("inspect-quarantined-only", f"lot {lot} in {warehouse} is {current.quality}; only"
                               " quarantined stock is inspected", self.gtin, lot)
        if result == REJECTED and not (reason and reason.strip()):
            raise LotRuleError("reason-required", "a rejection needs a reason", self.gtin, lot)
        self._lot_inspected(gtin=self.gtin, lot=lot, warehouse=warehouse,
                            result="released" if result == AVAILABLE else "rejected", reason=reason)

    @event("LotInspected")
    def _lot_inspected(self, gtin: str, lot: str, warehouse: str, result: str, reason: str | None) -> None:
        current = self.lots[(lot, warehouse)]
        self.lots[(lot, warehouse)] = replace(current, quality=AVAILABLE if result == "released" else REJECTED)

    def hold_lot(self, lot: str, reason: str | None) -> None:
        """Quality holds a lot in every warehouse it is in; held stock is neither reserved nor shipped."""
        lots = self._numbered(lot)
        if not (reason and reason.strip()):
            raise LotRuleError("reason-required", "putting a lot on hold needs a reason", self.gtin, lot)
        if all(s.held for s in lots):
            raise LotRuleError("hold-once", f"lot {lot} is already on hold", self.gtin, lot)
        self._lot_held(gtin=self.gtin, lot=lot, reason=reason)

    def hold_for_recall(self, lot: str, recall_id: str, reason: str) -> None:
        """The hold a recall places (recall_stops.py): also on a lot not received yet, which arrives held."""
        self._lot_held(gtin=self.gtin, lot=lot, reason=reason, recall_id=recall_id)

    @event("LotHeld")
    def _lot_held(self, gtin: str, lot: str, reason: str | None, recall_id: str | None = None) -> None:
        # `recall_id`: the hold a recall placed (absent from quality's own holds, and before recalls stopped stock).
        if recall_id is not None:
            self.recalls.stopped_by(lot, recall_id)
        for s in self.lots_numbered(lot):
            self.lots[(s.lot, s.warehouse)] = replace(s, held=True, recalled=s.recalled or recall_id is not None)

    def release_hold(self, lot: str, reason: str | None) -> None:
        lots = self._numbered(lot)
        if not (reason and reason.strip()):
            raise LotRuleError("reason-required", "releasing a hold needs a reason", self.gtin, lot)
        if lot in self.recalls.lots:
            raise LotRuleError("recall-hold-kept-while-recall-open",
                               f"lot {lot} of {self.gtin} is held for recall {', '.join(self.recalls.lots[lot])},"
                               " which is open: nobody can release it until the recall is closed or the lot is"
                               " taken out of its scope (a recall officer's decision, approved by a second one)",
                               self.gtin, lot)
        if not any(s.held for s in lots):
            raise LotRuleError("release-held-only", f"lot {lot} is not on hold", self.gtin, lot)
        self._hold_released(gtin=self.gtin, lot=lot, reason=reason)

    @event("LotHoldReleased")
    def _hold_released(self, gtin: str, lot: str, reason: str | None) -> None:
        for s in self.lots_numbered(lot):
            self.lots[(s.lot, s.warehouse)] = replace(s, held=False)

    # Allocation and shipping ----------------------------------------------------------------------------------------

    def allocate(self, order_id: UUID, quantity: int, today: date, deliver_on: date | None = None,
                 min_remaining_days: int = 0, preferred_warehouses: frozenset[str] = frozenset()) -> list[Allocation]:
        """FEFO from usable stock (fefo.py), the preferred warehouses first; InsufficientStockError when there is
        not enough, recording nothing."""
        plan = plan_fefo(self.lot_stock(), quantity, today, deliver_on, min_remaining_days, self.recalls.withheld_units(),
                         preferred_warehouses)
        self._allocated(gtin=self.gtin, order_id=order_id, allocations=[_as_record(a) for a in plan])
        return plan

    @event("StockAllocated")
    def _allocated(self, gtin: str, order_id: UUID, allocations: list[dict[str, Any]]) -> None:
        taken = [_from_record(a) for a in allocations]
        for a in taken:
            lot = self.lots[(a.lot, a.warehouse)]
            self.lots[(a.lot, a.warehouse)] = replace(lot, allocated=lot.allocated + a.quantity)
        self.allocations.setdefault(str(order_id), []).extend(taken)

    def ship_allocated(self, order_id: UUID, shipment_id: UUID, warehouse: str,
                       serials: list[str] = ()) -> list[Allocation]:
        """Ship what is allocated to the order in the warehouse (with the picked `serials`); never recalled or held
        stock."""
        shipping = [a for a in self.allocations.get(str(order_id), []) if a.warehouse == warehouse]
        if not shipping:
            raise UnknownAllocationError(self.gtin, order_id, warehouse)
        self.recalls.check_not_recalled([a.lot for a in shipping], serials)
        held = sorted({a.lot for a in shipping if self.lots[(a.lot, a.warehouse)].held})
        if held:
            raise LotRuleError("held-stock-not-shipped", f"lot {', '.join(held)} of {self.gtin} is on hold: held stock"
                               " is not shipped until quality releases the hold")
        self._shipped(gtin=self.gtin, order_id=order_id, shipment_id=shipment_id,
                      allocations=[_as_record(a) for a in shipping])
        return shipping

    @event("AllocatedStockShipped")
    def _shipped(self, gtin: str, order_id: UUID, shipment_id: UUID, allocations: list[dict[str, Any]]) -> None:
        shipped = [_from_record(a) for a in allocations]
        for a in shipped:
            lot = self.lots[(a.lot, a.warehouse)]
            self.lots[(a.lot, a.warehouse)] = replace(lot, on_hand=lot.on_hand - a.quantity,
                                                      allocated=lot.allocated - a.quantity)
        remaining = [a for a in self.allocations.get(str(order_id), []) if a not in shipped]
        if remaining:
            self.allocations[str(order_id)] = remaining
        else:  # a shipped order leaves no entry: the item's state (copied on every read) grows only with open orders
            self.allocations.pop(str(order_id), None)

    def deallocate(self, order_id: UUID) -> list[Allocation]:
        """Release what is still allocated to a cancelled order (nothing shipped is touched: shipping removed it from
        the allocations); an empty list when nothing is (a retry)."""
        releasing = list(self.allocations.get(str(order_id), []))
        if releasing:
            self._deallocated(gtin=self.gtin, order_id=order_id, allocations=[_as_record(a) for a in releasing])
        return releasing

    @event("StockDeallocated")
    def _deallocated(self, gtin: str, order_id: UUID, allocations: list[dict[str, Any]]) -> None:
        for a in (_from_record(r) for r in allocations):
            lot = self.lots[(a.lot, a.warehouse)]
            self.lots[(a.lot, a.warehouse)] = replace(lot, allocated=lot.allocated - a.quantity)
        self.allocations.pop(str(order_id), None)

    # Goods coming into quarantine other than by receipt: returns and kits (returns.py, kits.py) --------------------

    def check_quarantine_bucket(self, lot: str, warehouse: str, expiry: date, rule: str) -> None:
        current = self.lots.get((lot, warehouse))
        if current is not None and current.quality != QUARANTINE:
            raise LotRuleError(rule, f"lot {lot} in {warehouse} is {current.quality}: goods coming into quarantine"
                                     " cannot join it; use another warehouse (e.g. a returns area)", self.gtin, lot)
        if current is not None and current.expiry != expiry:
            raise LotRuleError("lot-expiry-mismatch", f"lot {lot} in {warehouse} expires on {current.expiry}, not"
                               f" {expiry}", self.gtin, lot)

    def add_quarantined(self, lot: str, warehouse: str, expiry: date, quantity: int) -> None:
        current = self.lots.get((lot, warehouse))
        if current is None:
            self.lots[(lot, warehouse)] = LotStock(lot, warehouse, expiry, quantity, 0, quality=QUARANTINE,
                                                   held=self._held(lot), recalled=lot in self.recalls.lots)
        else:
            self.lots[(lot, warehouse)] = replace(current, on_hand=current.on_hand + quantity)

    def _held(self, lot: str) -> bool:
        """A lot number on hold (or stopped by a recall) is held in every warehouse, also one it arrives in later."""
        return any(s.held for s in self.lots_numbered(lot)) or lot in self.recalls.lots

    def _numbered(self, lot: str) -> list[LotStock]:
        lots = self.lots_numbered(lot)
        if not lots:
            raise UnknownLotError(self.gtin, lot)
        return lots


def _as_record(a: Allocation) -> dict[str, Any]:
    return {"lot": a.lot, "warehouse": a.warehouse, "expiry": a.expiry, "quantity": a.quantity}


def _from_record(r: dict[str, Any]) -> Allocation:
    return Allocation(r["lot"], r["warehouse"], r["expiry"], r["quantity"])
