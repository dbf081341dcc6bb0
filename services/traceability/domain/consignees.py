"""A recall case's consignees as its rules see them: who may be notified, and how effective the recall has been.

The list itself is never stored in the case: it is the lineage of every lot and serial in scope at the moment it is
asked (a shipment recorded after the decision adds its consignee), read through the unit of work's port. A consignee
reached two ways (directly and through a distributor's sell-out) has a row per path, but it is one party to notify:
`each_consignee_once` is how every count of consignees sees the rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from shared.domain.rules import RuleViolation


class CaseConsignee(Protocol):
    """One row of a case's consignee list (one consignee, reached one way)."""

    consignee_id: UUID
    notified_at: datetime | None
    acknowledged_at: datetime | None
    units_to_recover: int
    units_recovered: int


Row = TypeVar("Row", bound="HasConsignee")


class HasConsignee(Protocol):
    consignee_id: UUID


def each_consignee_once(rows: Iterable[Row]) -> list[Row]:
    """One row per consignee, however many paths reached it (notices go to a party once)."""
    return list({row.consignee_id: row for row in rows}.values())


def consignee_of_recall(consignee_id: UUID, consignees: Iterable[HasConsignee]) -> None:
    """Only a consignee of a lot or serial in scope can be notified of the recall."""
    if consignee_id not in {c.consignee_id for c in consignees}:
        raise RuleViolation("consignee-of-recall", f"{consignee_id} received none of the recalled lots or serials",
                            "consignee_id")


@dataclass(frozen=True)
class Effectiveness:
    consignees_to_notify: int
    consignees_notified: int
    consignees_acknowledged: int
    units_to_recover: int
    units_recovered: int

    @staticmethod
    def share(part: int, whole: int) -> float:
        return 1.0 if whole == 0 else round(part / whole, 4)

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def effectiveness(consignees: list[CaseConsignee]) -> Effectiveness:
    """Consignees counted once each; units on every row (each row holds its own units, see holdings.py)."""
    unique = each_consignee_once(consignees)
    return Effectiveness(
        consignees_to_notify=len(unique),
        consignees_notified=sum(c.notified_at is not None for c in unique),
        consignees_acknowledged=sum(c.acknowledged_at is not None for c in unique),
        units_to_recover=sum(c.units_to_recover for c in consignees),
        units_recovered=sum(c.units_recovered for c in consignees),
    )
