"""The recall lookup of one serialised unit: the shipments whose lines named the serial (kits do not record serials),
and the hospitals distributors reported delivering it to — each a row of its own, as in the lot lookup."""

from datetime import date
from uuid import UUID

from psycopg import Connection

from services.traceability.domain.lineage import Quantities
from services.traceability.queries.answers import (
    AffectedLot, LotRef, RecallLookup, RowKey, affected_lot, consignee, sell_out, shipment, sorted_lots, total_of,
)

_SHIPPED = """
SELECT u.consignee_id, u.returned, c.kind, c.name, c.region, c.contact, s.*, s.gtin::text AS gtin
FROM {schema}.shipped_serials u
JOIN {schema}.shipped_lots s ON s.gtin = u.gtin AND s.lot = u.lot AND s.shipment_id = u.shipment_id
LEFT JOIN {schema}.consignees c ON c.consignee_id = u.consignee_id
WHERE u.gtin = %(gtin)s AND u.serial = %(serial)s ORDER BY s.dispatched_at, s.shipment_id
"""
_SOLD = """
SELECT u.hospital_id AS consignee_id, u.distributor_id AS via, d.name AS via_name, c.kind, c.name, c.region,
       c.contact, l.*, l.gtin::text AS gtin, e.expiry
FROM {schema}.sold_serials u
JOIN {schema}.sellout_lines l ON l.report_id = u.report_id AND l.line_no = u.line_no
LEFT JOIN {schema}.consignees c ON c.consignee_id = u.hospital_id
LEFT JOIN {schema}.consignees d ON d.consignee_id = u.distributor_id
LEFT JOIN LATERAL (SELECT min(x.expiry) AS expiry FROM {schema}.lot_consignees x
                   WHERE x.gtin = l.gtin AND x.lot = l.lot) e ON true
WHERE u.gtin = %(gtin)s AND u.serial = %(serial)s ORDER BY l.sold_at, l.report_reference, l.line_no
"""


def serial_lookup(conn: Connection, schema: str, gtin: str, serial: str, limit: int, offset: int) -> RecallLookup:
    unit = {"gtin": gtin, "serial": serial}
    rows = conn.execute(_SHIPPED.format(schema=schema), unit).fetchall()
    sold = conn.execute(_SOLD.format(schema=schema), unit).fetchall()
    grouped: dict[RowKey, list[dict]] = {}
    for r in rows:
        grouped.setdefault((r["consignee_id"], None), []).append(r)
    for r in sold:
        grouped.setdefault((r["consignee_id"], r["via"]), []).append(r)
    sold_by: dict[UUID, int] = {}
    for r in sold:
        sold_by[r["via"]] = sold_by.get(r["via"], 0) + 1

    consignees = []
    for (consignee_id, via_id), rs in grouped.items():
        q = Quantities(len(rs), sum(_returned(r) for r in rs))
        if via_id is None:
            consignees.append(consignee(rs[0], q, _lots_of(rs), [shipment(r, 1) for r in rs],
                                        sold_on=sold_by.get(consignee_id)))
        else:
            consignees.append(consignee(rs[0], q, _lots_of(rs), [], sell_outs=[sell_out(r, 1) for r in rs]))
    consignees.sort(key=lambda c: (-c.quantity_shipped, c.name or "", str(c.consignee_id),
                                   str(c.via_distributor.consignee_id) if c.via_distributor else ""))
    affected = _lots_of(rows)
    overall = total_of(affected)
    lots_named = _lots_of(rows + sold)
    return RecallLookup(gtin=gtin, lot=lots_named[0].lot if len(lots_named) == 1 else None, serial=serial,
                        expiry=lots_named[0].expiry if len(lots_named) == 1 else None,
                        quantity_shipped=overall.shipped, quantity_returned=overall.returned,
                        quantity_outstanding=overall.outstanding, affected_lots=affected,
                        consignees=consignees[offset:offset + limit], total=len(consignees), limit=limit, offset=offset)


def _returned(r: dict) -> int:
    return int(r.get("returned") or False)  # a sold-on row has no `returned`: the distributor's return is its own


def _lots_of(rs: list[dict]) -> list[AffectedLot]:
    by_lot: dict[tuple[str, str], tuple[date, Quantities]] = {}
    for r in rs:
        expiry, q = by_lot.get((r["gtin"], r["lot"]), (r["expiry"], Quantities()))
        by_lot[(r["gtin"], r["lot"])] = (expiry, q + Quantities(1, _returned(r)))
    return sorted_lots([affected_lot(k, [LotRef(gtin=k[0], lot=k[1])], e, q) for k, (e, q) in by_lot.items()])
