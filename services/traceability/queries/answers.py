"""The recall lookup's answer, as the API returns it and the reports read it: per consignee row (a consignee reached
one way) its quantities, the lots it got and how (`via`), its shipments or the sell-out lines that say so."""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.traceability.domain.lineage import Quantities
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
    sell_outs: list[SellOutOut] = Field(default_factory=list,
                                        description="the sell-out lines of a `via_distributor` row")


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


Lot = tuple[str, str]  # (GTIN-14, lot)
RowKey = tuple[UUID, UUID | None]  # (consignee, the distributor it was reached through; None: direct)


def affected_lot(key: Lot, via: list[LotRef], expiry: date | None, q: Quantities) -> AffectedLot:
    return AffectedLot(gtin=key[0], lot=key[1], expiry=expiry, via=via, quantity_shipped=q.shipped,
                       quantity_returned=q.returned, quantity_outstanding=q.outstanding)


def sorted_lots(lots: list[AffectedLot]) -> list[AffectedLot]:
    """Queried lots first, then kit lots by how far they are from them."""
    return sorted(lots, key=lambda a: (len(a.via), a.gtin, a.lot))


def total_of(lots: list[AffectedLot]) -> Quantities:
    return sum((Quantities(a.quantity_shipped, a.quantity_returned) for a in lots), Quantities())


def shipment(r: dict, quantity: int) -> ShipmentOut:
    return ShipmentOut(shipment_id=r["shipment_id"], order_id=r["order_id"], quantity=quantity,
                       dispatched_at=r["dispatched_at"], carrier=r["carrier"], tracking_number=r["tracking_number"],
                       gtin=r["gtin"], lot=r["lot"])


def sell_out(r: dict, quantity: int) -> SellOutOut:
    return SellOutOut(report_id=r["report_id"], report_reference=r["report_reference"], line_no=r["line_no"],
                      sold_at=r["sold_at"], gtin=r["gtin"], lot=r["lot"], quantity=quantity,
                      over_reported=r["over_reported"])


def consignee(r: dict, q: Quantities, lots: list[AffectedLot], shipments: list[ShipmentOut], *,
              sold_on: int | None = None, sell_outs: list[SellOutOut] | None = None) -> ConsigneeOut:
    """A direct row (`r["via"]` absent or None) or a hospital reached through the distributor `r["via"]`."""
    via = r.get("via")
    distributor = via is None and r["kind"] == "distributor"
    return ConsigneeOut(
        consignee_id=r["consignee_id"], kind="hospital" if via is not None else r["kind"] or "hospital",
        name=r["name"], region=r["region"], contact=r.get("contact"),
        via_distributor=ConsigneeRef(consignee_id=via, name=r["via_name"]) if via is not None else None,
        quantity_shipped=q.shipped, quantity_returned=q.returned, quantity_outstanding=q.outstanding,
        quantity_sold_on=sold_on or 0,
        quantity_in_stock=max(0, q.outstanding - (sold_on or 0)) if distributor else None,
        affected_lots=lots, shipments=shipments, sell_outs=sell_outs or [])
