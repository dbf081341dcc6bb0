"""Return reasons (退货原因): the units that came back grouped by reason, disposition, product, lot, hospital,
province or month, and the lines behind any figure; narrowed to the caller's data (a hospital's own returns, a
regional user's provinces)."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.analytics import queries
from services.analytics.domain.returns import ReturnGroup, ReturnReason
from services.analytics.domain.sales import report_period
from shared.domain.business_day import CHINA
from shared.platform.access import permitted
from shared.platform.paging import Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["returns"])
ReturnsReader = permitted("analytics:read", scope="hospital")


def returns_filter(
    start: Annotated[date | None, Query(alias="from", description="first day (default: the first day of the month"
                                                                  " eleven months before `to`)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day (default: today in China)")] = None,
    reason: ReturnReason | None = None,
    gtin: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None,
    hospital_id: UUID | None = None,
    region: Annotated[str | None, Query(max_length=100, description="the hospital's province")] = None,
) -> queries.ReturnsFilter:
    first, last = report_period(start, end, datetime.now(CHINA).date())
    return queries.ReturnsFilter(start=first, end=last, reason=reason, gtin=gtin, hospital_id=hospital_id,
                                 region=region)


Filter = Annotated[queries.ReturnsFilter, Depends(returns_filter)]


class ReturnGroupOut(BaseModel):
    key: str = Field(description="the reason, disposition, GTIN, 'GTIN lot', hospital id, province or month")
    name: str | None = Field(description="the product's or hospital's name, for those groups")
    units: int
    returns: int = Field(description="returns (RMAs) with units in the group")


class ReturnsReport(BaseModel):
    group: ReturnGroup
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    items: list[ReturnGroupOut]
    total: int
    limit: int
    offset: int
    units: int = Field(description="all groups together")


@router.get("/returns/reasons", operation_id="return_reasons", response_model_by_alias=True)
def return_reasons(read: Reads, access: ReturnsReader, where: Filter, paging: Paging,
                   group: ReturnGroup = "reason") -> ReturnsReport:
    """Returned units grouped, most first (months in order)."""
    rows, total, sums = queries.returns_by(read, group, where, access.scope, paging)
    return ReturnsReport(group=group, start=where.start, end=where.end, items=[ReturnGroupOut(**r) for r in rows],
                         total=total, limit=paging.limit, offset=paging.offset, **sums)


class ReturnLine(BaseModel):
    return_id: UUID
    line_no: int
    on_date: date
    order_id: UUID
    hospital_id: UUID
    hospital_name: str | None
    region: str | None
    reason: str
    disposition: str
    credited: bool
    gtin: str
    item_name: str | None
    lot: str
    expiry: date
    units: int


class ReturnLines(BaseModel):
    items: list[ReturnLine]
    total: int
    limit: int
    offset: int


@router.get("/returns/lines", operation_id="return_lines")
def return_lines(read: Reads, access: ReturnsReader, where: Filter, paging: Paging, group: ReturnGroup | None = None,
                 key: Annotated[str | None, Query(max_length=100, description="a group's key")] = None,
                 ) -> ReturnLines:
    """The returned lines behind a figure, newest first."""
    rows, total = queries.return_lines(read, group, key, where, access.scope, paging)
    return ReturnLines(items=[ReturnLine(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)
