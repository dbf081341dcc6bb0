"""Traceability HTTP API: which consignees received a lot, and how many units."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from services.traceability.domain.exposure import ShipmentExposure, group_by_consignee
from shared.domain.gtin import GTINInput
from shared.platform.auth import CurrentPrincipal

router = APIRouter(tags=["recalls"])


class ShipmentOut(BaseModel):
    shipment_id: UUID
    order_id: UUID
    quantity: int
    dispatched_at: datetime
    carrier: str
    tracking_number: str


class ConsigneeOut(BaseModel):
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    quantity_shipped: int
    shipments: list[ShipmentOut]


class RecallLookup(BaseModel):
    gtin: str
    lot: str
    expiry: date | None
    quantity_shipped: int
    consignees: list[ConsigneeOut]


@router.get("/recalls/lookup", operation_id="recall_lookup")
def recall_lookup(request: Request, _: CurrentPrincipal,
                  gtin: Annotated[GTINInput, Query()],
                  lot: Annotated[str, Query(min_length=1, max_length=20, description="lot number, AI (10)")]) -> RecallLookup:
    schema = request.app.state.schema
    with request.app.state.pool.connection() as conn:
        rows = conn.execute(
            f"SELECT s.*, c.kind, c.name, c.region FROM {schema}.shipped_lots s"
            f" LEFT JOIN {schema}.consignees c ON c.consignee_id = s.consignee_id"
            " WHERE s.gtin = %s AND s.lot = %s ORDER BY s.dispatched_at",
            (gtin, lot),
        ).fetchall()
    grouped = group_by_consignee([
        (r["consignee_id"], r["kind"] or "hospital", r["name"], r["region"],
         ShipmentExposure(r["shipment_id"], r["order_id"], r["quantity"], r["dispatched_at"], r["carrier"],
                          r["tracking_number"]))
        for r in rows
    ])
    consignees = [
        ConsigneeOut(consignee_id=c.consignee_id, kind=c.kind, name=c.name, region=c.region,
                     quantity_shipped=c.quantity_shipped, shipments=[ShipmentOut(**vars(s)) for s in c.shipments])
        for c in grouped
    ]
    return RecallLookup(gtin=gtin, lot=lot, expiry=rows[0]["expiry"] if rows else None,
                        quantity_shipped=sum(c.quantity_shipped for c in consignees), consignees=consignees)
