"""Diversion (窜货): a distributor selling outside its authorized territory. Every sell-out line it reports is checked
against its authorizations (授权书) as they stood on the day of the sale — product (GTIN or product group), territory
(the hospital's province, or the hospital by name) and period. A line no authorization covers raises an alert naming
the lot and serials, the distributor, the hospital and the authorizations it breaks; a person resolves it with a
reason. Pure: the handler hands in the distributor's authorizations, the hospital and the item's product group."""

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.authorizations import authorization_problem
from shared.domain.rules import RuleViolation
from shared.domain.validity import valid_on
from shared.platform.aggregate import TracedAggregate

OUTCOMES = ("confirmed", "false_alarm")


def alert_id_for(report_id: UUID, line_no: int) -> UUID:
    """One alert per sell-out line: the same line seen again (a redelivered event) finds the alert it raised."""
    return uuid5(NAMESPACE_URL, f"erp:diversion:{report_id}:{line_no}")


def diversion_of(authorizations: list[dict[str, Any]], gtin: str, product_group: str | None, province: str,
                 hospital_id: UUID, sold_at: date, city: str | None = None) -> dict[str, Any] | None:
    """Why the sale is diversion, with the authorizations for the product valid that day that it falls outside
    (the ones it breaks); None when an authorization covers it."""
    problem = authorization_problem(authorizations, gtin, product_group, province, hospital_id, sold_at, city)
    if problem is None:
        return None
    broken = [a["number"] for a in authorizations
              if not a.get("revoked") and valid_on(a["valid_from"], a["valid_to"], sold_at)
              and (gtin in a.get("gtins", []) or (product_group is not None
                                                  and product_group in a.get("product_groups", [])))]
    return {"problem": problem, "authorizations": broken}


class DiversionAlert(TracedAggregate):
    @event("Raised")
    def __init__(self, report_id: UUID, line_no: int, report_reference: str, distributor_id: UUID,
                 hospital_id: UUID, province: str, gtin: str, lot: str, serials: list[str] | None, quantity: int,
                 sold_at: date, authorizations: list[str], problem: str) -> None:
        self.report_id, self.line_no, self.report_reference = report_id, line_no, report_reference
        self.distributor_id, self.hospital_id, self.province = distributor_id, hospital_id, province
        self.gtin, self.lot, self.serials, self.quantity, self.sold_at = gtin, lot, serials, quantity, sold_at
        self.authorizations, self.problem = authorizations, problem
        self.outcome: str | None = None

    @staticmethod
    def create_id(report_id: UUID, line_no: int) -> UUID:
        return alert_id_for(report_id, line_no)

    @property
    def resolved(self) -> bool:
        return self.outcome is not None

    def resolve(self, outcome: str, resolution: str) -> bool:
        """Close the alert (the reason is the request's): `confirmed` diversion (acted on: a warning, a penalty, the
        rebate withheld) or a `false_alarm`; False when it was resolved so already, refused when otherwise."""
        if outcome not in OUTCOMES:
            raise RuleViolation("diversion-outcome", f"the outcome is one of {', '.join(OUTCOMES)}", "outcome")
        if self.outcome == outcome:
            return False
        if self.resolved:
            raise RuleViolation("diversion-resolved-once", f"the alert was resolved as {self.outcome} already",
                                "outcome")
        self._resolved(outcome=outcome, resolution=resolution)
        return True

    @event("Resolved")
    def _resolved(self, outcome: str, resolution: str) -> None:
        self.outcome = outcome
        self.resolution = resolution
