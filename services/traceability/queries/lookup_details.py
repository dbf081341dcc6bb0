"""Step four of the recall lookup, put together: for the consignee rows of one page only (the lookup's statement
read their details, lookup.py), what each got — the lots (with their paths), a direct consignee's shipments, a
distributor's units sold on, and for a hospital reached through a distributor the sell-out lines that say so."""

from datetime import date

from services.traceability.domain.lineage import Quantities
from services.traceability.queries.answers import (
    AffectedLot, ConsigneeOut, Lot, LotRef, RowKey, SellOutOut, ShipmentOut, affected_lot, consignee, sell_out,
    shipment, sorted_lots,
)


def rows_of(found: dict, via: dict[Lot, list[LotRef]], expiry_of: dict[Lot, date | None]) -> list[ConsigneeOut]:
    """The page's rows (`found["page"]`, in the page's order) with their details (the statement's other parts)."""
    page = found["page"] or []
    per_lot: dict[RowKey, list[AffectedLot]] = {(r["consignee_id"], r["via"]): [] for r in page}
    shipments: dict[str, list[ShipmentOut]] = {r["consignee_id"]: [] for r in page if r["via"] is None}
    for r in found["direct_lots"] or ():
        key = (r["gtin"], r["lot"])
        per_lot[(r["consignee_id"], None)].append(
            affected_lot(key, via[key], r["expiry"], Quantities(r["quantity_shipped"], r["quantity_returned"])))
    for r in found["shipments"] or ():
        shipments[r["consignee_id"]].append(shipment(r, r["quantity"]))
    sold_by = {r["distributor_id"]: r["sold"] for r in found["sold_on"] or ()}
    sell_outs: dict[RowKey, list[SellOutOut]] = {(r["consignee_id"], r["via"]): []
                                                 for r in page if r["via"] is not None}
    for r in found["reached_lots"] or ():
        key = (r["gtin"], r["lot"])
        per_lot[(r["hospital_id"], r["distributor_id"])].append(
            affected_lot(key, via[key], expiry_of[key], Quantities(r["quantity"], 0)))
    for r in found["sell_outs"] or ():
        sell_outs[(r["hospital_id"], r["distributor_id"])].append(sell_out(r, r["quantity"]))
    rows = []
    for r in page:
        key, q = (r["consignee_id"], r["via"]), Quantities(r["shipped"], r["returned"])
        if r["via"] is None:
            rows.append(consignee(r, q, sorted_lots(per_lot[key]), shipments[r["consignee_id"]],
                                  sold_on=sold_by.get(r["consignee_id"])))
        else:
            rows.append(consignee(r, q, sorted_lots(per_lot[key]), [], sell_outs=sell_outs[key]))
    return rows
