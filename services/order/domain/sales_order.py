"""A sales order to a hospital (delivered direct or through a distributor); its status follows fulfilment: placed ->
reserved (partially_reserved: the rest backordered) -> partially_shipped -> shipped, or backordered; cancelled before
it ships, or closed when cancelled after a partial delivery (inventory decides, for an order in fulfilment: what is
reserved and not shipped is released). Each line is open, partially_shipped, shipped, closed (its rest cancelled
after a partial delivery) or cancelled (line_statuses).

Holds: an order may carry several (HOLDS), each released by the role that owns it, with a reason. An order placed
with holds (a price the desk typed: `price_approval`; a credit check it failed: `credit`) is on_hold, and fulfilment
starts only when its last hold is released (OrderReleased). A hold placed later (`manual`, `compliance`) stops an
order already in fulfilment from being dispatched until it is released. A typed price may also be rejected
(price_rejected, the end of the order)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.approval import second_person
from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate


class OrderStateError(RuleViolation):
    """The order's status does not allow the step (e.g. backordering a shipped order): a 409 like any rule."""

    def __init__(self, detail: str) -> None:
        super().__init__("order-status", detail)


# Each hold, and the permission that releases it (the route declares it; the price's is decided by price-decision).
HOLDS = {"price_approval": "price:approve", "credit": "order:release-credit-hold",
         "compliance": "order:release-compliance-hold", "manual": "order:release-manual-hold"}
PLACEABLE_HOLDS = ("manual", "compliance")  # those a person puts on an order; the others come from its checks


MAX_DELIVERIES = 24  # a plan of monthly deliveries for two years; more is a typo or a contract, not an order line


def delivery_plan(index: int, quantity: int, deliveries: tuple[tuple[date, int], ...] | list,
                  today: date) -> list[dict[str, Any]]:
    """A line's delivery plan (交付计划), checked: its deliveries add up to the line's quantity, fall on distinct days
    from today on, and are at most MAX_DELIVERIES. Sorted by date."""
    field = f"lines[{index}].deliveries"
    plan = sorted(({"date": day, "quantity": count} for day, count in deliveries), key=lambda d: d["date"])
    if len(plan) > MAX_DELIVERIES:
        raise RuleViolation("delivery-plan-size", f"at most {MAX_DELIVERIES} deliveries per line", field)
    if sum(d["quantity"] for d in plan) != quantity:
        raise RuleViolation("delivery-plan-total", f"the deliveries add up to {sum(d['quantity'] for d in plan)},"
                            f" the line orders {quantity}", field)
    days = [d["date"] for d in plan]
    if len(set(days)) != len(days) or days[0] < today:
        raise RuleViolation("delivery-plan-dates", f"each delivery on its own day, from {today} on", field)
    return plan


class SalesOrder(TracedAggregate):
    @event("Placed")
    def __init__(self, order_id: UUID, hospital_id: UUID, customer_reference: str | None, currency: str,
                 lines: list[dict[str, Any]], requested_delivery_date: date | None = None,
                 ship_to_distributor_id: UUID | None = None, holds: list[str] | None = None,
                 placed_by: str | None = None, hold_reasons: dict[str, str] | None = None,
                 ship_complete: bool = False, order_type: str = "standard", usage_id: UUID | None = None,
                 delivery_address: str | None = None, legacy_reference: str | None = None,
                 legacy_order_date: date | None = None) -> None:
        # Lines may carry `min_remaining_shelf_life_days`; orders placed before it existed have neither it nor a
        # requested delivery date nor a distributor (replayed with the defaults).
        self.hospital_id = hospital_id
        self.ship_to_distributor_id = ship_to_distributor_id
        self.requested_delivery_date = requested_delivery_date
        self.customer_reference = customer_reference
        self.currency = currency
        self.lines = lines
        self.holds = holds or []
        self.placed_by = placed_by
        self.hold_history: list[dict[str, Any]] = [
            {"hold": hold, "placed": True, "reason": (hold_reasons or {}).get(hold)} for hold in self.holds]
        self.released_to_fulfilment = not self.holds
        self.status = "on_hold" if self.holds else "placed"
        self.allocations: list[dict[str, Any]] = []
        self.shipment_ids: list[UUID] = []
        self.backorder_reason: str | None = None
        self.ship_complete = ship_complete  # no partial deliveries (absent before they existed)
        self.order_type = order_type  # consignment / loaner: shipped uninvoiced; consumption: used where consigned
        self.delivery_address = delivery_address  # absent: the customer's registered address
        self.usage_id = usage_id
        # Migrated from the company's old system (services/order/imports.py): its order number and date there.
        self.legacy_reference = legacy_reference
        self.legacy_order_date = legacy_order_date
        if order_type == "consumption":  # the goods were delivered (consigned) and used: nothing is left to ship
            self.status = "shipped"
            self.__dict__["shipped_by_line"] = {line["line_no"]: line["quantity"] for line in lines}

    @staticmethod
    def create_id(order_id: UUID) -> UUID:
        return order_id

    @classmethod
    def place(cls, order_id: UUID, hospital_id: UUID, customer_reference: str | None, currency: str,
              lines: list[dict[str, Any]], requested_delivery_date: date | None = None,
              ship_to_distributor_id: UUID | None = None, placed_by: str | None = None,
              credit_problems: list[str] | None = None, ship_complete: bool = False,
              order_type: str = "standard", delivery_address: str | None = None,
              legacy_reference: str | None = None, legacy_order_date: date | None = None) -> "SalesOrder":
        """The order as accepted (the checks before acceptance: compliance.py), its lines numbered from 1. A line
        the desk priced (`manual`) holds the order for a pricing manager's approval; a failed credit check
        (domain/credit.py) for finance."""
        numbered = []
        for n, line in enumerate(lines, start=1):
            numbered.append({"line_no": n, "gtin": line["gtin"], "quantity": line["quantity"],
                             "unit_price": Decimal(line["unit_price"])})
            for optional_field in ("min_remaining_shelf_life_days", "gross_unit_price", "vat_rate", "price_source",
                                   "contract_id", "price_explanation", "deliveries"):
                if line.get(optional_field) is not None:
                    numbered[-1][optional_field] = line[optional_field]
        optional: dict[str, Any] = {"requested_delivery_date": requested_delivery_date} if requested_delivery_date else {}
        if ship_to_distributor_id is not None:
            optional["ship_to_distributor_id"] = ship_to_distributor_id
        reasons = {}
        if any(line.get("price_source") == "manual" for line in numbered):
            reasons["price_approval"] = "a price typed by the order desk"
        if credit_problems:
            reasons["credit"] = "; ".join(credit_problems)[:1000]
        if reasons:
            optional.update(holds=list(reasons), hold_reasons=reasons, placed_by=placed_by)
        if ship_complete:
            optional["ship_complete"] = True
        if order_type != "standard":
            optional["order_type"] = order_type
        if delivery_address:
            optional["delivery_address"] = delivery_address
        if legacy_reference:  # only imported orders carry them: the others' events stay as they were
            optional.update(legacy_reference=legacy_reference, legacy_order_date=legacy_order_date)
        return cls(order_id=order_id, hospital_id=hospital_id, customer_reference=customer_reference,
                   currency=currency, lines=numbered, **optional)

    def approve_price(self, by: str) -> None:
        """The typed prices stand: the hold is lifted and, with no other hold, fulfilment starts."""
        self._require_price_hold()
        second_person(self.placed_by or "", by, "this order's typed prices")
        self._price_approved(approved_by=by)
        self._release_if_free()

    def _release_if_free(self) -> None:
        """With no hold left, an order that never went to fulfilment goes now: the event repeats what fulfilment
        needs, as OrderPlaced would have told it."""
        if not self.holds and not self.__dict__.get("released_to_fulfilment", True):
            self._released(hospital_id=self.hospital_id, lines=self.lines,
                           requested_delivery_date=self.requested_delivery_date,
                           ship_to_distributor_id=self.ship_to_distributor_id,
                           **({"ship_complete": True} if self.__dict__.get("ship_complete") else {}),
                           **({"order_type": self.kind} if self.kind != "standard" else {}),
                           **({"delivery_address": self.address} if self.address else {}))

    @property
    def kind(self) -> str:
        return self.__dict__.get("order_type", "standard")  # orders before consignment were all standard

    @property
    def address(self) -> str | None:
        return self.__dict__.get("delivery_address")  # orders before delivery addresses had none

    @classmethod
    def free_goods(cls, order_id: UUID, distributor_id: UUID, currency: str, line: dict[str, Any], reference: str,
                   compliance_problem: str | None) -> "SalesOrder":
        """A rebate settled as free goods (货补): a zero-priced order to the distributor itself (its own stock, sold
        on and reported in its sell-out), shipped like any other and never invoiced. It answers to the distributor's
        licences like a sale does: a problem holds it for compliance (an approved settlement is not refused)."""
        holds = {"holds": ["compliance"], "hold_reasons": {"compliance": compliance_problem[:1000]}} \
            if compliance_problem else {}
        return cls(order_id=order_id, hospital_id=distributor_id, customer_reference=reference[:100],
                   currency=currency, lines=[{"line_no": 1, **line}], ship_to_distributor_id=distributor_id,
                   order_type="free_goods", **holds)

    @classmethod
    def consumed(cls, order_id: UUID, usage_id: UUID, hospital_id: UUID, currency: str, lines: list[dict[str, Any]],
                 ship_to_distributor_id: UUID | None, reference: str) -> "SalesOrder":
        """Consigned units used at the consignee (a usage report): a sales order at the prices they were consigned
        at, shipped already (they were delivered), invoiced by billing."""
        optional = {"ship_to_distributor_id": ship_to_distributor_id} if ship_to_distributor_id else {}
        return cls(order_id=order_id, hospital_id=hospital_id, customer_reference=reference[:100], currency=currency,
                   lines=lines, order_type="consumption", usage_id=usage_id, **optional)

    def hold(self, hold: str) -> bool:
        """Put a hold on the order (before it ships); False when it carries that hold already."""
        if hold not in PLACEABLE_HOLDS:
            raise RuleViolation("hold-kind", f"a person places a {' or '.join(PLACEABLE_HOLDS)} hold; {hold} holds"
                                " come from the order's checks", "hold")
        if self.status in ("shipped", "price_rejected", "cancelled", "closed"):
            raise OrderStateError(f"order is {self.status}: there is nothing left to hold")
        if hold in self.holds:
            return False
        self._held(hold=hold)
        return True

    def credit_release_lapsed(self) -> bool:
        """Finance's credit release has expired and the credit check fails again: back on a credit hold (nothing
        more is dispatched until finance releases it again). False when it is held so, or has nothing left to ship."""
        if "credit" in self.holds or self.status in ("shipped", "cancelled", "closed", "price_rejected"):
            return False
        self._held(hold="credit")
        return True

    @event("Held")
    def _held(self, hold: str) -> None:
        self.holds = [*self.holds, hold]
        self.__dict__.setdefault("hold_history", []).append({"hold": hold, "placed": True})

    def release_hold(self, hold: str, by: str, expires_on: date | None = None) -> None:
        """Release a hold (price approvals go through approve_price). A credit release names the day it expires:
        a later change to the order after it is checked again."""
        if hold == "price_approval":
            raise RuleViolation("hold-kind", "a typed price is approved or rejected by a pricing manager"
                                " (price-decision)", "hold")
        if hold not in self.holds:
            raise OrderStateError(f"order is {self.status} and carries no {hold} hold")
        if hold == "credit" and expires_on is None:
            raise RuleViolation("credit-release-expiry", "a credit release says until when it holds", "expires_on")
        self._hold_released(hold=hold, released_by=by, expires_on=expires_on)
        self._release_if_free()

    @event("HoldReleased")
    def _hold_released(self, hold: str, released_by: str, expires_on: date | None) -> None:
        self.holds = [h for h in self.holds if h != hold]
        self.__dict__.setdefault("hold_history", []).append({"hold": hold, "placed": False, "by": released_by,
                                                             "expires_on": expires_on})

    def reject_price(self, by: str) -> None:
        self._require_price_hold()
        second_person(self.placed_by or "", by, "this order's typed prices")
        self._price_rejected(rejected_by=by)

    def _require_price_hold(self) -> None:
        if "price_approval" not in self.__dict__.get("holds", []):
            raise OrderStateError(f"order is {self.status}: it does not wait for a price approval")

    @event("PriceApproved")
    def _price_approved(self, approved_by: str) -> None:
        self.holds = [hold for hold in self.holds if hold != "price_approval"]
        self.__dict__.setdefault("hold_history", []).append({"hold": "price_approval", "placed": False,
                                                             "by": approved_by})

    @event("PriceRejected")
    def _price_rejected(self, rejected_by: str) -> None:
        self.holds = []
        self.status = "price_rejected"

    @event("Released")
    def _released(self, hospital_id: UUID, lines: list[dict[str, Any]], requested_delivery_date: date | None,
                  ship_to_distributor_id: UUID | None, ship_complete: bool = False,
                  order_type: str = "standard", delivery_address: str | None = None) -> None:
        self.status = "placed"
        self.released_to_fulfilment = True

    # Amendment ------------------------------------------------------------------------------------------------

    @property
    def pending_amendment(self) -> dict[str, Any] | None:
        return self.__dict__.get("amendment_pending")

    @property
    def amendments(self) -> list[dict[str, Any]]:
        return self.__dict__.get("amended", [])

    def require_amendable(self) -> None:
        if self.status in ("shipped", "cancelled", "closed", "price_rejected"):
            raise OrderStateError(f"order is {self.status}: only what has not shipped is amended")
        if self.cancellation_requested or self.pending_amendment is not None:
            raise OrderStateError("the order waits for inventory to answer an earlier cancellation or amendment")

    def took_request(self, request_key: str) -> bool:
        """Whether an amendment under this Idempotency-Key was taken already, or waits for inventory."""
        key = request_key[:200]
        pending = self.pending_amendment or {}
        return pending.get("request_key") == key or any(a.get("request_key") == key for a in self.amendments)

    def require_keeps_shipped(self, lines: list[dict[str, Any]]) -> None:
        """After a partial delivery only what has not shipped changes: each line that shipped keeps its number, its
        item and at least what shipped of it."""
        new = {line["line_no"]: line for line in lines}
        for line in self.lines:
            shipped = self.shipped_of(line["line_no"])
            kept = new.get(line["line_no"])
            if shipped and (kept is None or kept["gtin"] != line["gtin"] or kept["quantity"] < shipped):
                raise RuleViolation("amend-unshipped-only", f"line {line['line_no']} ({line['gtin']}) has shipped"
                                    f" {shipped} unit(s): it keeps its place, its item and at least that quantity"
                                    " (cancel the rest of it with POST /orders/{id}/lines/{line_no}/cancel)",
                                    f"lines[{line['line_no'] - 1}]", line_no=line["line_no"])

    # Per-line fulfilment -----------------------------------------------------------------------------------------

    def shipped_of(self, line_no: int) -> int:
        return self.__dict__.get("shipped_by_line", {}).get(line_no, 0)

    def line_statuses(self) -> dict[int, str]:
        """open, partially_shipped, shipped, closed (the rest cancelled after a partial delivery) or cancelled."""
        statuses = {}
        cut = set(self.__dict__.get("cancelled_lines", {}))
        for line in self.lines:
            shipped, no = self.shipped_of(line["line_no"]), line["line_no"]
            if self.status == "cancelled":
                statuses[no] = "cancelled"
            elif shipped >= line["quantity"]:
                statuses[no] = "closed" if no in cut else "shipped"
            elif self.status == "closed":
                statuses[no] = "closed" if shipped else "cancelled"
            else:
                statuses[no] = "partially_shipped" if shipped else "open"
        for no in cut - set(statuses):
            statuses[no] = "cancelled"
        return dict(sorted(statuses.items()))

    @property
    def cancelled_lines(self) -> dict[int, dict[str, Any]]:
        """Lines cancelled one by one: what each was before (a line that had shipped nothing is gone from lines)."""
        return self.__dict__.get("cancelled_lines", {})

    def _shipped_status(self, shipped_by_line: dict[int, int]) -> str:
        done = all(shipped_by_line.get(line["line_no"], 0) >= line["quantity"] for line in self.lines)
        return "shipped" if done else "partially_shipped"

    def amend(self, lines: list[dict[str, Any]], requested_delivery_date: date | None, holds: list[str],
              credit_reason: str | None, by: str, cancelled_lines: list[int] | None = None,
              delivery_address: str | None = None, request_key: str | None = None) -> None:
        """New lines (checked and priced as placing does) and delivery date. An order that never reached fulfilment
        takes them at once; one in fulfilment when inventory has re-planned it (confirm_amendment). The holds the
        new lines call for (a typed price, a credit increase) are put on with them."""
        self.require_amendable()
        self.require_keeps_shipped(lines)
        change = {"amendment": len(self.amendments) + 1, "lines": lines,
                  "requested_delivery_date": requested_delivery_date, "holds": holds, "credit_reason": credit_reason,
                  "amended_by": by}
        if cancelled_lines:
            change["cancelled_lines"] = cancelled_lines
        if delivery_address:
            change["delivery_address"] = delivery_address
        if request_key:
            change["request_key"] = request_key[:200]
        if self.__dict__.get("released_to_fulfilment", True):
            self._amendment_requested(**change)
        else:
            self._apply_amendment(change)

    @event("AmendmentRequested")
    def _amendment_requested(self, amendment: int, lines: list[dict[str, Any]], requested_delivery_date: date | None,
                             holds: list[str], credit_reason: str | None, amended_by: str,
                             cancelled_lines: list[int] | None = None, delivery_address: str | None = None,
                             request_key: str | None = None) -> None:
        self.__dict__["amendment_pending"] = {
            "amendment": amendment, "lines": lines, "requested_delivery_date": requested_delivery_date,
            "holds": holds, "credit_reason": credit_reason, "amended_by": amended_by,
            **({"cancelled_lines": cancelled_lines} if cancelled_lines else {}),
            **({"delivery_address": delivery_address} if delivery_address else {}),
            **({"request_key": request_key} if request_key else {})}

    def confirm_amendment(self) -> bool:
        """Inventory re-planned the order: the amendment takes effect; False when none is pending."""
        if self.pending_amendment is None:
            return False
        self._apply_amendment(self.pending_amendment)
        return True

    def _apply_amendment(self, change: dict[str, Any]) -> None:
        optional = {"cancelled_lines": change["cancelled_lines"]} if change.get("cancelled_lines") else {}
        if change.get("delivery_address"):
            optional["delivery_address"] = change["delivery_address"]
        if change.get("request_key"):
            optional["request_key"] = change["request_key"]
        if self.__dict__.get("released_to_fulfilment", True):  # inventory re-plans what is left, if anything is
            left = any(self.shipped_of(line["line_no"]) < line["quantity"] for line in change["lines"])
            optional["status"] = "placed" if left or not self.shipment_ids else "shipped"
        self._amended(amendment=change["amendment"], lines=change["lines"], hospital_id=self.hospital_id,
                      requested_delivery_date=change["requested_delivery_date"], amended_by=change["amended_by"],
                      **optional)
        for hold in change["holds"]:
            if hold not in self.holds:
                self._held(hold=hold)

    @event("Amended")
    def _amended(self, amendment: int, lines: list[dict[str, Any]], hospital_id: UUID,
                 requested_delivery_date: date | None, amended_by: str, cancelled_lines: list[int] | None = None,
                 status: str | None = None, delivery_address: str | None = None,
                 request_key: str | None = None) -> None:
        self.__dict__.setdefault("amended", []).append({"amendment": amendment, "previous_lines": self.lines,
                                                        "amended_by": amended_by, "request_key": request_key})
        for line in self.lines:
            if line["line_no"] in (cancelled_lines or []):
                self.__dict__.setdefault("cancelled_lines", {})[line["line_no"]] = line
        self.lines, self.requested_delivery_date = lines, requested_delivery_date
        self.__dict__["delivery_address"] = delivery_address
        self.__dict__["amendment_pending"] = None
        if any(line.get("price_source") == "manual" for line in lines):
            self.placed_by = amended_by  # who typed the price: not who may approve it
        if self.__dict__.get("released_to_fulfilment", True):
            self.status, self.allocations, self.backorder_reason = status or "placed", [], None
            self.__dict__["backordered"] = []

    def refuse_amendment(self, reason: str) -> None:
        self._amendment_refused(amendment=self.pending_amendment["amendment"], reason=reason)  # type: ignore[index]

    @event("AmendmentRefused")
    def _amendment_refused(self, amendment: int, reason: str) -> None:
        self.__dict__["amendment_pending"] = None

    # Cancellation -----------------------------------------------------------------------------------------------

    @property
    def cancellation_requested(self) -> bool:
        return self.__dict__.get("cancelling", False)

    def cancel(self) -> bool:
        """Cancel the order (the reason is the request's). One that never reached fulfilment is cancelled at once;
        one in fulfilment is cancelled when inventory confirms nothing has shipped. False for a retry."""
        if self.status in ("cancelled", "closed") or self.cancellation_requested:
            return False
        if self.status in ("shipped", "price_rejected"):
            raise OrderStateError(f"order is {self.status}: only what has not shipped is cancelled")
        if self.pending_amendment is not None:
            raise OrderStateError("the order waits for inventory to answer an amendment")
        if self.__dict__.get("released_to_fulfilment", True):
            self._cancellation_requested()
        else:
            self._cancelled()
        return True

    @event("CancellationRequested")
    def _cancellation_requested(self) -> None:
        self.__dict__["cancelling"] = True

    def confirm_cancelled(self) -> bool:
        """Inventory released the order's stock (what had shipped stays: the order is closed); False when it is
        cancelled already."""
        if self.status in ("cancelled", "closed"):
            return False
        self._cancelled(**({"closed": True} if self.shipment_ids else {}))
        return True

    @event("Cancelled")
    def _cancelled(self, closed: bool = False) -> None:
        self.__dict__["cancelling"] = False
        self.holds = []
        self.status = "closed" if closed else "cancelled"

    def cancellation_refused(self, reason: str) -> bool:
        if not self.cancellation_requested:
            return False
        self._cancellation_refused(reason=reason)
        return True

    @event("CancellationRefused")
    def _cancellation_refused(self, reason: str) -> None:
        self.__dict__["cancelling"] = False

    def called_off(self, shipped_only: bool = False,
                   lines: list[dict[str, Any]] | None = None) -> dict[UUID, list[tuple[str, int]]]:
        """Per contract, the quantities the order's lines (or these `lines`) call off (`shipped_only`: of those,
        what has shipped)."""
        taken: dict[UUID, list[tuple[str, int]]] = {}
        for line in self.lines if lines is None else lines:
            if line.get("contract_id") is not None and line.get("price_source") == "contract":
                quantity = self.shipped_of(line["line_no"]) if shipped_only else line["quantity"]
                if quantity:
                    taken.setdefault(line["contract_id"], []).append((line["gtin"], quantity))
        return taken

    def cancel_line(self, line_no: int, by: str, request_key: str | None = None) -> list[dict[str, Any]]:
        """Cancel what is left of a line (an amendment inventory re-plans): a line that shipped nothing is gone, one
        that shipped part keeps that part and is closed. Returns the order's new lines."""
        line = next((line for line in self.lines if line["line_no"] == line_no), None)
        if line is None:
            raise RuleViolation("order-line-exists", f"the order has no line {line_no}", "line_no", line_no=line_no)
        shipped = self.shipped_of(line_no)
        if shipped >= line["quantity"]:
            raise RuleViolation("cancel-before-shipment", f"line {line_no} has shipped in full: nothing is left to"
                                " cancel", "line_no", line_no=line_no)
        lines = [other if other["line_no"] != line_no else {**line, "quantity": shipped}
                 for other in self.lines if other["line_no"] != line_no or shipped]
        if not lines:
            raise RuleViolation("order-keeps-a-line", f"line {line_no} is the order's only line: cancel the order",
                                "line_no", line_no=line_no)
        self.amend(lines, self.requested_delivery_date, [], None, by, cancelled_lines=[line_no],
                   delivery_address=self.address, request_key=request_key)
        return lines

    def mark_reserved(self, allocations: list[dict[str, Any]], backordered: list[dict[str, Any]] | None = None) -> None:
        """Stock reserved for the order (`backordered`: what is still short); again when released stock covers
        what was short."""
        if self.status not in ("placed", "backordered", "partially_reserved", "partially_shipped"):
            raise OrderStateError(f"order is {self.status}; only an order waiting for stock can be reserved")
        after = ("partially_reserved" if backordered else "reserved") if not self.shipment_ids else \
            self._shipped_status(self.__dict__.get("shipped_by_line", {}))
        self._reserved(allocations=allocations, **({"backordered": backordered, "status": after} if backordered
                                                   or after != "reserved" else {}))

    @event("Reserved")
    def _reserved(self, allocations: list[dict[str, Any]], backordered: list[dict[str, Any]] | None = None,
                  status: str | None = None) -> None:
        # A later reservation (a backorder filled) adds to the earlier; before partial deliveries there was one.
        self.allocations = [*self.allocations, *allocations]
        self.__dict__["backordered"] = backordered or []
        self.status = status or "reserved"

    def backorder(self, reason: str) -> None:
        """Nothing could be reserved of what is left to ship (after a partial delivery: it stays partially_shipped)."""
        if self.status != "placed":
            raise OrderStateError(f"order is {self.status}; only a placed order can be backordered")
        after = "partially_shipped" if self.shipment_ids else "backordered"
        self._backordered(reason=reason, **({"status": after} if after != "backordered" else {}))

    @event("Backordered")
    def _backordered(self, reason: str, status: str | None = None) -> None:
        self.backorder_reason = reason
        self.status = status or "backordered"

    def record_shipment(self, shipment_id: UUID, lines: list[dict[str, Any]] | None = None) -> bool:
        """A shipment (`lines`: units per order line); False when this shipment is already recorded."""
        if shipment_id in self.shipment_ids:
            return False
        if self.status not in ("reserved", "partially_reserved", "partially_shipped", "shipped"):
            raise OrderStateError(f"order is {self.status}; only a reserved order ships")
        shipped = dict(self.__dict__.get("shipped_by_line", {}))
        for line in lines or []:
            shipped[line["line_no"]] = shipped.get(line["line_no"], 0) + line["quantity"]
        after = self._shipped_status(shipped)
        self._shipped(shipment_id=shipment_id, **({"lines": lines, "status": after} if lines else {}))
        return True

    @event("Shipped")
    def _shipped(self, shipment_id: UUID, lines: list[dict[str, Any]] | None = None, status: str | None = None) -> None:
        # Shipments recorded before partial deliveries name no lines: the whole order shipped then.
        self.shipment_ids.append(shipment_id)
        shipped = self.__dict__.setdefault("shipped_by_line", {})
        if lines is None:
            shipped.update({line["line_no"]: line["quantity"] for line in self.lines})
        for line in lines or []:
            shipped[line["line_no"]] = shipped.get(line["line_no"], 0) + line["quantity"]
        self.status = status or "shipped"

    @property
    def platform_acceptances(self) -> list[dict[str, Any]]:
        """The hospital's acceptances (验收) its procurement platform reported (orders placed from a platform)."""
        return self.__dict__.get("platform_acceptances_recorded", [])

    def record_platform_acceptance(self, platform: str, acceptance_id: str, platform_order_id: str,
                                   delivery_no: str | None, accepted_quantity: int | None, rejected_quantity: int,
                                   accepted_at: datetime) -> bool:
        """What the hospital accepted and rejected of a delivery, as its platform reports it; False when this
        acceptance is already recorded (the platform's feed is pulled again after an outage or a crash). Recorded
        whatever the order's status: it is the hospital's word, not a step the order may refuse."""
        if any((a["platform"], a["acceptance_id"]) == (platform, acceptance_id) for a in self.platform_acceptances):
            return False
        self._platform_acceptance_recorded(
            platform=platform, acceptance_id=acceptance_id, platform_order_id=platform_order_id,
            delivery_no=delivery_no, accepted_quantity=accepted_quantity, rejected_quantity=rejected_quantity,
            accepted_at=accepted_at)
        return True

    @event("PlatformAcceptanceRecorded")
    def _platform_acceptance_recorded(self, platform: str, acceptance_id: str, platform_order_id: str,
                                      delivery_no: str | None, accepted_quantity: int | None,
                                      rejected_quantity: int, accepted_at: datetime) -> None:
        self.__dict__.setdefault("platform_acceptances_recorded", []).append({
            "platform": platform, "acceptance_id": acceptance_id, "platform_order_id": platform_order_id,
            "delivery_no": delivery_no, "accepted_quantity": accepted_quantity,
            "rejected_quantity": rejected_quantity, "accepted_at": accepted_at})
