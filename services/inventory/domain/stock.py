"""Stock of one item (one aggregate per GTIN): its lots, their quality status, what is allocated to which order,
what shipped.

One aggregate per item means two orders racing for the last units of a lot conflict on the
aggregate's version, and the loser retries against the new stock: stock never goes negative.

Quality: received stock starts in quarantine until inspection releases it (available) or rejects it (blocked
for good). Independently, quality can put a lot on hold (every warehouse it is in) and release the hold; held
stock is neither reserved nor shipped.

Recalls: an open recall stops its lots and serialised units here (placed by the RecallHolds process manager when
traceability opens the recall). A recalled lot is also held, and that hold cannot be released by anyone while a
recall stops the lot; the stop lifts when the recall is closed or the lot is taken out of its scope (a decision
recorded in traceability), and the lot then stays held until quality releases it. The stop is checked on its own
at every step that moves stock (reservation, picking, dispatch, moves, adjustments), so that stock never leaves
while a recall is open even if its hold were somehow gone.
"""

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.inventory.domain.fefo import AVAILABLE, QUARANTINE, REJECTED, Allocation, LotStock, plan_fefo
from services.inventory.domain.stock_control import StockControl
from shared.domain.rules import RuleViolation


def item_id_for(gtin: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:item:{gtin}")


class UnknownAllocationError(Exception):
    pass


class LotExpiredError(ValueError):
    pass


class UnknownLotError(LookupError):
    pass


class LotRuleError(RuleViolation):
    """A rule of this module refused the command (answered as a 409 problem naming `rule`)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


class StockItem(StockControl):  # master data and stock control: item_master.py, stock_control.py
    @event("Registered")
    def __init__(self, gtin: str, name: str, device_class: int, model: str | None = None,
                 manufacturer: str | None = None) -> None:
        # `model` (型号规格) and `manufacturer` are absent from items registered before they were recorded.
        self.gtin = gtin
        self.name = name
        self.device_class = device_class
        self.model = model
        self.manufacturer = manufacturer
        self.lots: dict[tuple[str, str], LotStock] = {}
        self.allocations: dict[str, list[Allocation]] = {}

    @staticmethod
    def create_id(gtin: str) -> UUID:
        return item_id_for(gtin)

    def lot_stock(self) -> list[LotStock]:
        return list(self.lots.values())

    def lots_numbered(self, lot: str) -> list[LotStock]:
        return [s for (number, _), s in sorted(self.lots.items()) if number == lot]

    def receive_lot(self, lot: str, expiry: date, quantity: int, warehouse: str, today: date, *,
                    near_expiry_days: int = 0, supplier_id: UUID | None = None, receipt_id: UUID | None = None,
                    serials: list[str] | None = None, production_date: date | None = None,
                    location: str | None = None) -> bool:
        """Received stock goes into quarantine. Returns whether it expires within `near_expiry_days` (a warning).

        The rules are checked here, not in the event: replays must not re-judge.
        """
        if expiry <= today:
            raise LotExpiredError(f"lot {lot} expired on {expiry}; expired goods are not received")
        current = self.lots.get((lot, warehouse))
        if current is not None and current.quality != QUARANTINE:
            raise LotRuleError("lot-already-inspected",
                               f"lot {lot} in {warehouse} was already inspected ({current.quality});"
                               " more of it cannot join it: receive it into another warehouse")
        if current is not None and current.expiry != expiry:
            raise LotRuleError("lot-expiry-mismatch", f"lot {lot} in {warehouse} expires on {current.expiry}, not {expiry}")
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
        key = (lot, warehouse)
        current = self.lots.get(key)
        if current is None:
            held = any(s.held for s in self.lots_numbered(lot)) or lot in self.recalled_lots
            self.lots[key] = LotStock(lot, warehouse, expiry, quantity, 0, quality=status, held=held, location=location,
                                      recalled=lot in self.recalled_lots)
        else:
            self.lots[key] = replace(current, on_hand=current.on_hand + quantity, location=location or current.location)
        if serials:  # kept per lot so picking can tell a unit of the lot from a stranger
            self.__dict__.setdefault("serials", {}).setdefault(lot, []).extend(serials)

    def inspect_lot(self, lot: str, warehouse: str, result: str, reason: str | None) -> None:
        """Quality inspection of quarantined stock: released (available) or rejected (blocked, with a reason)."""
        current = self.lots.get((lot, warehouse))
        if current is None:
            raise UnknownLotError(f"no lot {lot} of {self.gtin} in {warehouse}")
        if result not in (AVAILABLE, REJECTED):
            raise ValueError(f"unknown inspection result {result!r}")
        if current.quality != QUARANTINE:
            raise LotRuleError("inspect-quarantined-only",
                               f"lot {lot} in {warehouse} is {current.quality}; only quarantined stock is inspected")
        if result == REJECTED and not (reason and reason.strip()):
            raise LotRuleError("reason-required", "a rejection needs a reason")
        self._lot_inspected(gtin=self.gtin, lot=lot, warehouse=warehouse,
                            result="released" if result == AVAILABLE else "rejected", reason=reason)

    @event("LotInspected")
    def _lot_inspected(self, gtin: str, lot: str, warehouse: str, result: str, reason: str | None) -> None:
        current = self.lots[(lot, warehouse)]
        self.lots[(lot, warehouse)] = replace(current, quality=AVAILABLE if result == "released" else REJECTED)

    def hold_lot(self, lot: str, reason: str | None) -> None:
        """Quality holds a lot in every warehouse it is in; held stock is neither reserved nor shipped."""
        lots = self.lots_numbered(lot)
        if not lots:
            raise UnknownLotError(f"no lot {lot} of {self.gtin}")
        if not (reason and reason.strip()):
            raise LotRuleError("reason-required", "putting a lot on hold needs a reason")
        if all(s.held for s in lots):
            raise LotRuleError("hold-once", f"lot {lot} is already on hold")
        self._lot_held(gtin=self.gtin, lot=lot, reason=reason)

    @event("LotHeld")
    def _lot_held(self, gtin: str, lot: str, reason: str | None, recall_id: str | None = None) -> None:
        # `recall_id`: the hold a recall placed (absent from quality's own holds, and before recalls stopped stock).
        if recall_id is not None:
            self.__dict__["_recalled_lots"] = {**self.recalled_lots,
                                               lot: sorted({*self.recalled_lots.get(lot, ()), recall_id})}
        for s in self.lots_numbered(lot):
            self.lots[(s.lot, s.warehouse)] = replace(s, held=True, recalled=s.recalled or recall_id is not None)

    def release_hold(self, lot: str, reason: str | None) -> None:
        lots = self.lots_numbered(lot)
        if not lots:
            raise UnknownLotError(f"no lot {lot} of {self.gtin}")
        if not (reason and reason.strip()):
            raise LotRuleError("reason-required", "releasing a hold needs a reason")
        if lot in self.recalled_lots:
            raise LotRuleError("recall-hold-kept-while-recall-open",
                               f"lot {lot} of {self.gtin} is held for recall {', '.join(self.recalled_lots[lot])},"
                               " which is open: nobody can release it until the recall is closed or the lot is"
                               " taken out of its scope (a recall officer's decision, approved by a second one)")
        if not any(s.held for s in lots):
            raise LotRuleError("release-held-only", f"lot {lot} is not on hold")
        self._hold_released(gtin=self.gtin, lot=lot, reason=reason)

    @event("LotHoldReleased")
    def _hold_released(self, gtin: str, lot: str, reason: str | None) -> None:
        for s in self.lots_numbered(lot):
            self.lots[(s.lot, s.warehouse)] = replace(s, held=False)

    # Recall stops ---------------------------------------------------------------------------------------------

    @property
    def recalled_lots(self) -> dict[str, list[str]]:
        """Lot number -> the open recalls that stop it (read with a default: older items never had one)."""
        return self.__dict__.get("_recalled_lots", {})

    @property
    def recalled_serials(self) -> dict[str, list[str]]:
        """Serial number -> the open recalls that stop that unit."""
        return self.__dict__.get("_recalled_serials", {})

    def stop_for_recall(self, recall_id: str, lots: list[str], serials: list[str], reason: str) -> bool:
        """Stop the recall's lots (held, in every warehouse, also stock that arrives later) and units; what this
        recall already stops is left as it is, so a redelivered recall changes nothing. Returns whether it changed."""
        new_lots = [lot for lot in dict.fromkeys(lots) if recall_id not in self.recalled_lots.get(lot, ())]
        new_serials = [s for s in dict.fromkeys(serials) if recall_id not in self.recalled_serials.get(s, ())]
        for lot in new_lots:
            self._lot_held(gtin=self.gtin, lot=lot, reason=reason, recall_id=recall_id)
        if new_serials:
            self._serials_recalled(gtin=self.gtin, recall_id=recall_id, serials=new_serials, reason=reason)
        return bool(new_lots or new_serials)

    @event("SerialsRecalled")
    def _serials_recalled(self, gtin: str, recall_id: str, serials: list[str], reason: str) -> None:
        stopped = dict(self.recalled_serials)
        for serial in serials:
            stopped[serial] = sorted({*stopped.get(serial, ()), recall_id})
        self.__dict__["_recalled_serials"] = stopped

    def lift_recall(self, recall_id: str, lots: list[str], serials: list[str], cause: str, reason: str) -> bool:
        """The recall no longer stops these lots and units (closed, or out of its scope). A lot stays held until
        quality releases it. Returns whether anything was stopped by this recall."""
        lifted_lots = [lot for lot in dict.fromkeys(lots) if recall_id in self.recalled_lots.get(lot, ())]
        lifted_serials = [s for s in dict.fromkeys(serials) if recall_id in self.recalled_serials.get(s, ())]
        if not (lifted_lots or lifted_serials):
            return False
        self._recall_lifted(gtin=self.gtin, recall_id=recall_id, lots=lifted_lots, serials=lifted_serials,
                            cause=cause, reason=reason)
        return True

    @event("RecallStopLifted")
    def _recall_lifted(self, gtin: str, recall_id: str, lots: list[str], serials: list[str], cause: str,
                       reason: str) -> None:
        def without(stops: dict[str, list[str]], keys: list[str]) -> dict[str, list[str]]:
            left = {k: [r for r in v if r != recall_id] if k in keys else v for k, v in stops.items()}
            return {k: v for k, v in left.items() if v}

        self.__dict__["_recalled_lots"] = without(self.recalled_lots, lots)
        self.__dict__["_recalled_serials"] = without(self.recalled_serials, serials)
        for lot in lots:
            for s in self.lots_numbered(lot):
                self.lots[(s.lot, s.warehouse)] = replace(s, recalled=lot in self.recalled_lots)

    def check_not_recalled(self, lots: list[str], serials: list[str] = (), action: str = "shipped") -> None:
        """LotRuleError when a recall stops one of these lots or units, whatever their hold says."""
        stopped = sorted({lot for lot in lots if lot in self.recalled_lots})
        units = sorted({s for s in serials if s in self.recalled_serials})
        if stopped or units:
            what = ", ".join([f"lot {lot}" for lot in stopped] + [f"serial {s}" for s in units])
            recalls = sorted({r for k in stopped for r in self.recalled_lots[k]}
                             | {r for k in units for r in self.recalled_serials[k]})
            raise LotRuleError(f"recalled-stock-not-{action.replace(' ', '-')}",
                               f"{what} of {self.gtin} is under open recall {', '.join(recalls)}: recalled stock is"
                               f" not {action} while the recall is open")

    def withheld_units(self) -> dict[str, int]:
        """Per lot, its serialised units under recall: never allocated (FEFO takes the lot's other units)."""
        withheld: dict[str, int] = {}
        for lot, serials in self.__dict__.get("serials", {}).items():
            count = sum(1 for s in serials if s in self.recalled_serials)
            if count:
                withheld[lot] = count
        return withheld

    def allocate(self, order_id: UUID, quantity: int, today: date, deliver_on: date | None = None,
                 min_remaining_days: int = 0) -> list[Allocation]:
        """FEFO over usable lots; raises InsufficientStockError and records nothing when short."""
        plan = plan_fefo(self.lot_stock(), quantity, today, deliver_on, min_remaining_days, self.withheld_units())
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
            raise UnknownAllocationError(f"nothing of {self.gtin} is allocated to order {order_id} in {warehouse}")
        self.check_not_recalled([a.lot for a in shipping], serials)
        held = sorted({a.lot for a in shipping if self.lots[(a.lot, a.warehouse)].held})
        if held:
            raise LotRuleError("held-stock-not-shipped", f"lot {', '.join(held)} of {self.gtin} is on hold:"
                               " held stock is not shipped until quality releases the hold")
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

    # Returns and kits (rules in returns.py and kits.py) -----------------------------------------------------------

    def serials_of(self, lot: str) -> set[str]:
        return set(self.__dict__.get("serials", {}).get(lot, []))

    def _check_quarantine_bucket(self, lot: str, warehouse: str, expiry: date, rule: str) -> None:
        current = self.lots.get((lot, warehouse))
        if current is not None and current.quality != QUARANTINE:
            raise LotRuleError(rule, f"lot {lot} in {warehouse} is {current.quality}: goods coming into quarantine"
                                     " cannot join it; use another warehouse (e.g. a returns area)")
        if current is not None and current.expiry != expiry:
            raise LotRuleError("lot-expiry-mismatch", f"lot {lot} in {warehouse} expires on {current.expiry}, not {expiry}")

    def _add_quarantined(self, lot: str, warehouse: str, expiry: date, quantity: int) -> None:
        current = self.lots.get((lot, warehouse))
        if current is None:
            held = any(s.held for s in self.lots_numbered(lot)) or lot in self.recalled_lots
            self.lots[(lot, warehouse)] = LotStock(lot, warehouse, expiry, quantity, 0, quality=QUARANTINE, held=held,
                                                   recalled=lot in self.recalled_lots)
        else:
            self.lots[(lot, warehouse)] = replace(current, on_hand=current.on_hand + quantity)

    def receive_return(self, lot: str, expiry: date, warehouse: str, quantity: int, *, return_id: UUID, order_id: UUID,
                       shipment_id: UUID, reason: str, disposition: str) -> None:
        from services.inventory.domain.returns import stock_status_for

        status = stock_status_for(disposition)
        if status == QUARANTINE:
            self._check_quarantine_bucket(lot, warehouse, expiry, "return-into-quarantine")
        self._stock_returned(gtin=self.gtin, lot=lot, expiry=expiry, warehouse=warehouse, quantity=quantity,
                             return_id=return_id, order_id=order_id, shipment_id=shipment_id, reason=reason,
                             disposition=disposition, status=status)

    @event("StockReturned")
    def _stock_returned(self, gtin: str, lot: str, expiry: date, warehouse: str, quantity: int, return_id: UUID,
                        order_id: UUID, shipment_id: UUID, reason: str, disposition: str, status: str) -> None:
        if status == QUARANTINE:
            self._add_quarantined(lot, warehouse, expiry, quantity)

    def consume_components(self, assembly_id: UUID, kit_gtin: str, kit_lot: str, takes: list[dict[str, Any]],
                           today: date) -> list[dict[str, Any]]:
        """Take available (released, not held, not expired, not allocated) stock of these lots for a kit."""
        from services.inventory.domain.kits import KitRuleError

        consumed = []
        for take in takes:
            stock = self.lots.get((take["lot"], take["warehouse"]))
            if stock is None:
                raise UnknownLotError(f"no lot {take['lot']} of {self.gtin} in {take['warehouse']}")
            if not stock.reservable or stock.expiry <= today:
                raise KitRuleError("kit-from-available-stock", f"lot {take['lot']} of {self.gtin} in {take['warehouse']}"
                                   f" is {'expired' if stock.expiry <= today else stock.status}: only available stock"
                                   " goes into a kit")
            already = sum(c["quantity"] for c in consumed if c["lot"] == take["lot"] and c["warehouse"] == take["warehouse"])
            if stock.available < already + take["quantity"]:
                raise KitRuleError("kit-from-available-stock", f"lot {take['lot']} of {self.gtin} in {take['warehouse']}"
                                   f" has {stock.available} available, {already + take['quantity']} needed")
            consumed.append({"lot": take["lot"], "expiry": stock.expiry, "warehouse": take["warehouse"],
                             "quantity": take["quantity"]})
        self._components_consumed(gtin=self.gtin, assembly_id=assembly_id, kit_gtin=kit_gtin, kit_lot=kit_lot,
                                  consumed=consumed)
        return consumed

    @event("ComponentsConsumed")
    def _components_consumed(self, gtin: str, assembly_id: UUID, kit_gtin: str, kit_lot: str,
                             consumed: list[dict[str, Any]]) -> None:
        for c in consumed:
            lot = self.lots[(c["lot"], c["warehouse"])]
            self.lots[(c["lot"], c["warehouse"])] = replace(lot, on_hand=lot.on_hand - c["quantity"])

    def assemble_kit(self, assembly_id: UUID, lot: str, quantity: int, warehouse: str,
                     components: list[dict[str, Any]], expiry: date | None) -> date:
        """A new kit lot into quarantine; its expiry is the earliest component's unless an earlier one is given."""
        from services.inventory.domain.kits import KitRuleError, kit_expiry

        if any(c["gtin"] == self.gtin for c in components):
            raise KitRuleError("kit-not-its-own-component", f"{self.gtin} cannot be a component of itself")
        expiry = kit_expiry(components, expiry)
        self._check_quarantine_bucket(lot, warehouse, expiry, "lot-already-inspected")
        self._kit_assembled(gtin=self.gtin, assembly_id=assembly_id, lot=lot, expiry=expiry, quantity=quantity,
                            warehouse=warehouse, components=components, status=QUARANTINE)
        return expiry

    @event("KitAssembled")
    def _kit_assembled(self, gtin: str, assembly_id: UUID, lot: str, expiry: date, quantity: int, warehouse: str,
                       components: list[dict[str, Any]], status: str) -> None:
        self._add_quarantined(lot, warehouse, expiry, quantity)
        # Remembered so that a retried assembly (the same Idempotency-Key) assembles nothing twice.
        self.__dict__["_assemblies"] = {**self.assemblies, str(assembly_id): {
            "lot": lot, "expiry": expiry, "quantity": quantity, "warehouse": warehouse, "components": components}}

    @property
    def assemblies(self) -> dict[str, dict[str, Any]]:
        return self.__dict__.get("_assemblies", {})


def _as_record(a: Allocation) -> dict[str, Any]:
    return {"lot": a.lot, "warehouse": a.warehouse, "expiry": a.expiry, "quantity": a.quantity}


def _from_record(r: dict[str, Any]) -> Allocation:
    return Allocation(r["lot"], r["warehouse"], r["expiry"], r["quantity"])
