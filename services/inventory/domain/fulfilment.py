"""Fulfilment of one sales order (one aggregate per order): requested, then reserved or rejected, then dispatched."""

from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.inventory.domain.picking import PickRefusedError, RecalledStock, Scan, merged, plan_picks
from services.inventory.domain.returns import ReturnRuleError, check_return
from shared.domain.rules import NotFound, RuleViolation
from shared.platform.aggregate import TracedAggregate


def fulfilment_id_for(order_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:fulfilment:{order_id}")


class FulfilmentStateError(RuleViolation):
    def __init__(self, message: str, rule: str = "dispatch-reserved-only") -> None:
        super().__init__(rule, message)


class UnknownShipmentError(NotFound):
    def __init__(self, shipment_id: UUID) -> None:
        super().__init__("Shipment", shipment_id)


class Fulfilment(TracedAggregate):
    """Status: reserved (every line), partially_reserved (some units wait for stock: `backordered`), rejected
    (nothing reserved yet: backordered), partially_shipped, shipped, cancelled, or closed (cancelled after a partial
    delivery). `reserved` holds what is reserved and not yet shipped; each dispatch ships it and a later
    reservation (a backorder filled by released stock) adds to it."""

    @event("Requested")
    def __init__(self, order_id: UUID, ship_to_hospital_id: UUID, lines: list[dict[str, Any]],
                 requested_delivery_date: date | None = None, ship_to_distributor_id: UUID | None = None,
                 ship_complete: bool = False, order_type: str = "standard",
                 delivery_address: str | None = None) -> None:
        # Lines may carry `min_remaining_shelf_life_days` (absent before shelf-life minimums existed). Orders
        # delivered through a distributor ship to it (`ship_to_distributor_id`), absent before that existed.
        # `ship_complete`: no partial delivery (absent before partial deliveries existed).
        self.order_id = order_id
        self.requested_delivery_date = requested_delivery_date
        self.ship_to_hospital_id = ship_to_hospital_id
        self.ship_to_distributor_id = ship_to_distributor_id
        self.ship_complete = ship_complete
        self.order_type = order_type  # consignment and loaner orders ship to a consignment location (consignment.py)
        self.delivery_address = delivery_address  # absent: the customer's registered address
        self.requested = lines
        self.status = "requested"
        self.reserved: list[dict[str, Any]] = []
        self.backordered: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []
        self.picked: list[dict[str, Any]] = []
        self.picking_required = False
        self.returns: list[dict[str, Any]] = []

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return fulfilment_id_for(order_id)

    @property
    def waiting(self) -> list[dict[str, Any]]:
        """The lines (or what is left of them) still to be reserved."""
        return self.__dict__.get("backordered", [])

    def reserve(self, order_id: UUID, lines: list[dict[str, Any]], picking_required: bool = False,
                backordered: list[dict[str, Any]] | None = None) -> None:
        """Record reserved allocations; `backordered`: what is still short and waits for stock."""
        self._reserved(order_id=order_id, lines=lines, picking_required=picking_required,
                       **({"backordered": backordered} if backordered else {}))

    @event("Reserved")
    def _reserved(self, order_id: UUID, lines: list[dict[str, Any]], picking_required: bool = False,
                  backordered: list[dict[str, Any]] | None = None) -> None:
        # `picking_required` is absent from reservations recorded before picking by scan existed, `backordered` from
        # those before partial deliveries (each reserved the whole order then).
        self.reserved = [*self.reserved, *lines]
        self.__dict__["backordered"] = backordered or []
        self.picking_required = picking_required
        self._settle()

    def reject(self, order_id: UUID, reason: str, shortages: list[dict[str, Any]],
               waiting: list[dict[str, Any]] | None = None) -> None:
        """Nothing could be reserved: `waiting` (default: every requested line) waits for stock."""
        self._rejected(order_id=order_id, reason=reason, shortages=shortages,
                       **({"waiting": waiting} if waiting is not None else {}))

    @event("Rejected")
    def _rejected(self, order_id: UUID, reason: str, shortages: list[dict[str, Any]],
                  waiting: list[dict[str, Any]] | None = None) -> None:
        # Before delivery plans, a rejection left every requested line waiting.
        self.__dict__["backordered"] = [dict(line) for line in (self.requested if waiting is None else waiting)]
        self.reason = reason
        self._settle()

    # Delivery plans (交付计划): scheduled deliveries are reserved when they come due ------------------------------

    @property
    def scheduled(self) -> list[dict[str, Any]]:
        """Deliveries of the plan not reserved yet (each: a line's part with its `delivery_date`)."""
        return self.__dict__.get("scheduled", [])

    def schedule(self, deliveries: list[dict[str, Any]]) -> None:
        self._scheduled(order_id=self.order_id, deliveries=deliveries)

    @event("DeliveriesScheduled")
    def _scheduled(self, order_id: UUID, deliveries: list[dict[str, Any]]) -> None:
        self.__dict__["scheduled"] = [*self.scheduled, *deliveries]
        self._settle()

    def due_deliveries(self, by: date) -> list[dict[str, Any]]:
        return [d for d in self.scheduled if d["delivery_date"] <= by]

    def make_due(self, deliveries: list[dict[str, Any]]) -> None:
        """Scheduled deliveries come due: they wait for stock like a backorder (reserved by the caller, as far as
        stock goes, in the same unit of work)."""
        self._deliveries_due(order_id=self.order_id, deliveries=deliveries)

    @event("DeliveriesDue")
    def _deliveries_due(self, order_id: UUID, deliveries: list[dict[str, Any]]) -> None:
        self.__dict__["scheduled"] = [d for d in self.scheduled if d not in deliveries]
        self.__dict__["backordered"] = [*self.waiting, *deliveries]
        self._settle()

    def _settle(self) -> None:
        later = self.scheduled
        if self.shipments:
            self.status = "partially_shipped" if self.reserved or self.waiting or later else "shipped"
        elif self.reserved:
            self.status = "partially_reserved" if self.waiting else "reserved"
        else:
            self.status = "rejected" if self.waiting else "scheduled" if later else "requested"

    def shipped_by_line(self) -> dict[int, int]:
        """Units shipped per order line (shipments recorded before partial deliveries name no line: None)."""
        shipped: dict[int, int] = {}
        for shipment in self.shipments:
            for line in shipment["lines"]:
                shipped[line.get("line_no")] = shipped.get(line.get("line_no"), 0) + line["quantity"]
        return shipped

    def warehouses_to_ship(self) -> list[str]:
        """One shipment per warehouse the reserved lots are in, for those not yet shipped."""
        if self.status in ("cancelled", "closed") or not self.reserved:
            raise FulfilmentStateError(f"the fulfilment is {self.status} with nothing reserved to ship; only reserved"
                                       " stock can be dispatched")
        return sorted({line["warehouse"] for line in self.reserved})

    @property
    def holds(self) -> list[str]:
        return self.__dict__.get("order_holds", [])  # fulfilments from before order holds existed carry none

    def hold(self, hold: str) -> bool:
        """The order was put on hold after it reached fulfilment: nothing is dispatched until it is released. False
        when it was held so already."""
        if hold in self.holds:
            return False
        self._held(order_id=self.order_id, hold=hold)
        return True

    @event("Held")
    def _held(self, order_id: UUID, hold: str) -> None:
        self.__dict__["order_holds"] = [*self.holds, hold]

    def release(self, hold: str) -> bool:
        if hold not in self.holds:
            return False
        self._hold_released(order_id=self.order_id, hold=hold)
        return True

    @event("HoldReleased")
    def _hold_released(self, order_id: UUID, hold: str) -> None:
        self.__dict__["order_holds"] = [h for h in self.holds if h != hold]

    def cancel(self) -> bool:
        """The order was cancelled: what is reserved and not shipped is released (by the items, in the same unit of
        work) and nothing more ships. After a partial delivery the order is closed. Refused once everything has
        shipped; False when cancelled already (a retry)."""
        if self.status in ("cancelled", "closed"):
            return False
        if self.status == "shipped":
            raise FulfilmentStateError("the fulfilment is shipped: what has shipped cannot be cancelled",
                                       "cancel-before-shipment")
        self._cancelled(order_id=self.order_id, released=self.reserved)
        return True

    @event("Cancelled")
    def _cancelled(self, order_id: UUID, released: list[dict[str, Any]]) -> None:
        self.status = "closed" if self.shipments else "cancelled"
        self.reserved, self.picked, self.__dict__["backordered"], self.__dict__["scheduled"] = [], [], [], []

    def amendment_problem(self, lines: list[dict[str, Any]]) -> str | None:
        """Why inventory cannot take these amended lines, or None: what has shipped cannot change (each shipped line
        keeps its item and at least its shipped quantity), and a cancelled or fully shipped order is not amended."""
        if self.status in ("cancelled", "closed", "shipped"):
            return f"already {self.status}: it is no longer amended"
        new = {line["line_no"]: line for line in lines}
        for line_no, shipped in sorted(self.shipped_by_line().items(), key=lambda kv: kv[0] or 0):
            line = new.get(line_no)
            if line is None or line["gtin"] != self._gtin_of(line_no) or line["quantity"] < shipped:
                return f"line {line_no} has shipped {shipped} unit(s): only what has not shipped can change"
        return None

    def _gtin_of(self, line_no: int | None) -> str | None:
        return next((line["gtin"] for s in self.shipments for line in s["lines"] if line.get("line_no") == line_no),
                    None)

    def replan(self, lines: list[dict[str, Any]], requested_delivery_date: date | None,
               delivery_address: str | None = None) -> None:
        """The order was amended: what its new lines leave to ship, to be reserved again (the items release what
        was reserved and not shipped, in the same unit of work); picks start over."""
        if problem := self.amendment_problem(lines):
            raise FulfilmentStateError(problem, "amend-unshipped-only")
        shipped = self.shipped_by_line()
        remaining = [_less(line, shipped.get(line["line_no"], 0)) for line in lines]
        self._amended(order_id=self.order_id, lines=[line for line in remaining if line["quantity"] > 0],
                      requested_delivery_date=requested_delivery_date,
                      **({"delivery_address": delivery_address} if delivery_address else {}))

    @event("Amended")
    def _amended(self, order_id: UUID, lines: list[dict[str, Any]], requested_delivery_date: date | None,
                 delivery_address: str | None = None) -> None:
        self.requested, self.requested_delivery_date = lines, requested_delivery_date
        self.__dict__["delivery_address"] = delivery_address
        self.reserved, self.picked, self.__dict__["backordered"], self.__dict__["scheduled"] = [], [], [], []
        self.status = "requested"
        if not lines:
            self._settle()  # all that is left has shipped

    def refuse_amendment(self, reason: str) -> None:
        self._amendment_refused(order_id=self.order_id, reason=reason)

    @event("AmendmentRefused")
    def _amendment_refused(self, order_id: UUID, reason: str) -> None:
        pass

    def refuse_cancellation(self, reason: str) -> None:
        self._cancellation_refused(order_id=self.order_id, reason=reason)

    @event("CancellationRefused")
    def _cancellation_refused(self, order_id: UUID, reason: str) -> None:
        pass

    def dispatch(self, shipment_id: UUID, warehouse: str, carrier: str, tracking_number: str, at: datetime) -> None:
        if self.holds:
            raise FulfilmentStateError(f"the order is on hold ({', '.join(self.holds)}): nothing is dispatched until"
                                       " the hold is released", "order-on-hold")
        if (self.picking_required or self.picked) and not self.picks_complete:
            raise FulfilmentStateError(f"{self.units_to_pick} reserved units are not picked yet: confirm every unit by"
                                       " its UDI scan (POST /fulfilments/{order_id}/picks) before dispatch",
                                       "dispatch-picked-only")
        lines = []
        for r in self.reserved:
            if r["warehouse"] != warehouse:
                continue
            line = {"line_no": r["line_no"], "gtin": r["gtin"], "lot": r["lot"], "expiry": r["expiry"],
                    "quantity": r["quantity"]}
            serials = [s for p in self.picked if p["line_no"] == r["line_no"] and p["lot"] == r["lot"]
                       and p["warehouse"] == warehouse for s in p.get("serials") or []]
            if serials:
                line["serials"] = serials
            lines.append(line)
        self._dispatched(order_id=self.order_id, shipment_id=shipment_id, ship_to_hospital_id=self.ship_to_hospital_id,
                         ship_from_warehouse=warehouse, carrier=carrier, tracking_number=tracking_number,
                         dispatched_at=at, lines=lines, ship_to_distributor_id=self.ship_to_distributor_id,
                         **({"order_type": self.kind} if self.kind != "standard" else {}),
                         **({"delivery_address": self.address} if self.address else {}))

    @property
    def address(self) -> str | None:
        return self.__dict__.get("delivery_address")  # fulfilments before delivery addresses had none

    @property
    def kind(self) -> str:
        return self.__dict__.get("order_type", "standard")  # fulfilments before consignment were all standard

    @event("Dispatched")
    def _dispatched(self, order_id: UUID, shipment_id: UUID, ship_to_hospital_id: UUID, ship_from_warehouse: str,
                    carrier: str, tracking_number: str, dispatched_at: datetime, lines: list[dict[str, Any]],
                    ship_to_distributor_id: UUID | None = None, order_type: str = "standard",
                    delivery_address: str | None = None) -> None:
        self.shipments.append({"shipment_id": shipment_id, "warehouse": ship_from_warehouse, "lines": lines,
                               "carrier": carrier, "tracking_number": tracking_number})
        # What shipped is no longer reserved, nor waiting to be picked.
        self.reserved = [r for r in self.reserved if r["warehouse"] != ship_from_warehouse]
        self.picked = [p for p in self.picked if p["warehouse"] != ship_from_warehouse]
        self._settle()

    # Picking by UDI scan ----------------------------------------------------------------------------------------

    def picked_serials(self, gtin: str, warehouse: str) -> list[str]:
        return [s for p in self.picked if p["gtin"] == gtin and p["warehouse"] == warehouse for s in p.get("serials") or []]

    @property
    def units_to_pick(self) -> int:
        return sum(r["quantity"] for r in self.reserved) - sum(p["quantity"] for p in self.picked)

    @property
    def picks_complete(self) -> bool:
        return bool(self.reserved) and self.units_to_pick == 0

    def confirm_picks(self, scans: list[Scan], serials_of: dict[tuple[str, str], set[str]],
                      stops: RecalledStock = RecalledStock()) -> list[dict[str, Any]]:
        """Raises PickRefusedError (recording nothing) when a scan differs from the reservation or picks recalled
        stock."""
        if not self.reserved or self.status in ("cancelled", "closed"):
            raise FulfilmentStateError(f"the fulfilment is {self.status} with nothing reserved to pick; only reserved"
                                       " stock is picked", "pick-reserved-only")
        lines = merged(plan_picks(self.reserved, self.picked, scans, serials_of, stops))
        complete = self.units_to_pick == sum(line["quantity"] for line in lines)
        self._picked(order_id=self.order_id, lines=lines, complete=complete)
        return lines

    @event("PicksConfirmed")
    def _picked(self, order_id: UUID, lines: list[dict[str, Any]], complete: bool) -> None:
        self.picked = [*self.picked, *lines]

    # After dispatch: delivery, acceptance (验收), returns -------------------------------------------------------

    def shipment(self, shipment_id: UUID) -> dict[str, Any]:
        found = next((s for s in self.shipments if str(s["shipment_id"]) == str(shipment_id)), None)
        if found is None:
            raise UnknownShipmentError(shipment_id)
        return found

    def confirm_delivery(self, shipment_id: UUID, delivered_at: datetime, received_by: str | None) -> None:
        if self.shipment(shipment_id).get("delivered_at") is not None:
            raise FulfilmentStateError(f"shipment {shipment_id} was already delivered", "deliver-once")
        self._delivered(order_id=self.order_id, shipment_id=shipment_id, delivered_at=delivered_at,
                        received_by=received_by)

    @event("Delivered")
    def _delivered(self, order_id: UUID, shipment_id: UUID, delivered_at: datetime, received_by: str | None) -> None:
        self.shipment(shipment_id).update(delivered_at=delivered_at, received_by=received_by)

    def accept(self, shipment_id: UUID, accepted_by: str, accepted_at: datetime, discrepancies: list[dict[str, Any]],
               note: str | None) -> None:
        shipment = self.shipment(shipment_id)
        if shipment.get("delivered_at") is None:
            raise FulfilmentStateError(f"shipment {shipment_id} is not delivered yet: the hospital accepts what"
                                       " was delivered", "accept-delivered-only")
        if shipment.get("accepted_by") is not None:
            raise FulfilmentStateError(f"shipment {shipment_id} was already accepted", "accept-once")
        shipped = {(line["gtin"], line["lot"]) for line in shipment["lines"]}
        gtins = {gtin for gtin, _ in shipped}
        for n, d in enumerate(discrepancies):
            if d["kind"] != "wrong_item" and d["gtin"] not in gtins or d.get("lot") and d["kind"] != "wrong_item" \
                    and (d["gtin"], d["lot"]) not in shipped:
                raise FulfilmentStateError(f"discrepancies[{n}]: {d['gtin']} {d.get('lot') or ''} was not in shipment"
                                           f" {shipment_id}", "discrepancy-of-shipped-goods")
        self._accepted(order_id=self.order_id, shipment_id=shipment_id, accepted_by=accepted_by, accepted_at=accepted_at,
                       discrepancies=discrepancies, note=note)

    @event("Accepted")
    def _accepted(self, order_id: UUID, shipment_id: UUID, accepted_by: str, accepted_at: datetime,
                  discrepancies: list[dict[str, Any]], note: str | None) -> None:
        self.shipment(shipment_id).update(accepted_by=accepted_by, accepted_at=accepted_at, discrepancies=discrepancies)

    def record_return(self, return_id: UUID, shipment_id: UUID, reason: str, disposition: str, warehouse: str,
                      lines: list[dict[str, Any]], note: str | None, credit: bool = True) -> list[dict[str, Any]]:
        """Raises ReturnRuleError (recording nothing) when more would come back than was shipped."""
        shipment = self.shipment(shipment_id)
        earlier = [r for r in self.returns if str(r["shipment_id"]) == str(shipment_id)]
        returned = check_return(shipment, earlier, lines)
        self._returned(order_id=self.order_id, return_id=return_id, shipment_id=shipment_id,
                       ship_to_hospital_id=self.ship_to_hospital_id, reason=reason, disposition=disposition,
                       warehouse=warehouse, lines=returned, note=note, **({} if credit else {"credit": False}))
        return returned

    @event("Returned")
    def _returned(self, order_id: UUID, return_id: UUID, shipment_id: UUID, ship_to_hospital_id: UUID, reason: str,
                  disposition: str, warehouse: str, lines: list[dict[str, Any]], note: str | None,
                  credit: bool = True) -> None:
        self.returns = [*self.returns, {"return_id": return_id, "shipment_id": shipment_id, "reason": reason,
                                        "disposition": disposition, "warehouse": warehouse, "lines": lines,
                                        "note": note, "credit": credit}]


def deliveries_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each line as the parts it is delivered in: a line with a delivery plan (`deliveries`: date and quantity) is one
    part per scheduled delivery, with its `delivery_date`; a line without is one part."""
    parts = []
    for line in lines:
        plan = line.get("deliveries")
        if not plan:
            parts.append(line)
            continue
        base = {k: v for k, v in line.items() if k != "deliveries"}
        parts += [{**base, "quantity": d["quantity"], "delivery_date": _day(d["date"])} for d in plan]
    return parts


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _less(line: dict[str, Any], shipped: int) -> dict[str, Any]:
    """What is left of a line once `shipped` units have: its plan's earliest deliveries are taken first."""
    left = {**line, "quantity": line["quantity"] - shipped}
    if line.get("deliveries"):
        plan, skip = [], shipped
        for d in sorted(line["deliveries"], key=lambda d: _day(d["date"])):
            take = min(skip, d["quantity"])
            skip -= take
            if d["quantity"] > take:
                plan.append({**d, "quantity": d["quantity"] - take})
        left["deliveries"] = plan
    return left


__all__ = ["Fulfilment", "FulfilmentStateError", "PickRefusedError", "RecalledStock", "ReturnRuleError", "Scan",
           "UnknownShipmentError", "fulfilment_id_for"]
