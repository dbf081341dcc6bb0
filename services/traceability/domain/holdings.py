"""Where the recalled units are now, counting each unit once: what regulator reports and exports total.

A distributor's units are its own until it reports selling them on; the units it sold on are with the hospitals,
which the lookup lists on rows of their own (`via_distributor`). So per consignee row and lot:
a hospital holds what it was shipped less what came back; a hospital reached through a distributor holds what the
distributor reported delivering to it; the distributor holds the rest of what it received (never below zero).
Summed over every row, that is what the lineage says is outstanding. Pure: it counts the rows a lookup answered.
"""

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

SoldOn = dict[tuple[UUID, str, str], int]  # (distributor, GTIN, lot) -> units it reported delivering to hospitals


class LotRow(Protocol):  # a lookup's AffectedLot
    gtin: str
    lot: str
    quantity_shipped: int
    quantity_outstanding: int


class Party(Protocol):
    consignee_id: UUID


class ConsigneeRow(Protocol):  # a lookup's ConsigneeOut or a case's RecallConsignee
    consignee_id: UUID
    kind: str
    via_distributor: Party | None

    @property
    def affected_lots(self) -> Sequence[LotRow]: ...


def sold_on_per_lot(rows: list[ConsigneeRow]) -> SoldOn:
    """From the rows of the hospitals reached through distributors: per distributor and lot, the units sold on."""
    sold: SoldOn = {}
    for c in rows:
        if c.via_distributor is not None:
            for a in c.affected_lots:
                key = (c.via_distributor.consignee_id, a.gtin, a.lot)
                sold[key] = sold.get(key, 0) + a.quantity_shipped
    return sold


def is_distributor_row(c: ConsigneeRow) -> bool:
    return c.via_distributor is None and c.kind == "distributor"


def sold_on(c: ConsigneeRow, a: LotRow, sold: SoldOn) -> int | None:
    """What a distributor's row sold on of the lot; None for every other row."""
    return sold.get((c.consignee_id, a.gtin, a.lot), 0) if is_distributor_row(c) else None


def held(c: ConsigneeRow, a: LotRow, sold: SoldOn) -> int:
    """The units of the lot this row's consignee holds now."""
    return max(0, a.quantity_outstanding - (sold_on(c, a, sold) or 0))


def held_by(c: ConsigneeRow, sold: SoldOn) -> int:
    return sum(held(c, a, sold) for a in c.affected_lots)
