"""The recall lookup, as the API answers it (the route and the tests call `recall_lookup`).

Kits: `lot_links` holds one row per component lot -> kit lot. The lookup follows it with a recursive CTE
from the queried lot(s) to every kit lot that contains them, transitively (kits of kits), keeping per kit
lot the shortest path (`via`). The graph is small and indexed (a lot goes into few kit lots), so this is a
handful of index lookups; nothing walks the event history. Cycles (which assembly cannot produce) are
cut by never revisiting a lot on the same path.
"""

from datetime import date, datetime
from uuid import UUID

from psycopg import Connection
from pydantic import BaseModel

from services.traceability.domain.lineage import Quantities, lookup_kind, split_lot_key


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


class ConsigneeOut(BaseModel):
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    affected_lots: list[AffectedLot]
    shipments: list[ShipmentOut]


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
                   " UNION SELECT kit_gtin, kit_lot FROM {schema}.lot_links WHERE kit_lot = %s")

_AFFECTED = "unnest(%s::char(14)[], %s::text[]) AS a(gtin, lot)"


def recall_lookup(conn: Connection, schema: str, *, gtin: str | None = None, lot: str | None = None,
                  serial: str | None = None, limit: int = 50, offset: int = 0) -> RecallLookup:
    """Who received the lot (and every kit lot made from it), or the serialised unit; consignees paged."""
    kind = lookup_kind(gtin, lot, serial)
    if kind == "serial":
        return _serial_lookup(conn, schema, gtin, serial, limit, offset)
    if kind == "lot":
        rows = conn.execute(_REACH.format(start=_START_ONE, schema=schema), (gtin, lot)).fetchall()
    else:
        rows = conn.execute(_REACH.format(start=_START_ANY_GTIN.format(schema=schema), schema=schema),
                            (lot, lot, lot)).fetchall()
    via = {(r["gtin"], r["lot"]): [LotRef(gtin=g, lot=l) for g, l in map(split_lot_key, r["path"])] for r in rows}
    gtins = [g for g, _ in via]
    lots = [l for _, l in via]
    totals = {(r["gtin"], r["lot"]): r for r in conn.execute(
        f"SELECT a.gtin::text AS gtin, a.lot, min(e.expiry) AS expiry,"
        f" coalesce(sum(e.quantity_shipped), 0) AS shipped, coalesce(sum(e.quantity_returned), 0) AS returned"
        f" FROM {_AFFECTED} LEFT JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot"
        " GROUP BY a.gtin, a.lot", (gtins, lots)).fetchall()}
    affected = _sorted_lots([
        _affected_lot(key, via[key], totals[key]["expiry"], Quantities(totals[key]["shipped"], totals[key]["returned"]))
        for key in via])
    page = conn.execute(
        f"SELECT e.consignee_id, c.kind, c.name, c.region, sum(e.quantity_shipped)::int AS shipped,"
        f" sum(e.quantity_returned)::int AS returned, count(*) OVER () AS total"
        f" FROM {_AFFECTED} JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot"
        f" LEFT JOIN {schema}.consignees c ON c.consignee_id = e.consignee_id"
        " GROUP BY e.consignee_id, c.kind, c.name, c.region"
        " ORDER BY shipped DESC, coalesce(c.name, '') COLLATE \"C\", e.consignee_id::text LIMIT %s OFFSET %s",
        (gtins, lots, limit, offset)).fetchall()
    total = page[0]["total"] if page else conn.execute(
        f"SELECT count(DISTINCT e.consignee_id) AS n FROM {_AFFECTED}"
        f" JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot", (gtins, lots)).fetchone()["n"]
    ids = [r["consignee_id"] for r in page]
    per_lot: dict[UUID, list[AffectedLot]] = {i: [] for i in ids}
    for r in conn.execute(
            f"SELECT e.consignee_id, e.gtin::text AS gtin, e.lot, e.expiry, e.quantity_shipped, e.quantity_returned"
            f" FROM {_AFFECTED} JOIN {schema}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot"
            " WHERE e.consignee_id = ANY(%s)", (gtins, lots, ids)).fetchall():
        key = (r["gtin"], r["lot"])
        per_lot[r["consignee_id"]].append(
            _affected_lot(key, via[key], r["expiry"], Quantities(r["quantity_shipped"], r["quantity_returned"])))
    shipments: dict[UUID, list[ShipmentOut]] = {i: [] for i in ids}
    for r in conn.execute(
            f"SELECT s.*, s.gtin::text AS gtin FROM {_AFFECTED} JOIN {schema}.shipped_lots s"
            " ON s.gtin = a.gtin AND s.lot = a.lot WHERE s.consignee_id = ANY(%s)"
            " ORDER BY s.dispatched_at, s.shipment_id, s.gtin, s.lot", (gtins, lots, ids)).fetchall():
        shipments[r["consignee_id"]].append(_shipment(r, r["quantity"]))
    consignees = [_consignee(r, Quantities(r["shipped"], r["returned"]), _sorted_lots(per_lot[r["consignee_id"]]),
                             shipments[r["consignee_id"]]) for r in page]
    queried = [a for a in affected if len(a.via) == 1]
    expiries = [a.expiry for a in queried if a.expiry is not None]
    overall = sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in affected), Quantities())
    return RecallLookup(gtin=gtin, lot=lot, expiry=min(expiries) if expiries else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected, consignees=consignees,
                        total=total, limit=limit, offset=offset)


def _serial_lookup(conn: Connection, schema: str, gtin: str, serial: str, limit: int, offset: int) -> RecallLookup:
    """Which consignee got the unit: the shipments whose lines named the serial (kits do not record serials)."""
    rows = conn.execute(
        f"SELECT u.consignee_id, u.returned, c.kind, c.name, c.region, s.*, s.gtin::text AS gtin"
        f" FROM {schema}.shipped_serials u"
        f" JOIN {schema}.shipped_lots s ON s.gtin = u.gtin AND s.lot = u.lot AND s.shipment_id = u.shipment_id"
        f" LEFT JOIN {schema}.consignees c ON c.consignee_id = u.consignee_id"
        " WHERE u.gtin = %s AND u.serial = %s ORDER BY s.dispatched_at, s.shipment_id", (gtin, serial)).fetchall()
    grouped: dict[UUID, list[dict]] = {}
    for r in rows:
        grouped.setdefault(r["consignee_id"], []).append(r)

    def lots_of(rs: list[dict]) -> list[AffectedLot]:
        by_lot: dict[tuple[str, str], tuple[date, Quantities]] = {}
        for r in rs:
            expiry, q = by_lot.get((r["gtin"], r["lot"]), (r["expiry"], Quantities()))
            by_lot[(r["gtin"], r["lot"])] = (expiry, q + Quantities(1, int(r["returned"])))
        return _sorted_lots([_affected_lot(k, [LotRef(gtin=k[0], lot=k[1])], e, q) for k, (e, q) in by_lot.items()])

    consignees = []
    for rs in grouped.values():
        q = Quantities(len(rs), sum(int(r["returned"]) for r in rs))
        consignees.append(_consignee(rs[0], q, lots_of(rs), [_shipment(r, 1) for r in rs]))
    consignees.sort(key=lambda c: (-c.quantity_shipped, c.name or "", str(c.consignee_id)))
    affected = lots_of(rows)
    overall = sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in affected), Quantities())
    return RecallLookup(gtin=gtin, lot=affected[0].lot if len(affected) == 1 else None, serial=serial,
                        expiry=affected[0].expiry if len(affected) == 1 else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected,
                        consignees=consignees[offset:offset + limit], total=len(consignees), limit=limit, offset=offset)


def _affected_lot(key: tuple[str, str], via: list[LotRef], expiry: date | None, q: Quantities) -> AffectedLot:
    return AffectedLot(gtin=key[0], lot=key[1], expiry=expiry, via=via, quantity_shipped=q.shipped,
                       quantity_returned=q.returned, quantity_outstanding=q.outstanding)


def _sorted_lots(lots: list[AffectedLot]) -> list[AffectedLot]:
    return sorted(lots, key=lambda a: (len(a.via), a.gtin, a.lot))


def _shipment(r: dict, quantity: int) -> ShipmentOut:
    return ShipmentOut(shipment_id=r["shipment_id"], order_id=r["order_id"], quantity=quantity,
                       dispatched_at=r["dispatched_at"], carrier=r["carrier"], tracking_number=r["tracking_number"],
                       gtin=r["gtin"], lot=r["lot"])


def _consignee(r: dict, q: Quantities, lots: list[AffectedLot], shipments: list[ShipmentOut]) -> ConsigneeOut:
    return ConsigneeOut(consignee_id=r["consignee_id"], kind=r["kind"] or "hospital", name=r["name"],
                        region=r["region"], quantity_shipped=q.shipped, quantity_returned=q.returned,
                        quantity_outstanding=q.outstanding, affected_lots=lots, shipments=shipments)
