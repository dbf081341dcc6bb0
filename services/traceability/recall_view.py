"""A recall case as the recall officer sees it: its consignees, live from the lineage, with each one's notice,
acknowledgement and returns from the case, the deadline status at a given time, and the effectiveness.

The consignee list is never stored in the case: it is the recall lookup of every lot and serial in scope,
so a shipment or sell-out report recorded after the decision adds its consignee at once. Lots taken out of the
scope by an approved reduction are left out (a kit lot made from one is still in scope unless taken out too).
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from psycopg import Connection
from pydantic import BaseModel

from services.traceability.domain.recall import Effectiveness, RecallCase, consignee_status
from services.traceability.domain.lineage import Quantities
from services.traceability.queries import (
    AffectedLot, ConsigneeOut, ConsigneeRef, RecallLookup, ShipmentOut, recall_lookup,
)
from shared.events.channel import Contact

LEVEL_NAMES = {"NMPA": {1: "一级", 2: "二级", 3: "三级"}, "FDA": {1: "Class I", 2: "Class II", 3: "Class III"}}
ALL_CONSIGNEES = 1_000_000  # the lookup pages; a case needs every consignee of every lot in scope

ConsigneeStatus = Literal["acknowledged", "notified", "notified_late", "overdue", "pending"]


class RecallConsignee(BaseModel):
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    contact: Contact | None
    via_distributor: ConsigneeRef | None  # a hospital reached through this distributor's sell-out reports
    status: ConsigneeStatus
    notified_at: datetime | None
    notification_method: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    quantity_sold_on: int  # a distributor: units it reported delivering to hospitals (they are listed themselves)
    quantity_in_stock: int | None  # a distributor: what it should still hold (outstanding minus sold on)
    units_to_recover: int  # what the consignee held when the recall began: still held now plus what came back
    units_recovered: int  # returned while the case was open
    affected_lots: list[AffectedLot]
    shipments: list[ShipmentOut]


class EffectivenessOut(BaseModel):
    consignees_to_notify: int
    consignees_notified: int
    consignees_acknowledged: int
    units_to_recover: int
    units_recovered: int
    notified_share: float
    acknowledged_share: float
    recovered_share: float


def effectiveness_out(e: Effectiveness) -> EffectivenessOut:
    return EffectivenessOut(**e.as_dict(), notified_share=e.share(e.consignees_notified, e.consignees_to_notify),
                            acknowledged_share=e.share(e.consignees_acknowledged, e.consignees_to_notify),
                            recovered_share=e.share(e.units_recovered, e.units_to_recover))


def lookups_of(conn: Connection, schema: str, lots: list[dict[str, str]], serials: list[dict[str, str]] = (),
               excluded: list[dict[str, str]] = ()) -> list[RecallLookup]:
    """The whole recall lookup of each lot (kit lots made from it included, `excluded` lots left out) and serial."""
    left_out = [(r["gtin"], r["lot"]) for r in excluded]
    lookups = [recall_lookup(conn, schema, gtin=r["gtin"], lot=r["lot"], limit=ALL_CONSIGNEES, excluded=left_out)
               for r in lots]
    return lookups + [recall_lookup(conn, schema, gtin=r["gtin"], serial=r["serial"], limit=ALL_CONSIGNEES)
                      for r in serials]


def scope_lookups(conn: Connection, schema: str, case: RecallCase) -> list[RecallLookup]:
    """The lookups of a case's scope as it stands: its lots and kit lots and serials, less what was taken out."""
    return lookups_of(conn, schema, case.scope_lots, case.scope_serials, case.removed_lots)


def consignees_of(conn: Connection, schema: str, lots: list[dict[str, str]],
                  serials: list[dict[str, str]] = (), excluded: list[dict[str, str]] = ()) -> list[ConsigneeOut]:
    """Every consignee of the lots (kit lots made from them included) and serials, most units first; a consignee
    reached through several of them appears once, each lot counted once."""
    return merged_consignees(lookups_of(conn, schema, lots, serials, excluded))


def merged_consignees(lookups: list[RecallLookup]) -> list[ConsigneeOut]:
    # A hospital supplied directly and through a distributor has a row for each path: they are kept apart.
    merged: dict[tuple[UUID, UUID | None], ConsigneeOut] = {}
    for found in lookups:
        for c in found.consignees:
            key = (c.consignee_id, c.via_distributor.consignee_id if c.via_distributor else None)
            merged[key] = c if key not in merged else _combined(merged[key], c)
    return sorted(merged.values(), key=lambda c: (-c.quantity_shipped, c.name or "", str(c.consignee_id),
                                                  str(c.via_distributor.consignee_id) if c.via_distributor else ""))


def recall_consignees(conn: Connection, schema: str, case: RecallCase, at: datetime) -> list[RecallConsignee]:
    """Every consignee of every lot and serial in scope, with its notice, acknowledgement and returns."""
    return case_consignees(scope_lookups(conn, schema, case), case, at)


def case_consignees(lookups: list[RecallLookup], case: RecallCase, at: datetime) -> list[RecallConsignee]:
    """The consignees of the case's scope lookups, with its notices, acknowledgements and returns."""
    return [_with_case(c, case, at) for c in merged_consignees(lookups)]


def effectiveness(case: RecallCase, consignees: list[RecallConsignee]) -> Effectiveness:
    # Notices go to a consignee once, however many paths reached it.
    unique = {c.consignee_id: c for c in consignees}.values()
    return Effectiveness(
        consignees_to_notify=len(unique),
        consignees_notified=sum(c.notified_at is not None for c in unique),
        consignees_acknowledged=sum(c.acknowledged_at is not None for c in unique),
        units_to_recover=sum(c.units_to_recover for c in consignees),
        units_recovered=sum(c.units_recovered for c in consignees),
    )


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


def _with_case(c: ConsigneeOut, case: RecallCase, at: datetime) -> RecallConsignee:
    notice = case.notified.get(str(c.consignee_id), {})
    ack = case.acknowledged.get(str(c.consignee_id), {})
    # Only the direct row of a consignee counts its returns (inventory takes returns from direct consignees);
    # a distributor is to recover what it still holds, the hospitals it sold to their own units.
    recovered = case.units_returned_by(c.consignee_id) if c.via_distributor is None else 0
    held = c.quantity_in_stock if c.quantity_in_stock is not None else c.quantity_outstanding
    return RecallConsignee(
        consignee_id=c.consignee_id, kind=c.kind, name=c.name, region=c.region, contact=c.contact,
        via_distributor=c.via_distributor,
        status=consignee_status(case, c.consignee_id, at), notified_at=notice.get("notified_at"),
        notification_method=notice.get("method"), acknowledged_at=ack.get("acknowledged_at"),
        acknowledged_by=ack.get("by"), quantity_shipped=c.quantity_shipped, quantity_returned=c.quantity_returned,
        quantity_outstanding=c.quantity_outstanding, quantity_sold_on=c.quantity_sold_on,
        quantity_in_stock=c.quantity_in_stock, units_to_recover=max(held, 0) + recovered,
        units_recovered=recovered, affected_lots=c.affected_lots, shipments=c.shipments)
