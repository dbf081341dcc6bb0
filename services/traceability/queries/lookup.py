"""The recall lookup: who received a lot (and every kit lot made from it), in one statement (one round trip) whose
steps are CTEs, each answer part built as JSON by PostgreSQL and put together here:

1. reach   — the lots the question reaches, with their paths (reach.py's recursive CTE, shared with the as-of lookup),
             less the lots left out;
2. totals  — per reached lot, units shipped and returned and its expiry;
3. page    — the consignee rows (a consignee reached one way) of one page, most units first, and how many in all;
4. details — for the page's rows only, the lots each got, its shipments or sell-out lines (lookup_details.py).

Every step is a few index lookups per reached lot (`lot_consignees`, `shipped_lots`, `sold_on`, `sellout_lines` by
(GTIN, lot)), bounded by the page's consignees where it reads details, so a page costs the same however many
consignees the lot has and however many lines the tables hold.

Distributors: a consignee row is a consignee reached one way — direct from a shipment (`lot_consignees`), or a
hospital reached through a distributor's sell-out report (`sold_on`, `via_distributor` set). A hospital supplied
both ways has one row for each path. A distributor's own row says how much of what it received it reported as sold
on, and what it should still hold. The sell-out parts read only the page's rows that need them, so a lookup without
distributors reads nothing more than it did before.
"""

from psycopg import Connection

from services.traceability.domain.lineage import Quantities, lookup_kind, split_lot_key
from services.traceability.queries import lookup_details
from services.traceability.queries.answers import Lot, LotRef, RecallLookup, affected_lot, sorted_lots, total_of
from services.traceability.queries.reach import LOT_UNDER_ANY_GTIN, ONE_LOT, live_reach
from services.traceability.queries.serial_lookup import serial_lookup
from shared.platform.read_models import ReadModels

# After reach.py's `start` and `reach`. `reached`: per lot its shortest path, the lots left out dropped (their kit
# lots are still followed). `r`: one row per consignee and path — direct (via NULL) from shipments, or a hospital
# through a distributor. `ranked`: those rows in the answer's order, numbered.
_STEPS = """,
reached AS MATERIALIZED (
    SELECT DISTINCT ON (gtin, lot) gtin, lot, path FROM reach
    WHERE NOT EXISTS (SELECT FROM unnest(%(out_gtins)s::char(14)[], %(out_lots)s::text[]) o(gtin, lot)
                      WHERE o.gtin = reach.gtin AND o.lot = reach.lot)
    ORDER BY gtin, lot, cardinality(path), path::text COLLATE "C"
),
totals AS (
    SELECT a.gtin::text AS gtin, a.lot, a.path, min(e.expiry) AS expiry,
           coalesce(sum(e.quantity_shipped), 0) AS shipped, coalesce(sum(e.quantity_returned), 0) AS returned
    FROM reached a LEFT JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot
    GROUP BY a.gtin, a.lot, a.path
),
r AS MATERIALIZED (
    SELECT e.consignee_id, NULL::uuid AS via, sum(e.quantity_shipped)::int AS shipped,
           sum(e.quantity_returned)::int AS returned
    FROM reached a JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot GROUP BY e.consignee_id
    UNION ALL
    SELECT s.hospital_id, s.distributor_id, sum(s.quantity)::int, 0
    FROM reached a JOIN {schema}.sold_on s ON s.gtin = a.gtin AND s.lot = a.lot GROUP BY s.hospital_id, s.distributor_id
),
page AS MATERIALIZED (
    SELECT * FROM (
        SELECT r.consignee_id, r.via, r.shipped, r.returned, c.kind, c.name, c.region, c.contact, d.name AS via_name,
               row_number() OVER (ORDER BY r.shipped DESC, coalesce(c.name, '') COLLATE "C",
                                  r.consignee_id::text COLLATE "C", r.via::text COLLATE "C" NULLS FIRST) AS n
        FROM r LEFT JOIN {schema}.consignees c ON c.consignee_id = r.consignee_id
        LEFT JOIN {schema}.consignees d ON d.consignee_id = r.via
    ) ranked WHERE n > %(offset)s AND n <= %(end)s
)
SELECT
    (SELECT json_agg(t ORDER BY t.gtin, t.lot) FROM totals t) AS lots,
    (SELECT json_agg(p ORDER BY p.n) FROM page p) AS page,
    (SELECT count(*) FROM r) AS total,
    (SELECT json_agg(x) FROM (
        SELECT e.consignee_id, e.gtin::text AS gtin, e.lot, e.expiry, e.quantity_shipped, e.quantity_returned
        FROM reached a JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot
        WHERE e.consignee_id IN (SELECT consignee_id FROM page WHERE via IS NULL)) x) AS direct_lots,
    (SELECT json_agg(x ORDER BY x.dispatched_at, x.shipment_id, x.gtin, x.lot) FROM (
        SELECT s.consignee_id, s.shipment_id, s.order_id, s.quantity, s.dispatched_at, s.carrier, s.tracking_number,
               s.gtin::text AS gtin, s.lot
        FROM reached a JOIN {schema}.shipped_lots s ON s.gtin = a.gtin AND s.lot = a.lot
        WHERE s.consignee_id IN (SELECT consignee_id FROM page WHERE via IS NULL)) x) AS shipments,
    (SELECT json_agg(x) FROM (
        SELECT s.distributor_id, sum(s.quantity)::int AS sold
        FROM reached a JOIN {schema}.sold_on s ON s.gtin = a.gtin AND s.lot = a.lot
        WHERE s.distributor_id IN (SELECT consignee_id FROM page WHERE via IS NULL AND kind = 'distributor')
        GROUP BY s.distributor_id) x) AS sold_on,
    (SELECT json_agg(x) FROM (
        SELECT s.hospital_id, s.distributor_id, s.gtin::text AS gtin, s.lot, s.quantity
        FROM reached a JOIN {schema}.sold_on s ON s.gtin = a.gtin AND s.lot = a.lot
        WHERE (s.hospital_id, s.distributor_id) IN (SELECT consignee_id, via FROM page WHERE via IS NOT NULL)) x)
        AS reached_lots,
    (SELECT json_agg(x ORDER BY x.sold_at, x.report_reference, x.line_no) FROM (
        SELECT l.hospital_id, l.distributor_id, l.report_id, l.report_reference, l.line_no, l.sold_at,
               l.gtin::text AS gtin, l.lot, l.quantity, l.over_reported
        FROM reached a JOIN {schema}.sellout_lines l ON l.gtin = a.gtin AND l.lot = a.lot
        WHERE (l.hospital_id, l.distributor_id) IN (SELECT consignee_id, via FROM page WHERE via IS NOT NULL)) x)
        AS sell_outs
"""
_LOOKUP = {start: live_reach(start) + _STEPS for start in (ONE_LOT, LOT_UNDER_ANY_GTIN)}


def recall_lookup(conn: Connection, schema: str, *, gtin: str | None = None, lot: str | None = None,
                  serial: str | None = None, limit: int = 50, offset: int = 0,
                  excluded: list[Lot] = ()) -> RecallLookup:
    """Who received the lot (and every kit lot made from it), or the serialised unit; consignees paged.

    `excluded`: (GTIN, lot) pairs left out of the answer (a recall case's lots taken out of its scope); the kit
    lots made from them are still followed."""
    kind = lookup_kind(gtin, lot, serial)
    if kind == "serial":
        return serial_lookup(conn, schema, gtin, serial, limit, offset)
    query = _LOOKUP[ONE_LOT if kind == "lot" else LOT_UNDER_ANY_GTIN].format(schema=schema)
    found = prepared(conn, query, {
        "gtin": gtin, "lot": lot, "out_gtins": [g for g, _ in excluded], "out_lots": [x for _, x in excluded],
        "offset": offset, "end": offset + limit})
    lots = found["lots"] or []
    via = {(t["gtin"], t["lot"]): [LotRef(gtin=g, lot=x) for g, x in map(split_lot_key, t["path"])] for t in lots}
    expiry_of = {(t["gtin"], t["lot"]): t["expiry"] for t in lots}
    affected = sorted_lots([affected_lot((t["gtin"], t["lot"]), via[(t["gtin"], t["lot"])], t["expiry"],
                                         Quantities(t["shipped"], t["returned"])) for t in lots])
    consignees = lookup_details.rows_of(found, via, expiry_of)
    queried = [a for a in affected if len(a.via) == 1]
    expiries = [a.expiry for a in queried if a.expiry is not None]
    overall = total_of(affected)
    return RecallLookup(gtin=gtin, lot=lot, expiry=min(expiries) if expiries else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected, consignees=consignees,
                        total=found["total"], limit=limit, offset=offset)


def prepared(conn: Connection, query: str, params: dict) -> dict:
    """The statement's one row, the statement prepared on the connection (once; planning it cost more than running
    it, 0.8 ms of 1.6). The read models' pools prepare nothing, as a rebuild may swap a table for one of another
    shape and a prepared `SELECT *` would then fail; this statement's columns are JSON and a count whatever the
    tables' shape, and PostgreSQL plans it again when a table it reads is replaced."""
    threshold = conn.prepare_threshold
    conn.prepare_threshold = 0
    try:
        return conn.execute(query, params, prepare=True).fetchone()
    finally:
        conn.prepare_threshold = threshold


def lookup(read: ReadModels, **question: object) -> RecallLookup:
    """`recall_lookup` on one connection of the read models' pool (the API's and the ports' way in)."""
    with read.pool.connection() as conn:
        return recall_lookup(conn, read.schema, **question)

