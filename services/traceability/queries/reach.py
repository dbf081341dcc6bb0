"""Step one of every recall lookup: the lots a recall of some lots reaches — those lots and every kit lot assembled
from them, transitively (kits of kits) — each with its shortest path (`via`).

One recursive CTE serves the live lookup (the assemblies known now: `lot_links`) and the as-of lookup (the kit
assemblies recorded by a time: `lot_history`'s `transformed` rows). The graph is small and indexed (a lot goes into
few kit lots), so this is a handful of index lookups; nothing walks the event history. Cycles (which assembly
cannot produce) are cut by never revisiting a lot on the same path. Per kit lot, the shortest path wins; among
paths as short, the first in byte order, so every answer names the same one.
"""

from datetime import datetime

from psycopg import Connection

from services.traceability.domain.lineage import split_lot_key
from services.traceability.queries.answers import Lot, LotRef

_REACH_CTE = """
WITH RECURSIVE start(gtin, lot) AS ({start}),
reach(gtin, lot, path) AS (
    SELECT gtin, lot, ARRAY[gtin::text || lot] FROM start
    UNION ALL
    SELECT l.kit_gtin, l.kit_lot, r.path || (l.kit_gtin::text || l.kit_lot)
    FROM reach r JOIN {links} l ON l.{component_gtin} = r.gtin AND l.{component_lot} = r.lot
    WHERE {known}NOT (l.kit_gtin::text || l.kit_lot) = ANY(r.path)
)"""
_REACH = _REACH_CTE + """
SELECT DISTINCT ON (gtin, lot) gtin::text AS gtin, lot, path FROM reach
ORDER BY gtin, lot, cardinality(path), path::text COLLATE "C"
"""

# Where a reach starts: one lot; a lot number under every GTIN that has it; or a list of lots.
ONE_LOT = "SELECT %(gtin)s::char(14), %(lot)s::text"
LOT_UNDER_ANY_GTIN = """
SELECT gtin, lot FROM {schema}.lot_consignees WHERE lot = %(lot)s
UNION SELECT component_gtin, component_lot FROM {schema}.lot_links WHERE component_lot = %(lot)s
UNION SELECT kit_gtin, kit_lot FROM {schema}.lot_links WHERE kit_lot = %(lot)s
UNION SELECT gtin, lot FROM {schema}.sold_on WHERE lot = %(lot)s"""
LOTS = "SELECT a.gtin, a.lot FROM unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)"

# The kit assemblies followed: every one known now, or those recorded by %(at)s.
_LIVE = {"links": "{schema}.lot_links", "component_gtin": "component_gtin", "component_lot": "component_lot",
         "known": ""}
_AS_OF = {"links": "{schema}.lot_history", "component_gtin": "gtin", "component_lot": "lot",
          "known": "l.fact = 'transformed' AND l.recorded_at <= %(at)s AND "}


def live_reach(start: str) -> str:
    """The recursive CTEs `start` and `reach` (every path to every lot reached through the assemblies known now), for
    a statement that goes on from them (the recall lookup's); `{schema}` left to fill."""
    return _REACH_CTE.format(start=start, **_LIVE)


def reach(conn: Connection, schema: str, start: str, params: dict,
          at: datetime | None = None) -> dict[Lot, list[LotRef]]:
    """Every lot reached from `start` (ONE_LOT, LOT_UNDER_ANY_GTIN or LOTS with its `params`), with its path; as the
    assemblies stood at `at` when given. In (GTIN, lot) order."""
    links = _LIVE if at is None else _AS_OF
    query = _REACH.format(start=start, **links).format(schema=schema)
    rows = conn.execute(query, {**params, "at": at} if at is not None else params).fetchall()
    return {(r["gtin"], r["lot"]): [LotRef(gtin=g, lot=lot) for g, lot in map(split_lot_key, r["path"])]
            for r in rows}


def lot_arrays(lots: list[Lot]) -> dict[str, list[str]]:
    """The lots as the two arrays every step's `unnest(%(gtins)s, %(lots)s)` reads."""
    return {"gtins": [g for g, _ in lots], "lots": [lot for _, lot in lots]}
