"""The recall lookup: who received a lot (and every kit lot made from it), in four steps, each one query:

1. reach   — the lots the question reaches, with their paths (reach.py, shared with the as-of lookup);
2. totals  — per reached lot, units shipped and returned and its expiry;
3. page    — the consignee rows (a consignee reached one way) of one page, most units first, and how many in all;
4. details — for the page's rows only, the lots each got, its shipments or sell-out lines (lookup_details.py).

Distributors: a consignee row is a consignee reached one way — direct from a shipment (`lot_consignees`), or a
hospital reached through a distributor's sell-out report (`sold_on`, `via_distributor` set). A hospital supplied
both ways has one row for each path. A distributor's own row says how much of what it received it reported as sold
on, and what it should still hold. The sell-out queries run only when the page holds such rows, so a lookup
without distributors costs what it did before.
"""

from datetime import date

from psycopg import Connection

from services.traceability.domain.lineage import Quantities, lookup_kind
from services.traceability.queries import lookup_details
from services.traceability.queries.answers import (
    AffectedLot, Lot, LotRef, RecallLookup, affected_lot, sorted_lots, total_of,
)
from services.traceability.queries.reach import LOT_UNDER_ANY_GTIN, ONE_LOT, lot_arrays, reach
from services.traceability.queries.serial_lookup import serial_lookup
from shared.platform.read_models import ReadModels

_AFFECTED = "unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)"

_TOTALS = f"""
SELECT a.gtin::text AS gtin, a.lot, min(e.expiry) AS expiry, coalesce(sum(e.quantity_shipped), 0) AS shipped,
       coalesce(sum(e.quantity_returned), 0) AS returned
FROM {_AFFECTED} LEFT JOIN {{schema}}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot GROUP BY a.gtin, a.lot
"""

# One row per consignee and path: direct (via NULL) from shipments, or a hospital through a distributor.
_ROWS = """
WITH a AS MATERIALIZED (SELECT * FROM unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)),
r AS (
    SELECT e.consignee_id, NULL::uuid AS via, sum(e.quantity_shipped)::int AS shipped,
           sum(e.quantity_returned)::int AS returned
    FROM a JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot GROUP BY e.consignee_id
    UNION ALL
    SELECT s.hospital_id, s.distributor_id, sum(s.quantity)::int, 0
    FROM a JOIN {schema}.sold_on s ON s.gtin = a.gtin AND s.lot = a.lot GROUP BY s.hospital_id, s.distributor_id
)
"""

_PAGE = """
SELECT r.consignee_id, r.via, r.shipped, r.returned, c.kind, c.name, c.region, c.contact, d.name AS via_name,
       count(*) OVER () AS total
FROM r LEFT JOIN {schema}.consignees c ON c.consignee_id = r.consignee_id
LEFT JOIN {schema}.consignees d ON d.consignee_id = r.via
ORDER BY r.shipped DESC, coalesce(c.name, '') COLLATE "C", r.consignee_id::text COLLATE "C",
         r.via::text COLLATE "C" NULLS FIRST
LIMIT %(limit)s OFFSET %(offset)s
"""


def recall_lookup(conn: Connection, schema: str, *, gtin: str | None = None, lot: str | None = None,
                  serial: str | None = None, limit: int = 50, offset: int = 0,
                  excluded: list[Lot] = ()) -> RecallLookup:
    """Who received the lot (and every kit lot made from it), or the serialised unit; consignees paged.

    `excluded`: (GTIN, lot) pairs left out of the answer (a recall case's lots taken out of its scope); the kit
    lots made from them are still followed."""
    kind = lookup_kind(gtin, lot, serial)
    if kind == "serial":
        return serial_lookup(conn, schema, gtin, serial, limit, offset)
    start = ONE_LOT if kind == "lot" else LOT_UNDER_ANY_GTIN
    left_out = set(excluded)
    via = {key: path for key, path in reach(conn, schema, start, {"gtin": gtin, "lot": lot}).items()
           if key not in left_out}
    arrays = lot_arrays(list(via))
    expiry_of, affected = totals(conn, schema, via, arrays)
    page, total = page_of(conn, schema, arrays, limit, offset)
    consignees = lookup_details.rows_of(conn, schema, page, via, expiry_of, arrays)
    queried = [a for a in affected if len(a.via) == 1]
    expiries = [a.expiry for a in queried if a.expiry is not None]
    overall = total_of(affected)
    return RecallLookup(gtin=gtin, lot=lot, expiry=min(expiries) if expiries else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected, consignees=consignees,
                        total=total, limit=limit, offset=offset)


def totals(conn: Connection, schema: str, via: dict[Lot, list[LotRef]],
           arrays: dict) -> tuple[dict[Lot, date | None], list[AffectedLot]]:
    """Step two: per reached lot its expiry, and the lot with the units shipped and returned to direct consignees."""
    found = {(r["gtin"], r["lot"]): r for r in conn.execute(_TOTALS.format(schema=schema), arrays).fetchall()}
    expiry_of = {key: found[key]["expiry"] for key in via}
    return expiry_of, sorted_lots([
        affected_lot(key, via[key], expiry_of[key], Quantities(found[key]["shipped"], found[key]["returned"]))
        for key in via])


def page_of(conn: Connection, schema: str, arrays: dict, limit: int, offset: int) -> tuple[list[dict], int]:
    """Step three: the consignee rows of one page, and how many rows there are in all."""
    page = conn.execute((_ROWS + _PAGE).format(schema=schema), {**arrays, "limit": limit, "offset": offset}).fetchall()
    if page:
        return page, page[0]["total"]
    # Past the last page (or nobody): the window count has no row to ride on.
    return page, conn.execute((_ROWS + "SELECT count(*) AS n FROM r").format(schema=schema), arrays).fetchone()["n"]


def lookup(read: ReadModels, **question: object) -> RecallLookup:
    """`recall_lookup` on one connection of the read models' pool (the API's and the ports' way in)."""
    with read.pool.connection() as conn:
        return recall_lookup(conn, read.schema, **question)

