"""The recall lookup as it would have answered at a given time, from the lot history (projections/history.py).

"As of T" keeps only the rows whose source event was recorded at or before T: the shipments, returns, kit
assemblies (followed transitively by the reach step shared with the live lookup, only through assemblies recorded
by T) and distributors' sell-out reports that the system of record held then. The rows are those of the live lookup
(lookup.py): one per consignee reached directly by shipments, and one per hospital reached through a distributor's
sell-out (`via_distributor`, its quantities the units the distributor reported delivering); a distributor's own row
says how much of it it had reported selling on. Consignee names and regions are today's (the lineage's consignee
table): who they are does not change the answer, only how it is labelled.
"""

from datetime import date, datetime
from uuid import UUID

from psycopg import Connection
from pydantic import BaseModel, Field

from services.traceability.domain.lineage import Quantities
from services.traceability.queries.answers import (
    AffectedLot, ConsigneeRef, Lot, LotRef, RowKey, affected_lot, sorted_lots, total_of,
)
from services.traceability.queries.reach import LOTS, lot_arrays, reach
from shared.platform.read_models import ReadModels

# Per (consignee, distributor it was reached through or NULL, lot): units out and back, as recorded by `at`.
_ROWS_AS_OF = """
WITH a AS MATERIALIZED (SELECT * FROM unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)),
h AS (SELECT h.* FROM a JOIN {schema}.lot_history h ON h.gtin = a.gtin AND h.lot = a.lot
      WHERE h.recorded_at <= %(at)s AND h.fact IN ('shipped', 'returned', 'sold_on'))
SELECT consignee_id, NULL::uuid AS via, gtin::text AS gtin, lot, min(expiry) AS expiry,
       coalesce(sum(quantity) FILTER (WHERE fact = 'shipped'), 0)::int AS shipped,
       coalesce(sum(quantity) FILTER (WHERE fact = 'returned'), 0)::int AS returned
FROM h WHERE fact <> 'sold_on' GROUP BY consignee_id, gtin, lot
UNION ALL
SELECT consignee_id, (detail->>'distributor_id')::uuid, gtin::text, lot, NULL, sum(quantity)::int, 0
FROM h WHERE fact = 'sold_on' GROUP BY consignee_id, detail->>'distributor_id', gtin, lot
"""


class ConsigneeAsOf(BaseModel):
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    via_distributor: ConsigneeRef | None = Field(
        None, description="a hospital reached through this distributor's sell-out reports (recorded by then)")
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    quantity_sold_on: int = Field(0, description="a distributor: the units it had reported delivering to hospitals")
    quantity_in_stock: int | None = Field(None, description="a distributor: outstanding minus sold on (never below 0)")
    affected_lots: list[AffectedLot]  # the lots (queried, or kits made from them) this row got


class RecallLookupAsOf(BaseModel):
    gtin: str
    lot: str
    at: datetime
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    affected_lots: list[AffectedLot]
    consignees: list[ConsigneeAsOf]
    total: int
    limit: int
    offset: int


def reach_as_of(conn: Connection, schema: str, lots: list[Lot], at: datetime) -> dict[Lot, list[LotRef]]:
    """Every lot reachable from `lots` through kit assemblies recorded by `at`, with its shortest path."""
    return reach(conn, schema, LOTS, lot_arrays(lots), at=at)


def consignees_as_of(conn: Connection, schema: str, lots: list[Lot], at: datetime,
                     excluded: list[Lot] = ()) -> list[ConsigneeAsOf]:
    """Who had received the lots (and kits made from them) as the event history stood at `at`, with the units
    shipped, returned and still out per consignee and lot; most units first (the recall lookup's order).

    For a recall case's consignee list at its decision time: `consignees_as_of(conn, schema, case_lots, decided_at)`
    with `lots` as (GTIN-14, lot) pairs. `at` must be timezone-aware. `excluded` lots (taken out of a case's scope)
    are left out, the kits made from them still followed.
    """
    if at.tzinfo is None:
        raise ValueError("`at` must be timezone-aware")
    left_out = set(excluded)
    via = {key: path for key, path in reach_as_of(conn, schema, lots, at).items() if key not in left_out}
    return _consignees(conn, schema, via, at)[0]


def lookup_as_of(conn: Connection, schema: str, gtin: str, lot: str, at: datetime, *, limit: int = 50,
                 offset: int = 0) -> RecallLookupAsOf:
    """The recall lookup of one lot as it would have answered at `at`; consignees paged."""
    via = reach_as_of(conn, schema, [(gtin, lot)], at)
    consignees, totals = _consignees(conn, schema, via, at)
    affected = []
    for key, path in via.items():
        quantities, expiry = totals.get(key, (Quantities(), None))
        affected.append(affected_lot(key, path, expiry, quantities))
    affected = sorted_lots(affected)
    overall = total_of(affected)
    return RecallLookupAsOf(gtin=gtin, lot=lot, at=at, quantity_shipped=overall.shipped,
                            quantity_returned=overall.returned, quantity_outstanding=overall.outstanding,
                            affected_lots=affected, consignees=consignees[offset:offset + limit],
                            total=len(consignees), limit=limit, offset=offset)


def _consignees(conn: Connection, schema: str, via: dict[Lot, list[LotRef]],
                at: datetime) -> tuple[list[ConsigneeAsOf], dict[Lot, tuple[Quantities, date | None]]]:
    """The consignee rows, and per lot the units shipped and returned to direct consignees with its expiry."""
    rows = conn.execute(_ROWS_AS_OF.format(schema=schema), {**lot_arrays(list(via)), "at": at}).fetchall()
    totals: dict[Lot, tuple[Quantities, date | None]] = {}
    for r in rows:
        if r["via"] is None:
            q, expiry = totals.get((r["gtin"], r["lot"]), (Quantities(), None))
            expiries = [e for e in (expiry, r["expiry"]) if e is not None]
            totals[(r["gtin"], r["lot"])] = (q + Quantities(r["shipped"], r["returned"]),
                                             min(expiries) if expiries else None)
    by_row: dict[RowKey, list[AffectedLot]] = {}
    sold_by: dict[UUID, int] = {}
    for r in rows:
        key = (r["gtin"], r["lot"])
        expiry = r["expiry"] if r["via"] is None else totals.get(key, (None, None))[1]
        by_row.setdefault((r["consignee_id"], r["via"]), []).append(
            affected_lot(key, via[key], expiry, Quantities(r["shipped"], r["returned"])))
        if r["via"] is not None:
            sold_by[r["via"]] = sold_by.get(r["via"], 0) + r["shipped"]
    ids = list({i for row in by_row for i in row if i is not None})
    names = {r["consignee_id"]: r for r in conn.execute(
        f"SELECT consignee_id, kind, name, region FROM {schema}.consignees WHERE consignee_id = ANY(%s)",
        (ids,)).fetchall()} if ids else {}
    out = []
    for (consignee_id, through), lots in by_row.items():
        q = total_of(lots)
        known = names.get(consignee_id, {})
        kind = "hospital" if through is not None else known.get("kind") or "hospital"
        sold_on = sold_by.get(consignee_id, 0) if through is None else 0
        out.append(ConsigneeAsOf(
            consignee_id=consignee_id, kind=kind, name=known.get("name"), region=known.get("region"),
            via_distributor=ConsigneeRef(consignee_id=through, name=names.get(through, {}).get("name"))
            if through is not None else None,
            quantity_shipped=q.shipped, quantity_returned=q.returned, quantity_outstanding=q.outstanding,
            quantity_sold_on=sold_on,
            quantity_in_stock=max(0, q.outstanding - sold_on) if through is None and kind == "distributor" else None,
            affected_lots=sorted_lots(lots)))
    # The live lookup's order: most units first, then by name and id (bytewise, like COLLATE "C"), direct first.
    out.sort(key=lambda c: (-c.quantity_shipped, (c.name or "").encode(), str(c.consignee_id),
                            str(c.via_distributor.consignee_id) if c.via_distributor else ""))
    return out, totals



def lookup_as_of_in(read: ReadModels, gtin: str, lot: str, at: datetime, *, limit: int,
                    offset: int) -> RecallLookupAsOf:
    with read.pool.connection() as conn:
        return lookup_as_of(conn, read.schema, gtin, lot, at, limit=limit, offset=offset)


def case_consignees_as_of(read: ReadModels, lots: list[Lot], at: datetime, excluded: list[Lot]) -> list[ConsigneeAsOf]:
    with read.pool.connection() as conn:
        return consignees_as_of(conn, read.schema, lots, at, excluded)
