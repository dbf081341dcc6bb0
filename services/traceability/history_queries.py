"""Questions answered from the lot history (projections/history.py): the recall answer as it was known at a
given time, and a lot's facts for the EPCIS export.

"As of T" keeps only the rows whose source event was recorded at or before T: the shipments, returns, kit
assemblies (followed transitively, only through assemblies recorded by T) and distributors' sell-out reports
that the system of record held then. The rows are those of the live lookup (queries.py): one per consignee
reached directly by shipments, and one per hospital reached through a distributor's sell-out (`via_distributor`,
its quantities the units the distributor reported delivering); a distributor's own row says how much of it it
had reported selling on. Consignee names and regions are today's (the lineage's consignee table): who they are
does not change the answer, only how it is labelled.
"""

from datetime import datetime
from uuid import UUID

from psycopg import Connection
from pydantic import BaseModel, Field

from services.traceability.domain.lineage import Quantities, split_lot_key
from services.traceability.queries import AffectedLot, ConsigneeRef, LotRef, affected_lot, sorted_lots

_REACH_AS_OF = """
WITH RECURSIVE reach(gtin, lot, path) AS (
    SELECT a.gtin, a.lot, ARRAY[a.gtin::text || a.lot]
    FROM unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)
    UNION ALL
    SELECT h.kit_gtin, h.kit_lot, r.path || (h.kit_gtin::text || h.kit_lot)
    FROM reach r JOIN {schema}.lot_history h ON h.gtin = r.gtin AND h.lot = r.lot
    WHERE h.fact = 'transformed' AND h.recorded_at <= %(at)s AND NOT (h.kit_gtin::text || h.kit_lot) = ANY(r.path)
)
SELECT DISTINCT ON (gtin, lot) gtin::text AS gtin, lot, path FROM reach
ORDER BY gtin, lot, cardinality(path), path::text COLLATE "C"
"""

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


Lot = tuple[str, str]
RowKey = tuple[UUID, UUID | None]  # (consignee, the distributor it was reached through; None: direct)


def reach_as_of(conn: Connection, schema: str, lots: list[Lot], at: datetime) -> dict[Lot, list[LotRef]]:
    """Every lot reachable from `lots` through kit assemblies recorded by `at`, with its shortest path."""
    rows = conn.execute(_REACH_AS_OF.format(schema=schema),
                        {"gtins": [g for g, _ in lots], "lots": [lot for _, lot in lots], "at": at}).fetchall()
    return {(r["gtin"], r["lot"]): [LotRef(gtin=g, lot=lot) for g, lot in map(split_lot_key, r["path"])] for r in rows}


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
    overall = sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in affected), Quantities())
    return RecallLookupAsOf(gtin=gtin, lot=lot, at=at, quantity_shipped=overall.shipped,
                            quantity_returned=overall.returned, quantity_outstanding=overall.outstanding,
                            affected_lots=affected, consignees=consignees[offset:offset + limit],
                            total=len(consignees), limit=limit, offset=offset)


def _consignees(conn: Connection, schema: str, via: dict[Lot, list[LotRef]],
                at: datetime) -> tuple[list[ConsigneeAsOf], dict[Lot, tuple[Quantities, object]]]:
    """The consignee rows, and per lot the units shipped and returned to direct consignees with its expiry."""
    rows = conn.execute(_ROWS_AS_OF.format(schema=schema), {
        "gtins": [g for g, _ in via], "lots": [lot for _, lot in via], "at": at}).fetchall()
    totals: dict[Lot, tuple[Quantities, object]] = {}
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
        q = sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in lots), Quantities())
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


def lot_facts(conn: Connection, schema: str, gtin: str, lot: str) -> list[dict]:
    """Every history row that tells the lot's story, in recorded order: its receipts, shipments and returns;
    deliveries and acceptances of those shipments (with the lot's line of the shipment); and every row of the
    kit assemblies it went into or came out of (all inputs of each assembly, so one TransformationEvent is whole).
    """
    return conn.execute(
        f"""
        WITH own AS (SELECT * FROM {schema}.lot_history WHERE gtin = %(gtin)s AND lot = %(lot)s),
        assemblies AS (
            SELECT event_id FROM own WHERE fact = 'transformed'
            UNION SELECT event_id FROM {schema}.lot_history WHERE kit_gtin = %(gtin)s AND kit_lot = %(lot)s)
        SELECT f.*, f.gtin::text AS gtin, f.kit_gtin::text AS kit_gtin FROM (
            SELECT * FROM own WHERE fact <> 'transformed'
            UNION ALL
            SELECT h.* FROM {schema}.lot_history h JOIN assemblies a USING (event_id)
            UNION ALL
            SELECT h.event_id, h.item, h.fact, h.recorded_at, h.occurred_at, h.position, s.gtin, s.lot, s.expiry,
                   s.quantity, s.serials, s.consignee_id, h.shipment_id, h.order_id, h.return_id, h.assembly_id,
                   h.receipt_id, h.supplier_id, s.warehouse, h.kit_gtin, h.kit_lot, h.kit_quantity, h.detail
            FROM own s JOIN {schema}.lot_history h ON h.shipment_id = s.shipment_id
            WHERE s.fact = 'shipped' AND h.fact IN ('delivered', 'accepted')
        ) f ORDER BY f.recorded_at, f.position, f.event_id, f.item
        """, {"gtin": gtin, "lot": lot}).fetchall()
