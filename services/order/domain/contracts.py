"""A contract with a hospital (or a distributor): agreed prices and committed volumes per GTIN for a period, payment
and delivery terms, the minimum remaining shelf life, and the delivering distributor (配送商) it authorizes.

draft -> active (signed) -> terminated; an active contract past its last day reads as expired. Terms change only by
an amendment, a new version recorded as an event: the earlier terms stay in the log, and orders already placed keep
the prices they were placed at. Each order that uses the contract calls off quantities from it, in the same
transaction as the order, so two orders can never together exceed its committed volume plus the allowance.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

# Defaults of each template, which the person drafting may change (the terms are theirs to agree).
TEMPLATES: dict[str, dict[str, Any]] = {
    "framework": {"title": "年度供货协议 (framework supply agreement)", "payment_terms_days": 90,
                  "delivery_terms": "delivered to the hospital's 设备科 within 48 hours of each order",
                  "min_remaining_shelf_life_days": 180, "over_delivery_allowance_percent": Decimal("10")},
    # VBP: hospitals settle within 30 days of acceptance under the national rules; buying beyond the agreed volume
    # at the award price is common, hence the larger allowance.
    "vbp": {"title": "带量采购协议 (volume-based procurement agreement)", "payment_terms_days": 30,
            "delivery_terms": "delivered by the named 配送商 within 24 hours of each order",
            "min_remaining_shelf_life_days": 180, "over_delivery_allowance_percent": Decimal("20")},
    "distribution": {"title": "经销协议 (distribution agreement)", "payment_terms_days": 60,
                     "delivery_terms": "ex warehouse, the distributor collects",
                     "min_remaining_shelf_life_days": 180, "over_delivery_allowance_percent": Decimal("10")},
}


def contract_number(contract_id: UUID) -> str:
    return f"C-{contract_id.hex[:10].upper()}"


def ceiling_of(committed: int, allowance_percent: Decimal) -> int:
    """The most that may be called off: the committed volume plus the allowance, in whole units (rounded down)."""
    return int((committed * (100 + allowance_percent) / 100).to_integral_value(ROUND_FLOOR))


@dataclass(frozen=True)
class Completion:
    """How far a committed volume is taken, against how much of the period has elapsed (VBP's 完成率 vs 时间进度)."""

    rate: Decimal
    elapsed: Decimal
    behind: bool


def completion(taken: int, committed: int, start: date, end: date, day: date) -> Completion:
    """Both as fractions (4 places); the period's days are counted inclusively, so on its last day all has elapsed.
    Behind: less taken than time elapsed."""
    days = (end - start).days + 1
    gone = min(max((day - start).days + 1, 0), days)
    rate = (Decimal(taken) / committed).quantize(Decimal("0.0001")) if committed else Decimal(0)
    elapsed = (Decimal(gone) / days).quantize(Decimal("0.0001"))
    return Completion(rate, elapsed, rate < elapsed)


MAX_CONTRACT_DAYS = 5 * 366  # VBP cycles run 2-3 years, framework agreements one: five years at most


def check_terms(terms: dict[str, Any]) -> None:
    if terms["valid_to"] < terms["valid_from"]:
        raise RuleViolation("valid-period", f"valid_to {terms['valid_to']} is before valid_from {terms['valid_from']}",
                            "valid_to")
    if (terms["valid_to"] - terms["valid_from"]).days > MAX_CONTRACT_DAYS:
        raise RuleViolation("valid-period", f"a contract runs at most {MAX_CONTRACT_DAYS} days", "valid_to")
    gtins = [line["gtin"] for line in terms["lines"]]
    if len(set(gtins)) != len(gtins):
        raise RuleViolation("contract-line-per-product", "a contract agrees one price per GTIN: each GTIN once",
                            "lines")


class Contract(TracedAggregate):
    @event("Drafted")
    def __init__(self, contract_id: UUID, number: str, template: str, customer_id: UUID, customer_kind: str,
                 currency: str, terms: dict[str, Any], from_quote_id: UUID | None) -> None:
        self.number, self.template, self.customer_id, self.customer_kind = number, template, customer_id, customer_kind
        self.currency, self.terms, self.from_quote_id = currency, terms, from_quote_id
        self.status = "draft"
        self.signed_on: date | None = None
        self.terminated_on: date | None = None
        self.amendments: list[dict[str, Any]] = []
        self.called_off: dict[str, int] = {}  # GTIN -> units ordered under the contract
        self.orders: list[str] = []

    @staticmethod
    def create_id(contract_id: UUID) -> UUID:
        return contract_id

    def status_on(self, day: date) -> str:
        """Its status on a day: a signed contract terminated from a later day is active until then."""
        status = self.status
        if status == "terminated" and self.signed_on is not None and day < self.terminated_on:  # type: ignore[operator]
            status = "active"
        return "expired" if status == "active" and day > self.terms["valid_to"] else status

    def line(self, gtin: str) -> dict[str, Any] | None:
        return next((line for line in self.terms["lines"] if line["gtin"] == gtin), None)

    def sign(self, day: date) -> bool:
        """Signed: active from now; False when signed already (a retry)."""
        if self.status == "active":
            return False
        if self.status != "draft":
            raise RuleViolation("contract-status", f"the contract is {self.status}; only a draft is signed", "status")
        self._signed(signed_on=day)
        return True

    @event("Signed")
    def _signed(self, signed_on: date) -> None:
        self.signed_on, self.status = signed_on, "active"

    def amend(self, terms: dict[str, Any], day: date) -> None:
        """New terms as a new version. A committed volume below what orders already took is refused."""
        if self.status_on(day) not in ("draft", "active"):
            raise RuleViolation("contract-status", f"the contract is {self.status_on(day)}; only a draft or active"
                                " contract is amended", "status")
        check_terms(terms)
        for line in terms["lines"]:
            if line["committed_quantity"] < self.called_off.get(line["gtin"], 0):
                raise RuleViolation("contract-volume-below-called-off", f"{line['gtin']}: orders already took"
                                    f" {self.called_off[line['gtin']]} units, more than the"
                                    f" {line['committed_quantity']} committed", "lines", gtin=line["gtin"])
        for gtin, taken in self.called_off.items():
            if taken and self.line_in(terms, gtin) is None:
                raise RuleViolation("contract-volume-below-called-off", f"{gtin} was ordered under the contract: it"
                                    " stays in its terms", "lines", gtin=gtin)
        self._amended(amendment=len(self.amendments) + 1, terms=terms)

    @staticmethod
    def line_in(terms: dict[str, Any], gtin: str) -> dict[str, Any] | None:
        return next((line for line in terms["lines"] if line["gtin"] == gtin), None)

    @event("Amended")
    def _amended(self, amendment: int, terms: dict[str, Any]) -> None:
        self.amendments.append({"amendment": amendment, "terms": terms, "previous": self.terms})
        self.terms = terms

    def terminate(self, effective_on: date, day: date) -> None:
        if self.status_on(day) not in ("draft", "active"):
            raise RuleViolation("contract-status", f"the contract is {self.status_on(day)}; only a draft or active"
                                " contract is terminated", "status")
        self._terminated(effective_on=effective_on)

    @event("Terminated")
    def _terminated(self, effective_on: date) -> None:
        self.terminated_on, self.status = effective_on, "terminated"

    def call_off(self, order_id: UUID, lines: list[tuple[str, int]], day: date,
                 ship_to_distributor_id: UUID | None) -> bool:
        """An order takes these quantities on `day` (its delivery day); False when this order did already. Refused
        outside the contract's validity, through a distributor it does not authorize, or beyond its committed
        volume plus allowance."""
        if str(order_id) in self.orders:
            return False
        if self.status_on(day) != "active" or not self.terms["valid_from"] <= day <= self.terms["valid_to"]:
            raise RuleViolation("contract-validity", f"contract {self.number} is {self.status_on(day)} and valid from"
                                f" {self.terms['valid_from']} to {self.terms['valid_to']}: it does not cover {day}",
                                "contract_id", contract_id=str(self.id))
        authorized = self.terms.get("authorized_distributor_id")
        if self.customer_kind == "distributor":
            authorized = str(self.customer_id)
        if ship_to_distributor_id is not None and str(ship_to_distributor_id) != (authorized and str(authorized)):
            raise RuleViolation("contract-authorized-distributor", f"contract {self.number} does not authorize"
                                f" distributor {ship_to_distributor_id} to deliver under it", "ship_to_distributor_id")
        taken = dict(self.called_off)
        for index, (gtin, quantity) in enumerate(lines):
            line = self.line(gtin)
            if line is None:
                continue
            taken[gtin] = taken.get(gtin, 0) + quantity
            most = ceiling_of(line["committed_quantity"], Decimal(self.terms["over_delivery_allowance_percent"]))
            if taken[gtin] > most:
                raise RuleViolation("contract-volume-exceeded", f"{gtin}: {taken[gtin]} units would exceed the"
                                    f" {line['committed_quantity']} committed plus"
                                    f" {self.terms['over_delivery_allowance_percent']}% allowance ({most})",
                                    f"lines[{index}].quantity", gtin=gtin, most=most)
        covered = [{"gtin": gtin, "quantity": quantity} for gtin, quantity in lines if self.line(gtin) is not None]
        if covered:
            self._called_off(order_id=order_id, lines=covered)
        return bool(covered)

    def release_call_off(self, order_id: UUID) -> bool:
        """A cancelled order's quantities are free again; False when there is nothing of it to release."""
        if str(order_id) not in self.orders:
            return False
        lines = [line for line in self.__dict__.get("call_offs", {}).get(str(order_id), [])]
        if not lines:
            return False
        self._call_off_released(order_id=order_id, lines=lines)
        return True

    def restore_call_off(self, order_id: UUID, lines: list[tuple[str, int]]) -> bool:
        """An order's earlier call-off again (an amendment inventory refused): not checked, it was allowed before."""
        if str(order_id) in self.orders or not lines:
            return False
        self._called_off(order_id=order_id, lines=[{"gtin": gtin, "quantity": quantity} for gtin, quantity in lines])
        return True

    @event("CallOffReleased")
    def _call_off_released(self, order_id: UUID, lines: list[dict[str, Any]]) -> None:
        self.orders.remove(str(order_id))
        self.__dict__.get("call_offs", {}).pop(str(order_id), None)
        for line in lines:
            self.called_off[line["gtin"]] -= line["quantity"]

    @event("CalledOff")
    def _called_off(self, order_id: UUID, lines: list[dict[str, Any]]) -> None:
        self.orders.append(str(order_id))
        self.__dict__.setdefault("call_offs", {})[str(order_id)] = lines
        for line in lines:
            self.called_off[line["gtin"]] = self.called_off.get(line["gtin"], 0) + line["quantity"]
