"""The read models traceability's rules ask, in memory: one object playing every port of its unit of work (master
data, lineage, open recall scopes, a case's consignees), set up by each test with the facts it needs; and the
application on the in-memory event store, its clock stopped at NOW."""

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

import pytest

from services.traceability.application import TraceabilityApplication, TraceabilityUnitOfWork
from services.traceability.domain.recall import RecallCase
from services.traceability.domain.terminal_matching import Terminal
from tests.unit.in_memory import in_memory

GTIN = "09506000134352"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

Lot = tuple[str, str]


@dataclass
class Row:
    """A consignee of a case, as the case-consignees port answers it."""

    consignee_id: UUID
    notified_at: datetime | None
    acknowledged_at: datetime | None
    units_to_recover: int
    units_recovered: int


@dataclass
class World:
    lots: set[Lot] = field(default_factory=set)  # known: received, assembled or shipped
    hospitals: set[UUID] = field(default_factory=set)
    distributors: set[UUID] = field(default_factory=set)
    kits: dict[Lot, list[Lot]] = field(default_factory=dict)  # lot -> kit lots made from it, nearest first
    received: dict[tuple[UUID, Lot], int] = field(default_factory=dict)  # (distributor, lot) -> units, net of returns
    reported: dict[tuple[UUID, Lot], int] = field(default_factory=dict)  # (distributor, lot) -> sold on so far
    shipments: dict[UUID, UUID] = field(default_factory=dict)  # shipment -> its consignee
    scopes: dict[UUID, set[tuple[str, str]]] = field(default_factory=dict)  # open recall -> (gtin, lot or serial)
    holders: dict[UUID, dict[UUID, int]] = field(default_factory=dict)  # recall -> consignee -> units still held
    terminal_master: list[Terminal] = field(default_factory=list)  # hospitals with their names, for cleansing

    # MasterData
    def known_lots(self, lots: list[Lot]) -> set[Lot]:
        return self.lots & set(lots)

    def registered_hospitals(self, ids: list[UUID]) -> set[UUID]:
        return self.hospitals & set(ids)

    def registered_distributors(self, ids: list[UUID]) -> set[UUID]:
        return self.distributors & set(ids)

    def terminals(self, names: list[str]) -> list[Terminal]:
        return list(self.terminal_master)  # every hospital: the matcher decides (the SQL port narrows by index)

    # Lineage
    def kit_lots_made_from(self, lots: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{"gtin": g, "lot": lot} for r in lots for g, lot in self.kits.get((r["gtin"], r["lot"]), [])]

    def distributor_position(self, distributor_id: UUID, lots: list[Lot]) -> tuple[dict, dict]:
        return ({lot: self.received.get((distributor_id, lot), 0) for lot in lots},
                {lot: self.reported.get((distributor_id, lot), 0) for lot in lots})

    def consignee_of_shipment(self, shipment_id: UUID) -> UUID | None:
        return self.shipments.get(shipment_id)

    # OpenRecalls
    def covering(self, gtin: str, lot: str, serials: list[str]) -> list[UUID]:
        asked = {(gtin, lot), *((gtin, s) for s in serials)}
        return sorted(recall_id for recall_id, scope in self.scopes.items() if scope & asked)

    # CaseConsignees
    def of_case(self, case: RecallCase, at: datetime) -> list[Row]:
        rows = []
        for consignee_id, held in self.holders.get(case.id, {}).items():
            recovered = case.units_returned_by(consignee_id)
            rows.append(Row(consignee_id, case.notified.get(str(consignee_id), {}).get("notified_at"),
                            case.acknowledged.get(str(consignee_id), {}).get("acknowledged_at"), held + recovered,
                            recovered))
        return rows

    def unit_of_work(self, app: TraceabilityApplication, deferred: bool = False) -> TraceabilityUnitOfWork:
        return TraceabilityUnitOfWork(app, None, deferred=deferred, master_data=self, lineage=self, open_recalls=self,
                                      consignees=self)


def stored(app: TraceabilityApplication) -> list[str]:
    """The names of the events the log holds, in order."""
    return [n.topic.rsplit(".", 1)[-1] for n in app.recorder.select_notifications(start=1, limit=1000)]


def traceability(actor: str | None = None) -> AbstractContextManager[TraceabilityApplication]:
    """Traceability on the in-memory event store, its clock stopped at NOW, with `actor` acting (if named)."""
    return in_memory(TraceabilityApplication, actor, clock=lambda: NOW)


@pytest.fixture
def app() -> Iterator[TraceabilityApplication]:
    """Traceability with a quality officer acting: who opens and follows recall cases."""
    with traceability("user:qa-li") as app:
        yield app


@pytest.fixture
def world() -> World:
    """Lots L1 and L2 of GTIN known, and nothing else."""
    return World(lots={(GTIN, "L1"), (GTIN, "L2")})
