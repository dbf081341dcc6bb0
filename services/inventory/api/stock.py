"""Stock over HTTP, as the read models show it (queries.py): what is on hand per lot and warehouse with its status,
serialised units and where they are, and what nears expiry. Changing stock: stock_control.py."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.inventory import queries
from services.inventory.api.common import Config, LotStatus, StockReader, today
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter()
SerialStatus = Literal["in_stock", "shipped", "returned", "scrapped"]


class StockRow(BaseModel):
    gtin: str
    item_name: str | None = Field(None, description="the item master's name")
    lot: str
    warehouse: str
    location: str | None = None
    expiry: date
    status: LotStatus = Field(description="quarantine until quality inspection; on_hold while quality holds the lot")
    near_expiry: bool = False
    on_hand: int
    allocated: int
    available: int = Field(description="what can still be reserved: 0 unless the status is available")


class SerialRow(BaseModel):
    gtin: str
    serial: str
    lot: str
    expiry: date
    status: SerialStatus
    warehouse: str | None
    shipment_id: UUID | None
    consignee_id: UUID | None
    updated_at: datetime


class NearExpiryRow(BaseModel):
    gtin: str
    lot: str
    warehouse: str
    location: str | None = None
    expiry: date
    days_left: int = Field(description="negative when already expired")
    status: LotStatus
    on_hand: int
    allocated: int
    near_expiry_threshold: int | None = Field(description="the tightest threshold reported (StockNearingExpiry)")


@router.get("/stock", operation_id="list_stock", tags=["inventory"])
def list_stock(read: Reads, _: StockReader, paging: Paging,
               gtin: Annotated[GTINInput | None, Query()] = None,
               lot: Annotated[LotInput | None, Query()] = None,
               warehouse: Annotated[str | None, Query(max_length=50)] = None,
               expiring_before: Annotated[date | None, Query()] = None,
               status_: Annotated[LotStatus | None, Query(alias="status")] = None) -> Page[StockRow]:
    where = queries.StockFilter(gtin, lot, warehouse, expiring_before, status_)
    return Page.of(StockRow, queries.stock(read, where, paging), paging)


@router.get("/stock/serials", operation_id="list_serials", tags=["inventory"])
def list_serials(read: Reads, _: StockReader, paging: Paging,
                 gtin: Annotated[GTINInput | None, Query()] = None,
                 lot: Annotated[LotInput | None, Query()] = None,
                 serial: Annotated[SerialInput | None, Query()] = None,
                 status_: Annotated[SerialStatus | None, Query(alias="status")] = None) -> Page[SerialRow]:
    """Each serialised unit and where it is: in stock (which warehouse), shipped (to whom), returned or scrapped."""
    return Page.of(SerialRow, queries.serials(read, queries.SerialFilter(gtin, lot, serial, status_), paging), paging)


@router.get("/stock/near-expiry", operation_id="list_near_expiry_stock", tags=["stock control"])
def list_near_expiry(read: Reads, config: Config, _: StockReader, paging: Paging,
                     within_days: Annotated[int | None, Query(ge=0, le=3650, description=(
                         "stock expiring within this many days (default: the widest threshold)"))] = None,
                     gtin: Annotated[GTINInput | None, Query()] = None,
                     warehouse: Annotated[str | None, Query(max_length=50)] = None) -> Page[NearExpiryRow]:
    """Stock on hand expiring within `within_days` days from today (UTC), earliest first, expired stock included."""
    within = within_days if within_days is not None else max(config.near_expiry_thresholds)
    return Page.of(NearExpiryRow, queries.near_expiry(read, today(), within, gtin, warehouse, paging), paging)
