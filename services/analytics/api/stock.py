"""Inventory health (库存健康度): units and value on hand by status, near expiry at each threshold, written off
expired; per item, days of inventory, turnover and slow movers; the lots behind any figure (domain/stock.py says
what each is). Company data: the permission `inventory-health:read` is staff's only."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.analytics import queries
from services.analytics.domain.stock import NEAR_EXPIRY_DEFAULT, days_of_inventory, turnover
from shared.domain.business_day import CHINA
from shared.platform.access import COMPANY, permitted
from shared.platform.paging import Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["inventory health"])
HealthReader = permitted("inventory-health:read", scope=COMPANY)
Status = Literal["available", "quarantine", "on_hold", "rejected", "expired"]
STATUSES: tuple[Status, ...] = ("available", "quarantine", "on_hold", "rejected", "expired")
Day = Annotated[date | None, Query(description="the day the report is as of (default: today in China)")]


def _today() -> date:
    return datetime.now(CHINA).date()


class Figure(BaseModel):
    units: int
    value: Decimal | None = Field(description="at the items' average net invoiced unit price; None: none invoiced")


class NearExpiry(Figure):
    days: int = Field(description="expiring within this many days (not expired yet)")


class StockHealth(BaseModel):
    as_of: date
    by_status: dict[Status, Figure]
    unvalued_units: int = Field(description="units of items never invoiced, so without a value")
    near_expiry: list[NearExpiry]
    written_off_expired: Figure = Field(description="since `since`: units of lots past expiry taken out of stock")
    since: date


@router.get("/inventory/health", operation_id="inventory_health")
def inventory_health(read: Reads, access: HealthReader, as_of: Day = None,
                     near_expiry: Annotated[list[int] | None, Query(max_length=6, description="thresholds in days"
                                                                    " (default 30, 90, 180)")] = None,
                     since: Annotated[date | None, Query(description="written off from this day (default: a year"
                                                                     " before as_of)")] = None) -> StockHealth:
    """The warehouse's health on a day, in units and value."""
    day = as_of or _today()
    thresholds = sorted({max(0, min(days, 3650)) for days in (near_expiry or NEAR_EXPIRY_DEFAULT)})
    start = since or day - timedelta(days=365)
    found = queries.stock_health(read, day, thresholds, start)
    statuses = {row["status"]: row for row in found["by_status"]}
    return StockHealth(
        as_of=day, since=start,
        by_status={s: Figure(units=statuses[s]["units"] if s in statuses else 0,
                             value=statuses[s]["value"] if s in statuses else None) for s in STATUSES},
        unvalued_units=sum(int(row["unvalued"] or 0) for row in found["by_status"]),
        near_expiry=[NearExpiry(days=row["days"], units=row["units"], value=row["value"])
                     for row in found["near_expiry"]],
        written_off_expired=Figure(**found["written_off_expired"]))


class ItemHealth(BaseModel):
    gtin: str
    item_name: str | None
    on_hand: int
    available: int
    near_expiry: int = Field(description="expiring within `near_expiry` days")
    expired: int
    shipped_90: int = Field(description="units shipped in the 90 days to as_of")
    shipped_365: int
    last_shipped_on: date | None
    days_of_inventory: Decimal | None = Field(description="on hand over the 90 days' average daily shipments")
    turnover: Decimal | None = Field(description="a year's shipments over on hand")
    slow_mover: bool = Field(description="on hand, nothing shipped in 90 days")
    value: Decimal | None


class ItemHealthPage(BaseModel):
    as_of: date
    items: list[ItemHealth]
    total: int
    limit: int
    offset: int


@router.get("/inventory/health/items", operation_id="inventory_health_items")
def inventory_health_items(read: Reads, access: HealthReader, paging: Paging, as_of: Day = None,
                           near_expiry: Annotated[int, Query(ge=0, le=3650)] = 90,
                           slow: Annotated[bool, Query(description="only slow movers")] = False,
                           gtin: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None) -> ItemHealthPage:
    """Per item, largest stock first."""
    day = as_of or _today()
    rows, total = queries.stock_items(read, day, near_expiry, slow, gtin, paging)
    return ItemHealthPage(as_of=day, total=total, limit=paging.limit, offset=paging.offset, items=[ItemHealth(
        **{k: v for k, v in row.items() if k != "total"},
        days_of_inventory=days_of_inventory(row["on_hand"], row["shipped_90"]),
        turnover=turnover(row["shipped_365"], row["on_hand"]),
        slow_mover=row["on_hand"] > 0 and row["shipped_90"] == 0) for row in rows])


class LotHealth(BaseModel):
    gtin: str
    item_name: str | None
    lot: str
    warehouse: str
    expiry: date
    days_left: int
    on_hand: int
    status: Status


class LotHealthPage(BaseModel):
    items: list[LotHealth]
    total: int
    limit: int
    offset: int


@router.get("/inventory/health/lots", operation_id="inventory_health_lots")
def inventory_health_lots(read: Reads, access: HealthReader, paging: Paging, as_of: Day = None,
                          gtin: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None, status: Status | None = None,
                          expiring_within: Annotated[int | None, Query(ge=0, le=3650)] = None) -> LotHealthPage:
    """The lots behind a figure, earliest expiry first."""
    rows, total = queries.stock_lots(read, as_of or _today(), gtin, status, expiring_within, paging)
    return LotHealthPage(items=[LotHealth(**row) for row in rows], total=total, limit=paging.limit,
                         offset=paging.offset)
