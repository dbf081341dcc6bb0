"""The recall lookup, as the API answers it (the route and the tests call `recall_lookup`); and what a sell-out
report is checked against (`distributor_position`, `registered`).

Kits: `lot_links` holds one row per component lot -> kit lot. The lookup follows it with a recursive CTE
from the queried lot(s) to every kit lot that contains them, transitively (kits of kits), keeping per kit
lot the shortest path (`via`). The graph is small and indexed (a lot goes into few kit lots), so this is a
handful of index lookups; nothing walks the event history. Cycles (which assembly cannot produce) are
cut by never revisiting a lot on the same path.

Distributors: a consignee row is a consignee reached one way — direct from a shipment (`lot_consignees`), or a
hospital reached through a distributor's sell-out report (`sold_on`, `via_distributor` set). A hospital supplied
both ways has one row for each path. A distributor's own row says how much of what it received it reported as
sold on, and what it should still hold. The sell-out queries run only when the page holds such rows, so a lookup
without distributors costs what it did before.
"""

from datetime import date, datetime
from uuid import UUID

from psycopg import Connection
from pydantic import BaseModel, Field

from services.traceability.domain.lineage import Quantities, lookup_kind, split_lot_key
from shared.events.channel import Contact


class LotRef(BaseModel):
    gtin: str
    lot: str


class AffectedLot(BaseModel):
    gtin: str
    lot: str
    expiry: date | None
    via: list[LotRef]  # from a queried lot to this one, both included; [itself] for a queried lot
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int


class ShipmentOut(BaseModel):
    shipment_id: UUID
    order_id: UUID
    quantity: int
    dispatched_at: datetime
    carrier: str
    tracking_number: str
    gtin: str
    lot: str


class ConsigneeRef(BaseModel):
    consignee_id: UUID
    name: str | None


class SellOutOut(BaseModel):
    """A line of a distributor's sell-out report: how the units reached this hospital."""

    report_id: UUID
    report_reference: str
    line_no: int
    sold_at: date
    gtin: str
    lot: str
    quantity: int
    over_reported: bool


class ConsigneeOut(BaseModel):
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    contact: Contact | None = Field(None, description="whom to call about a recall, when the channel has one")
    via_distributor: ConsigneeRef | None = Field(
        None, description="set when the hospital was reached through this distributor's sell-out (流向) reports;"
                          " its quantities are then the units the distributor reported delivering to it")
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    quantity_sold_on: int = Field(0, description="a distributor: the units it reported delivering to hospitals")
    quantity_in_stock: int | None = Field(
        None, description="a distributor: outstanding minus sold on (never below 0), what it should still hold")
    affected_lots: list[AffectedLot]
    shipments: list[ShipmentOut]
    sell_outs: list[SellOutOut] = Field(default_factory=list, description="the sell-out lines of a `via_distributor` row")


class RecallLookup(BaseModel):
    gtin: str | None
    lot: str | None
    serial: str | None = None
    expiry: date | None
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    affected_lots: list[AffectedLot]
    consignees: list[ConsigneeOut]
    total: int  # consignees in all, over every page
    limit: int
    offset: int


_REACH = """
WITH RECURSIVE start(gtin, lot) AS ({start}),
reach(gtin, lot, path) AS (
    SELECT gtin, lot, ARRAY[gtin::text || lot] FROM start
    UNION ALL
    SELECT l.kit_gtin, l.kit_lot, r.path || (l.kit_gtin::text || l.kit_lot)
    FROM reach r JOIN {schema}.lot_links l ON l.component_gtin = r.gtin AND l.component_lot = r.lot
    WHERE NOT (l.kit_gtin::text || l.kit_lot) = ANY(r.path)
)
SELECT DISTINCT ON (gtin, lot) gtin::text AS gtin, lot, path FROM reach
ORDER BY gtin, lot, cardinality(path), path::text COLLATE "C"
"""

_START_ONE = "SELECT %s::char(14), %s::text"
_START_ANY_GTIN = ("SELECT gtin, lot FROM {schema}.lot_consignees WHERE lot = %s"
                   " UNION SELECT component_gtin, component_lot FROM {schema}.lot_links WHERE component_lot = %s"
                   " UNION SELECT kit_gtin, kit_lot FROM {schema}.lot_links WHERE kit_lot = %s"
                   " UNION SELECT gtin, lot FROM {schema}.sold_on WHERE lot = %s")

_AFFECTED = "unnest(%s::char(14)[], %s::text[]) AS a(gtin, lot)"

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

RowKey = tuple[UUID, UUID | None]  # (consignee, the distributor it was reached through; None: direct)


def recall_lookup(conn: Connection, schema: str, *, gtin: str | None = None, lot: str | None = None,
                  serial: str | None = None, limit: int = 50, offset: int = 0,
                  excluded: list[tuple[str, str]] = ()) -> RecallLookup:
    """Who received the lot (and every kit lot made from it), or the serialised unit; consignees paged.

    `excluded`: (GTIN, lot) pairs left out of the answer (a recall case's lots taken out of its scope); the kit
    lots made from them are still followed."""
    kind = lookup_kind(gtin, lot, serial)
    if kind == "serial":
        return _serial_lookup(conn, schema, gtin, serial, limit, offset)
    if kind == "lot":
        rows = conn.execute(_REACH.format(start=_START_ONE, schema=schema), (gtin, lot)).fetchall()
    else:
        rows = conn.execute(_REACH.format(start=_START_ANY_GTIN.format(schema=schema), schema=schema),
                            (lot, lot, lot, lot)).fetchall()
    left_out = set(excluded)
    via = {(r["gtin"], r["lot"]): [LotRef(gtin=g, lot=l) for g, l in map(split_lot_key, r["path"])] for r in rows
           if (r["gtin"], r["lot"]) not in left_out}
    gtins = [g for g, _ in via]
    lots = [l for _, l in via]
    totals = {(r["gtin"], r["lot"]): r for r in conn.execute(
        f"SELECT a.gtin::text AS gtin, a.lot, min(e.expiry) AS expiry,"
        f" coalesce(sum(e.quantity_shipped), 0) AS shipped, coalesce(sum(e.quantity_returned), 0) AS returned"
        f" FROM {_AFFECTED} LEFT JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot"
        " GROUP BY a.gtin, a.lot", (gtins, lots)).fetchall()}
    expiry_of = {key: totals[key]["expiry"] for key in via}
    affected = sorted_lots([
        affected_lot(key, via[key], expiry_of[key], Quantities(totals[key]["shipped"], totals[key]["returned"]))
        for key in via])
    arrays = {"gtins": gtins, "lots": lots}
    page = conn.execute((_ROWS + _PAGE).format(schema=schema), {**arrays, "limit": limit, "offset": offset}).fetchall()
    total = page[0]["total"] if page else conn.execute(
        (_ROWS + "SELECT count(*) AS n FROM r").format(schema=schema), arrays).fetchone()["n"]
    direct = [r["consignee_id"] for r in page if r["via"] is None]
    per_lot: dict[RowKey, list[AffectedLot]] = {(r["consignee_id"], r["via"]): [] for r in page}
    shipments: dict[UUID, list[ShipmentOut]] = {i: [] for i in direct}
    if direct:
        for r in conn.execute(
                f"SELECT e.consignee_id, e.gtin::text AS gtin, e.lot, e.expiry, e.quantity_shipped,"
                f" e.quantity_returned FROM {_AFFECTED} JOIN {schema}.lot_consignees e"
                " ON e.gtin = a.gtin AND e.lot = a.lot WHERE e.consignee_id = ANY(%s)", (gtins, lots, direct)).fetchall():
            key = (r["gtin"], r["lot"])
            per_lot[(r["consignee_id"], None)].append(
                affected_lot(key, via[key], r["expiry"], Quantities(r["quantity_shipped"], r["quantity_returned"])))
        for r in conn.execute(
                f"SELECT s.*, s.gtin::text AS gtin FROM {_AFFECTED} JOIN {schema}.shipped_lots s"
                " ON s.gtin = a.gtin AND s.lot = a.lot WHERE s.consignee_id = ANY(%s)"
                " ORDER BY s.dispatched_at, s.shipment_id, s.gtin, s.lot", (gtins, lots, direct)).fetchall():
            shipments[r["consignee_id"]].append(_shipment(r, r["quantity"]))
    distributors = [r["consignee_id"] for r in page if r["via"] is None and r["kind"] == "distributor"]
    sold_by = _sold_on_by(conn, schema, gtins, lots, distributors)
    reached = [(r["consignee_id"], r["via"]) for r in page if r["via"] is not None]
    sell_outs: dict[RowKey, list[SellOutOut]] = {row: [] for row in reached}
    if reached:
        hospitals, via_distributors = [h for h, _ in reached], [d for _, d in reached]
        for r in conn.execute(
                f"SELECT s.hospital_id, s.distributor_id, s.gtin::text AS gtin, s.lot, s.quantity FROM {_AFFECTED}"
                f" JOIN {schema}.sold_on s ON s.gtin = a.gtin AND s.lot = a.lot"
                " WHERE s.hospital_id = ANY(%s) AND s.distributor_id = ANY(%s)",
                (gtins, lots, hospitals, via_distributors)).fetchall():
            key, row = (r["gtin"], r["lot"]), (r["hospital_id"], r["distributor_id"])
            if row in per_lot:  # ANY(...) AND ANY(...) may pair a hospital with another row's distributor
                per_lot[row].append(affected_lot(key, via[key], expiry_of[key], Quantities(r["quantity"], 0)))
        for r in conn.execute(
                f"SELECT l.*, l.gtin::text AS gtin FROM {_AFFECTED} JOIN {schema}.sellout_lines l"
                " ON l.gtin = a.gtin AND l.lot = a.lot WHERE l.hospital_id = ANY(%s) AND l.distributor_id = ANY(%s)"
                " ORDER BY l.sold_at, l.report_reference, l.line_no",
                (gtins, lots, hospitals, via_distributors)).fetchall():
            row = (r["hospital_id"], r["distributor_id"])
            if row in sell_outs:
                sell_outs[row].append(_sell_out(r, r["quantity"]))
    consignees = []
    for r in page:
        key, q = (r["consignee_id"], r["via"]), Quantities(r["shipped"], r["returned"])
        if r["via"] is None:
            consignees.append(_consignee(r, q, sorted_lots(per_lot[key]), shipments[r["consignee_id"]],
                                         sold_on=sold_by.get(r["consignee_id"])))
        else:
            consignees.append(_consignee(r, q, sorted_lots(per_lot[key]), [], sell_outs=sell_outs[key]))
    queried = [a for a in affected if len(a.via) == 1]
    expiries = [a.expiry for a in queried if a.expiry is not None]
    overall = sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in affected), Quantities())
    return RecallLookup(gtin=gtin, lot=lot, expiry=min(expiries) if expiries else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected, consignees=consignees,
                        total=total, limit=limit, offset=offset)


def _sold_on_by(conn: Connection, schema: str, gtins: list[str], lots: list[str],
                distributors: list[UUID]) -> dict[UUID, int]:
    """Per distributor, the units of the lots it reported delivering to hospitals."""
    if not distributors:
        return {}
    return {r["distributor_id"]: r["sold"] for r in conn.execute(
        f"SELECT s.distributor_id, sum(s.quantity)::int AS sold FROM {_AFFECTED} JOIN {schema}.sold_on s"
        " ON s.gtin = a.gtin AND s.lot = a.lot WHERE s.distributor_id = ANY(%s) GROUP BY s.distributor_id",
        (gtins, lots, distributors)).fetchall()}


def _serial_lookup(conn: Connection, schema: str, gtin: str, serial: str, limit: int, offset: int) -> RecallLookup:
    """Which consignee got the unit: the shipments whose lines named the serial (kits do not record serials), and
    the hospitals distributors reported delivering it to."""
    rows = conn.execute(
        f"SELECT u.consignee_id, u.returned, c.kind, c.name, c.region, c.contact, s.*, s.gtin::text AS gtin"
        f" FROM {schema}.shipped_serials u"
        f" JOIN {schema}.shipped_lots s ON s.gtin = u.gtin AND s.lot = u.lot AND s.shipment_id = u.shipment_id"
        f" LEFT JOIN {schema}.consignees c ON c.consignee_id = u.consignee_id"
        " WHERE u.gtin = %s AND u.serial = %s ORDER BY s.dispatched_at, s.shipment_id", (gtin, serial)).fetchall()
    sold = conn.execute(
        f"SELECT u.hospital_id AS consignee_id, u.distributor_id AS via, d.name AS via_name, c.kind, c.name, c.region, c.contact,"
        f" l.*, l.gtin::text AS gtin, e.expiry FROM {schema}.sold_serials u"
        f" JOIN {schema}.sellout_lines l ON l.report_id = u.report_id AND l.line_no = u.line_no"
        f" LEFT JOIN {schema}.consignees c ON c.consignee_id = u.hospital_id"
        f" LEFT JOIN {schema}.consignees d ON d.consignee_id = u.distributor_id"
        f" LEFT JOIN LATERAL (SELECT min(x.expiry) AS expiry FROM {schema}.lot_consignees x"
        "  WHERE x.gtin = l.gtin AND x.lot = l.lot) e ON true"
        " WHERE u.gtin = %s AND u.serial = %s ORDER BY l.sold_at, l.report_reference, l.line_no",
        (gtin, serial)).fetchall()
    grouped: dict[RowKey, list[dict]] = {}
    for r in rows:
        grouped.setdefault((r["consignee_id"], None), []).append(r)
    for r in sold:
        grouped.setdefault((r["consignee_id"], r["via"]), []).append(r)
    sold_by: dict[UUID, int] = {}
    for r in sold:
        sold_by[r["via"]] = sold_by.get(r["via"], 0) + 1

    def lots_of(rs: list[dict]) -> list[AffectedLot]:
        by_lot: dict[tuple[str, str], tuple[date, Quantities]] = {}
        for r in rs:
            expiry, q = by_lot.get((r["gtin"], r["lot"]), (r["expiry"], Quantities()))
            by_lot[(r["gtin"], r["lot"])] = (expiry, q + Quantities(1, int(r.get("returned") or False)))
        return sorted_lots([affected_lot(k, [LotRef(gtin=k[0], lot=k[1])], e, q) for k, (e, q) in by_lot.items()])

    consignees = []
    for (consignee_id, via_id), rs in grouped.items():
        q = Quantities(len(rs), sum(int(r.get("returned") or False) for r in rs))
        if via_id is None:
            consignees.append(_consignee(rs[0], q, lots_of(rs), [_shipment(r, 1) for r in rs],
                                         sold_on=sold_by.get(consignee_id)))
        else:
            consignees.append(_consignee(rs[0], q, lots_of(rs), [], sell_outs=[_sell_out(r, 1) for r in rs]))
    consignees.sort(key=lambda c: (-c.quantity_shipped, c.name or "", str(c.consignee_id),
                                   str(c.via_distributor.consignee_id) if c.via_distributor else ""))
    affected = lots_of(rows)
    overall = sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in affected), Quantities())
    lots_named = lots_of(rows + sold)
    return RecallLookup(gtin=gtin, lot=lots_named[0].lot if len(lots_named) == 1 else None, serial=serial,
                        expiry=lots_named[0].expiry if len(lots_named) == 1 else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected,
                        consignees=consignees[offset:offset + limit], total=len(consignees), limit=limit, offset=offset)


def affected_lot(key: tuple[str, str], via: list[LotRef], expiry: date | None, q: Quantities) -> AffectedLot:
    return AffectedLot(gtin=key[0], lot=key[1], expiry=expiry, via=via, quantity_shipped=q.shipped,
                       quantity_returned=q.returned, quantity_outstanding=q.outstanding)


def sorted_lots(lots: list[AffectedLot]) -> list[AffectedLot]:
    return sorted(lots, key=lambda a: (len(a.via), a.gtin, a.lot))


def _shipment(r: dict, quantity: int) -> ShipmentOut:
    return ShipmentOut(shipment_id=r["shipment_id"], order_id=r["order_id"], quantity=quantity,
                       dispatched_at=r["dispatched_at"], carrier=r["carrier"], tracking_number=r["tracking_number"],
                       gtin=r["gtin"], lot=r["lot"])


def _sell_out(r: dict, quantity: int) -> SellOutOut:
    return SellOutOut(report_id=r["report_id"], report_reference=r["report_reference"], line_no=r["line_no"],
                      sold_at=r["sold_at"], gtin=r["gtin"], lot=r["lot"], quantity=quantity,
                      over_reported=r["over_reported"])


def _consignee(r: dict, q: Quantities, lots: list[AffectedLot], shipments: list[ShipmentOut], *,
               sold_on: int | None = None, sell_outs: list[SellOutOut] | None = None) -> ConsigneeOut:
    """A direct row (`r["via"]` absent or None) or a hospital reached through the distributor `r["via"]`."""
    via = r.get("via")
    distributor = via is None and r["kind"] == "distributor"
    return ConsigneeOut(
        consignee_id=r["consignee_id"], kind="hospital" if via is not None else r["kind"] or "hospital",
        name=r["name"], region=r["region"], contact=r.get("contact"),
        via_distributor=ConsigneeRef(consignee_id=via, name=r["via_name"]) if via is not None else None,
        quantity_shipped=q.shipped, quantity_returned=q.returned, quantity_outstanding=q.outstanding,
        quantity_sold_on=sold_on or 0, quantity_in_stock=max(0, q.outstanding - (sold_on or 0)) if distributor else None,
        affected_lots=lots, shipments=shipments, sell_outs=sell_outs or [])


# What a sell-out report is checked against ---------------------------------------------------------------------

def distributor_position(conn: Connection, schema: str, distributor_id: UUID,
                         keys: list[tuple[str, str]]) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Per (GTIN, lot): what the distributor received (shipped to it minus returned by it) and what it has reported
    as sold on so far, as the lineage read model knows it now."""
    if not keys:
        return {}, {}
    rows = conn.execute(
        f"SELECT a.gtin::text AS gtin, a.lot, coalesce(e.quantity_shipped - e.quantity_returned, 0) AS received,"
        f" coalesce((SELECT sum(s.quantity) FROM {schema}.sold_on s WHERE s.gtin = a.gtin AND s.lot = a.lot"
        "  AND s.distributor_id = %s), 0)::int AS reported"
        f" FROM {_AFFECTED} LEFT JOIN {schema}.lot_consignees e"
        " ON e.gtin = a.gtin AND e.lot = a.lot AND e.consignee_id = %s",
        (distributor_id, [g for g, _ in keys], [l for _, l in keys], distributor_id)).fetchall()
    return ({(r["gtin"], r["lot"]): r["received"] for r in rows}, {(r["gtin"], r["lot"]): r["reported"] for r in rows})


def registered(conn: Connection, schema: str, kind: str, ids: list[UUID]) -> set[UUID]:
    """Which of the ids are registered consignees of this kind ("hospital" or "distributor")."""
    return {r["consignee_id"] for r in conn.execute(
        f"SELECT consignee_id FROM {schema}.consignees WHERE kind = %s AND consignee_id = ANY(%s)",
        (kind, list(set(ids)))).fetchall()}
