"""Sales figures (domain/sales.py: invoiced, net of credit notes), grouped by region, city, channel, distributor,
hospital, hospital grade, product, product group or month; the rows behind any figure; both as CSV or xlsx. Every
answer is narrowed to the caller's data: a distributor sees what went through it, a hospital what was billed to it, a
regional manager their provinces."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.analytics import queries
from services.analytics.domain.sales import Channel, Group, report_period
from shared.domain.business_day import CHINA
from shared.platform.access import permitted
from shared.platform.paging import PageRequest, Paging
from shared.platform.service_state import Reads
from shared.platform.tabular import CSV, XLSX, csv_bytes, xlsx_bytes

router = APIRouter(tags=["sales"])
SalesReader = permitted("analytics:read", scope="sales")


def sales_filter(
    start: Annotated[date | None, Query(alias="from", description="first day (default: the first day of the month"
                                                                  " eleven months before `to`)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day (default: today in China)")] = None,
    region: Annotated[str | None, Query(max_length=100, description="the hospital's province")] = None,
    channel: Channel | None = None,
    distributor_id: UUID | None = None,
    hospital_id: UUID | None = None,
    gtin: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None,
) -> queries.SalesFilter:
    first, last = report_period(start, end, datetime.now(CHINA).date())
    return queries.SalesFilter(start=first, end=last, region=region, channel=channel, distributor_id=distributor_id,
                               hospital_id=hospital_id, gtin=gtin)


Filter = Annotated[queries.SalesFilter, Depends(sales_filter)]


class SalesGroup(BaseModel):
    key: str = Field(description="the province, city, channel, distributor id, hospital id, grade, GTIN, product"
                                 " group or month (YYYY-MM); empty: none (direct sales have no distributor, a 票折"
                                 " discount no product)")
    name: str | None = Field(description="the distributor's, hospital's or product's name, for those groups")
    amount: Decimal = Field(description="tax-inclusive (含税)")
    net_amount: Decimal
    units: int
    lines: int = Field(description="invoice lines counted (credit notes and discounts are not lines sold)")


class SalesReport(BaseModel):
    group: Group
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    currency: str
    items: list[SalesGroup]
    total: int = Field(description="groups in all")
    limit: int
    offset: int
    amount: Decimal = Field(description="all groups together")
    net_amount: Decimal
    units: int


@router.get("/sales", operation_id="sales_report", response_model_by_alias=True)
def sales_report(read: Reads, access: SalesReader, where: Filter, paging: Paging,
                 group: Group = "region") -> SalesReport:
    """Sales grouped, largest first (months in order), with the sums of every group."""
    rows, total, sums = queries.sales_by(read, group, where, access.scope, paging)
    return SalesReport(group=group, start=where.start, end=where.end, currency="CNY",
                       items=[SalesGroup(**row) for row in rows], total=total, limit=paging.limit,
                       offset=paging.offset, **sums)


class SalesLine(BaseModel):
    document_id: UUID = Field(description="the invoice or credit note")
    line_no: int
    kind: Literal["invoice", "credit_note", "discount"]
    on_date: date
    invoice_id: UUID
    order_id: UUID
    hospital_id: UUID
    hospital_name: str | None
    region: str | None
    city: str | None
    hospital_grade: str | None
    distributor_id: UUID | None
    distributor_name: str | None
    channel: Channel
    gtin: str | None
    item_name: str | None
    product_group: str | None
    lot: str | None
    units: int
    net_amount: Decimal
    amount: Decimal


class SalesLines(BaseModel):
    items: list[SalesLine]
    total: int
    limit: int
    offset: int


@router.get("/sales/lines", operation_id="sales_lines")
def sales_lines(read: Reads, access: SalesReader, where: Filter, paging: Paging, group: Group | None = None,
                key: Annotated[str | None, Query(max_length=100, description="a group's key from GET /sales")] = None,
                ) -> SalesLines:
    """The lines behind a figure: those of the group's key (with `group`), within the same filters."""
    rows, total = queries.sales_lines(read, group, key, where, access.scope, paging)
    return SalesLines(items=[SalesLine(**row) for row in rows], total=total, limit=paging.limit,
                      offset=paging.offset)


EXPORT_COLUMNS = {"zh-CN": ["分组", "名称", "含税金额", "不含税金额", "数量", "行数"],
                  "en": ["group", "name", "amount", "net amount", "units", "lines"]}


@router.get("/sales/export", operation_id="sales_export", response_class=Response, responses={
    200: {"content": {"text/csv": {}, XLSX: {}}, "description": "every group of the report"}})
def sales_export(read: Reads, access: SalesReader, where: Filter, group: Group = "region",
                 format: Literal["csv", "xlsx"] = "xlsx", lang: Literal["zh-CN", "en"] = "zh-CN") -> Response:
    """The whole report (every group, up to 10,000) as a file."""
    rows, _, _ = queries.sales_by(read, group, where, access.scope, PageRequest(limit=10_000, offset=0))
    table = [[r["key"], r["name"], r["amount"], r["net_amount"], r["units"], r["lines"]] for r in rows]
    name = f"sales-by-{group}-{where.start}-{where.end}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(csv_bytes(EXPORT_COLUMNS[lang], table), media_type=CSV, headers=headers)
    return Response(xlsx_bytes(f"sales by {group}", EXPORT_COLUMNS[lang], table), media_type=XLSX, headers=headers)
