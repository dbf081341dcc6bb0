"""Step four of the recall lookup: for the consignee rows of one page only, what each got — the lots (with their
paths), a direct consignee's shipments, a distributor's units sold on, and for a hospital reached through a
distributor the sell-out lines that say so. Each query is bounded by the page's consignees, so a page costs the
same however many consignees the lot has."""

from datetime import date
from uuid import UUID

from psycopg import Connection

from services.traceability.domain.lineage import Quantities
from services.traceability.queries.answers import (
    AffectedLot, ConsigneeOut, Lot, LotRef, RowKey, SellOutOut, ShipmentOut, affected_lot, consignee, sell_out,
    shipment, sorted_lots,
)

_AFFECTED = "unnest(%(gtins)s::char(14)[], %(lots)s::text[]) AS a(gtin, lot)"

_DIRECT_LOTS = f"""
SELECT e.consignee_id, e.gtin::text AS gtin, e.lot, e.expiry, e.quantity_shipped, e.quantity_returned
FROM {_AFFECTED} JOIN {{schema}}.lot_consignees e ON e.gtin = a.gtin AND e.lot = a.lot
WHERE e.consignee_id = ANY(%(consignees)s)
"""
_SHIPMENTS = f"""
SELECT s.*, s.gtin::text AS gtin FROM {_AFFECTED} JOIN {{schema}}.shipped_lots s ON s.gtin = a.gtin AND s.lot = a.lot
WHERE s.consignee_id = ANY(%(consignees)s) ORDER BY s.dispatched_at, s.shipment_id, s.gtin, s.lot
"""
_SOLD_ON_BY = f"""
SELECT s.distributor_id, sum(s.quantity)::int AS sold FROM {_AFFECTED} JOIN {{schema}}.sold_on s
ON s.gtin = a.gtin AND s.lot = a.lot WHERE s.distributor_id = ANY(%(consignees)s) GROUP BY s.distributor_id
"""
_REACHED_LOTS = f"""
SELECT s.hospital_id, s.distributor_id, s.gtin::text AS gtin, s.lot, s.quantity
FROM {_AFFECTED} JOIN {{schema}}.sold_on s ON s.gtin = a.gtin AND s.lot = a.lot
WHERE s.hospital_id = ANY(%(hospitals)s) AND s.distributor_id = ANY(%(distributors)s)
"""
_SELL_OUTS = f"""
SELECT l.*, l.gtin::text AS gtin FROM {_AFFECTED} JOIN {{schema}}.sellout_lines l ON l.gtin = a.gtin AND l.lot = a.lot
WHERE l.hospital_id = ANY(%(hospitals)s) AND l.distributor_id = ANY(%(distributors)s)
ORDER BY l.sold_at, l.report_reference, l.line_no
"""


def rows_of(conn: Connection, schema: str, page: list[dict], via: dict[Lot, list[LotRef]],
            expiry_of: dict[Lot, date | None], arrays: dict) -> list[ConsigneeOut]:
    """The page's rows (from the page step) with their details, in the page's order."""
    per_lot: dict[RowKey, list[AffectedLot]] = {(r["consignee_id"], r["via"]): [] for r in page}
    direct = [r["consignee_id"] for r in page if r["via"] is None]
    shipments: dict[UUID, list[ShipmentOut]] = {i: [] for i in direct}
    if direct:
        _direct(conn, schema, arrays, direct, via, per_lot, shipments)
    distributors = [r["consignee_id"] for r in page if r["via"] is None and r["kind"] == "distributor"]
    sold_by = _sold_on_by(conn, schema, arrays, distributors)
    sell_outs: dict[RowKey, list[SellOutOut]] = {(r["consignee_id"], r["via"]): []
                                                 for r in page if r["via"] is not None}
    if sell_outs:
        _reached(conn, schema, arrays, via, expiry_of, per_lot, sell_outs)
    rows = []
    for r in page:
        key, q = (r["consignee_id"], r["via"]), Quantities(r["shipped"], r["returned"])
        if r["via"] is None:
            rows.append(consignee(r, q, sorted_lots(per_lot[key]), shipments[r["consignee_id"]],
                                  sold_on=sold_by.get(r["consignee_id"])))
        else:
            rows.append(consignee(r, q, sorted_lots(per_lot[key]), [], sell_outs=sell_outs[key]))
    return rows


def _direct(conn: Connection, schema: str, arrays: dict, direct: list[UUID], via: dict[Lot, list[LotRef]],
            per_lot: dict[RowKey, list[AffectedLot]], shipments: dict[UUID, list[ShipmentOut]]) -> None:
    """The lots and shipments of the consignees the page reached directly."""
    params = {**arrays, "consignees": direct}
    for r in conn.execute(_DIRECT_LOTS.format(schema=schema), params).fetchall():
        key = (r["gtin"], r["lot"])
        per_lot[(r["consignee_id"], None)].append(
            affected_lot(key, via[key], r["expiry"], Quantities(r["quantity_shipped"], r["quantity_returned"])))
    for r in conn.execute(_SHIPMENTS.format(schema=schema), params).fetchall():
        shipments[r["consignee_id"]].append(shipment(r, r["quantity"]))


def _sold_on_by(conn: Connection, schema: str, arrays: dict, distributors: list[UUID]) -> dict[UUID, int]:
    """Per distributor, the units of the lots it reported delivering to hospitals."""
    if not distributors:
        return {}
    return {r["distributor_id"]: r["sold"] for r in conn.execute(
        _SOLD_ON_BY.format(schema=schema), {**arrays, "consignees": distributors}).fetchall()}


def _reached(conn: Connection, schema: str, arrays: dict, via: dict[Lot, list[LotRef]],
             expiry_of: dict[Lot, date | None], per_lot: dict[RowKey, list[AffectedLot]],
             sell_outs: dict[RowKey, list[SellOutOut]]) -> None:
    """The lots and sell-out lines of the hospitals the page reached through distributors."""
    params = {**arrays, "hospitals": [h for h, _ in sell_outs], "distributors": [d for _, d in sell_outs]}
    for r in conn.execute(_REACHED_LOTS.format(schema=schema), params).fetchall():
        key, row = (r["gtin"], r["lot"]), (r["hospital_id"], r["distributor_id"])
        if row in per_lot:  # ANY(...) AND ANY(...) may pair a hospital with another row's distributor
            per_lot[row].append(affected_lot(key, via[key], expiry_of[key], Quantities(r["quantity"], 0)))
    for r in conn.execute(_SELL_OUTS.format(schema=schema), params).fetchall():
        row = (r["hospital_id"], r["distributor_id"])
        if row in sell_outs:
            sell_outs[row].append(sell_out(r, r["quantity"]))
