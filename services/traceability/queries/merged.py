"""Several lots or units looked up at once (a recall case's scope, an item's lots in a date range, a list of serials):
their whole lookups, and every consignee of any of them merged, one row per consignee and path."""

from psycopg import Connection

from services.traceability.domain.lineage import Quantities
from services.traceability.queries.answers import ConsigneeOut, RecallLookup, RowKey
from services.traceability.queries.lookup import recall_lookup
from shared.platform.read_models import ReadModels

ALL_CONSIGNEES = 1_000_000  # the lookup pages; these questions need every consignee of every lot


def lookups_of(conn: Connection, schema: str, lots: list[dict[str, str]], serials: list[dict[str, str]] = (),
               excluded: list[dict[str, str]] = ()) -> list[RecallLookup]:
    """The whole recall lookup of each lot (kit lots made from it included, `excluded` lots left out) and serial."""
    left_out = [(r["gtin"], r["lot"]) for r in excluded]
    lookups = [recall_lookup(conn, schema, gtin=r["gtin"], lot=r["lot"], limit=ALL_CONSIGNEES, excluded=left_out)
               for r in lots]
    return lookups + [recall_lookup(conn, schema, gtin=r["gtin"], serial=r["serial"], limit=ALL_CONSIGNEES)
                      for r in serials]


def consignees_of(read: ReadModels, lots: list[dict[str, str]],
                  serials: list[dict[str, str]] = ()) -> list[ConsigneeOut]:
    """Every consignee of the lots (kit lots made from them included) and serials, most units first; a consignee
    reached through several of them appears once, each lot counted once."""
    with read.pool.connection() as conn:
        return merged_consignees(lookups_of(conn, read.schema, lots, serials))


def merged_consignees(lookups: list[RecallLookup]) -> list[ConsigneeOut]:
    # A hospital supplied directly and through a distributor has a row for each path: they are kept apart.
    merged: dict[RowKey, ConsigneeOut] = {}
    for found in lookups:
        for c in found.consignees:
            key = (c.consignee_id, c.via_distributor.consignee_id if c.via_distributor else None)
            merged[key] = c if key not in merged else _combined(merged[key], c)
    return sorted(merged.values(), key=lambda c: (-c.quantity_shipped, c.name or "", str(c.consignee_id),
                                                  str(c.via_distributor.consignee_id) if c.via_distributor else ""))


def _combined(a: ConsigneeOut, b: ConsigneeOut) -> ConsigneeOut:
    """The same consignee (and path) reached from two lots in scope; a lot reached from both counts once."""
    lots = {(x.gtin, x.lot): x for x in a.affected_lots}
    new = [x for x in b.affected_lots if (x.gtin, x.lot) not in lots]
    if not new:
        return a
    part = Quantities(sum(x.quantity_shipped for x in new), sum(x.quantity_returned for x in new))
    shipments = {(s.shipment_id, s.gtin, s.lot): s for s in [*a.shipments, *b.shipments]}
    sell_outs = {(s.report_id, s.line_no): s for s in [*a.sell_outs, *b.sell_outs]}
    # Sold-on is not given per lot: b's counts only when none of b's lots was counted already.
    sold_on = a.quantity_sold_on + (b.quantity_sold_on if len(new) == len(b.affected_lots) else 0)
    outstanding = a.quantity_outstanding + part.outstanding
    return a.model_copy(update={
        "quantity_shipped": a.quantity_shipped + part.shipped, "quantity_returned": a.quantity_returned + part.returned,
        "quantity_outstanding": outstanding, "quantity_sold_on": sold_on,
        "quantity_in_stock": None if a.quantity_in_stock is None and b.quantity_in_stock is None
        else max(outstanding - sold_on, 0),
        "affected_lots": [*a.affected_lots, *new], "shipments": list(shipments.values()),
        "sell_outs": list(sell_outs.values())})


def direct_units(consignees: list[ConsigneeOut]) -> Quantities:
    """The units of the rows, each counted once: at its direct consignee (a hospital reached through a distributor
    holds units that are in the distributor's figures too)."""
    direct = [c for c in consignees if c.via_distributor is None]
    return Quantities(sum(c.quantity_shipped for c in direct), sum(c.quantity_returned for c in direct))
