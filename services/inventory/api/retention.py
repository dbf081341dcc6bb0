"""The retention report: per lot, the first day its purchase and sales records may be archived (domain/retention.py;
implants never). Nothing is deleted by the application: archival is an export by operations (README, "Retention")."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.inventory import queries
from services.inventory.api.common import RetentionReader
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter()


class RetentionRow(BaseModel):
    gtin: str
    item_name: str | None
    lot: str
    lot_class: Literal["implant", "standard"] = Field(description="implant: the item master's tracking says so")
    expiry: date
    first_recorded: date = Field(description="the first day (China's) records were made of the lot")
    last_movement: date = Field(description="the last day (China's) a receipt, shipment, return, move, adjustment,"
                                            " kit or consignment record was made of the lot")
    archivable_from: date | None = Field(description="max(expiry + 2 years, last movement + 5 years); null for an"
                                                     " implant, whose records are kept for ever")


@router.get("/retention", operation_id="retention_report", tags=["retention"])
def retention_report(read: Reads, _: RetentionReader, paging: Paging,
                     before: Annotated[date | None, Query(description="only lots archivable on or before this day")] = None,
                     lot_class: Annotated[Literal["implant", "standard"] | None, Query()] = None,
                     gtin: Annotated[str | None, Query(min_length=14, max_length=14, pattern=r"^[0-9]{14}$")] = None,
                     ) -> Page[RetentionRow]:
    """What could be archived when, per lot and lot class, the earliest first; implants last (never). `before`
    lists what may be archived by that day — never an implant."""
    rows, total = queries.retention(read, queries.RetentionFilter(before=before, lot_class=lot_class, gtin=gtin), paging)
    for row in rows:
        row["gtin"] = row["gtin"].strip()
    return Page.of(RetentionRow, (rows, total), paging)
