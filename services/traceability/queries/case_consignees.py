"""A recall case as the recall officer sees it: its consignees, live from the lineage, with each one's notice,
acknowledgement and returns from the case, and the deadline status at a given time.

The consignee list is never stored in the case: it is the recall lookup of every lot and serial in scope,
so a shipment or sell-out report recorded after the decision adds its consignee at once. Lots taken out of the
scope by an approved reduction are left out (a kit lot made from one is still in scope unless taken out too).
"""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.traceability.domain.deadlines import ConsigneeStatus, consignee_status
from services.traceability.domain.recall import RecallCase
from services.traceability.queries.answers import AffectedLot, ConsigneeOut, ConsigneeRef, RecallLookup, ShipmentOut
from services.traceability.queries.merged import lookups_of, merged_consignees
from shared.events.channel import Contact
from shared.platform.read_models import ReadModels


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


def scope_lookups(read: ReadModels, case: RecallCase) -> list[RecallLookup]:
    """The lookups of a case's scope as it stands: its lots and kit lots and serials, less what was taken out."""
    with read.pool.connection() as conn:
        return lookups_of(conn, read.schema, case.scope_lots, case.scope_serials, case.removed_lots)


def recall_consignees(read: ReadModels, case: RecallCase, at: datetime) -> list[RecallConsignee]:
    """Every consignee of every lot and serial in scope, with its notice, acknowledgement and returns."""
    return case_consignees(scope_lookups(read, case), case, at)


def case_consignees(lookups: list[RecallLookup], case: RecallCase, at: datetime) -> list[RecallConsignee]:
    """The consignees of the case's scope lookups, with its notices, acknowledgements and returns."""
    return [_with_case(c, case, at) for c in merged_consignees(lookups)]


def overdue(read: ReadModels, at: datetime, case_of: Callable[[UUID], RecallCase | None],
            ) -> list[tuple[RecallCase, RecallConsignee]]:
    """The consignees of open recalls not notified by their deadline, as of `at`: the officer's to-do list.
    `case_of` reads a case from the event store (the list knows which cases are due, the case who was told)."""
    due = read.all("SELECT recall_id FROM {schema}.recall_cases WHERE status = 'open' AND notify_by < %s"
                   " ORDER BY notify_by, recall_id", (at,))
    found = []
    for row in due:
        case = case_of(row["recall_id"])
        if case is not None:
            found += [(case, c) for c in recall_consignees(read, case, at) if c.status == "overdue"]
    return found


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
