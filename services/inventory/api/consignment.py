"""Consignment (寄售) and loaner sets (跟台): the stock at each consignment location, and usage reports (the UDI
scans of the units used, which become an invoiced sales order). Replenishing is a consignment order; sending a set a
loaner order (the order service); the rest of a set comes back as a return (POST /returns)."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from services.inventory.api.common import StockReader, Work
from services.inventory.api.fulfilments import parse_scans
from services.inventory import queries
from services.inventory.application import consignment
from shared.domain.consignment import consumption_order_id
from shared.domain.gtin import GTINInput
from shared.domain.text import single_line
from shared.platform.access import COMPANY
from shared.platform.idempotency import new_aggregate_id
from shared.platform.api import IdempotencyKey, command_by
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["consignment"])
UsageCommand = command_by("consignment:report-usage", scope=COMPANY)


class UsageReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    consignee_id: UUID | None = Field(None, description="standing consignment stock at this hospital or distributor")
    loaner_order_id: UUID | None = Field(None, description="or: the loaner order whose set the units came with")
    scans: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=500, description="the GS1 UDI of each unit used, as scanned")
    used_on: date
    reference: single_line(200, "the operation (手术) or usage record, e.g. the surgery number")  # type: ignore[valid-type]


class UsageOut(BaseModel):
    usage_id: UUID
    sales_order_id: UUID = Field(description="the sales order the order service makes of the units used (invoiced)")
    location_id: UUID
    used: list[dict] = Field(description="per lot: quantity, serials and the order that consigned it")
    units_left: int


class ConsignmentRow(BaseModel):
    location_id: UUID
    kind: str
    consignee_id: UUID
    hospital_id: UUID
    loaner_order_id: UUID | None
    gtin: str
    lot: str
    expiry: date
    quantity: int
    serials: list[str]


@router.post("/consignments/usage-reports", status_code=status.HTTP_201_CREATED, operation_id="report_usage")
def report_usage(body: UsageReportIn, meta: UsageCommand, uow: Work,
                 idempotency_key: IdempotencyKey = None) -> UsageOut:
    """Report the units used from consignment stock or a loaner set, by their UDI scans: they leave the location
    (all or none: 409 naming a unit that is not there) and the order service turns them into a sales order at the
    prices they were consigned at, which billing invoices. A retry with the same Idempotency-Key records nothing."""
    usage_id = new_aggregate_id("usage", meta.actor, idempotency_key)
    location, used = consignment.report_usage(consignment.ReportUsage(
        usage_id=usage_id, consignee_id=body.consignee_id, loaner_order_id=body.loaner_order_id,
        scans=parse_scans(body.scans), used_on=body.used_on, reference=body.reference), uow)
    return UsageOut(usage_id=usage_id, sales_order_id=consumption_order_id(usage_id), location_id=location.id,
                    used=used, units_left=location.units)


@router.get("/consignment-stock", operation_id="list_consignment_stock")
def list_consignment_stock(read: Reads, _: StockReader, paging: Paging,
                           consignee_id: Annotated[UUID | None, Query()] = None,
                           loaner_order_id: Annotated[UUID | None, Query()] = None,
                           gtin: Annotated[GTINInput | None, Query()] = None) -> Page[ConsignmentRow]:
    """The manufacturer's goods at consignment locations, per lot with expiry and serials."""
    found = queries.consignment_stock(read, consignee_id, loaner_order_id, gtin, paging)
    return Page.of(ConsignmentRow, found, paging)
