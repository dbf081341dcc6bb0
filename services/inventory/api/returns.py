"""Returns (RMA) over HTTP: record a return against a shipment, and list returned lines for analytics. Handler:
application/returns.py; reads: queries.py."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.inventory import queries
from services.inventory.api.common import Disposition, ReturnCommand, ReturnReader, ReturnReason, WarehouseCode, Work
from services.inventory.application import returns
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Note
from services.inventory.application import outbound
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.problems import invalid_field
from shared.platform.service_state import Reads

router = APIRouter(tags=["outbound", "returns"])


class ReturnLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    quantity: int = Field(gt=0, le=1_000_000)
    serials: list[SerialInput] | None = Field(None, max_length=10_000)

    @field_validator("serials")
    @classmethod
    def _one_per_unit(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is not None and ("quantity" in info.data and len(value) != info.data["quantity"]
                                  or len(set(value)) != len(value)):
            raise ValueError("one unique serial number per returned unit")
        return value


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    order_id: UUID
    shipment_id: UUID
    reason: ReturnReason
    disposition: Disposition = Field(description="restock: into quarantine to be inspected and restocked;"
                                                 " quarantine: kept in quarantine; scrap: destroyed")
    warehouse: WarehouseCode = Field(description="where the goods come back to (quarantine there)")
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    note: Note | None = Field(None, description="required when the reason is other")
    credit: bool = Field(True, description="the customer is credited: billing issues a credit note (红字) for the"
                                           " goods on the shipment's invoice; false for goods that come back"
                                           " without credit")


class ReturnOut(BaseModel):
    return_id: UUID
    order_id: UUID
    shipment_id: UUID
    reason: str
    disposition: str
    warehouse: str
    lines: list[dict]
    note: str | None
    credit: bool = True


class ReturnRow(BaseModel):
    return_id: UUID
    line_no: int
    order_id: UUID
    shipment_id: UUID
    hospital_id: UUID
    gtin: str
    lot: str
    expiry: date
    quantity: int
    reason: str
    disposition: str
    warehouse: str
    note: str | None
    returned_at: datetime
    actor: str


@router.post("/returns", status_code=status.HTTP_201_CREATED, operation_id="record_return", responses=REPLAYED)
def record_return(body: ReturnIn, response: Response, meta: ReturnCommand, uow: Work, read: Reads, scope: CallerScope,
                  idempotency_key: IdempotencyKey = None) -> ReturnOut:
    """A return against a shipment; its stock comes back into quarantine (restock, quarantine) or is scrapped."""
    if body.reason == "other" and not body.note:
        raise invalid_field("note", "note-required", "a return for reason other needs a note")
    if not scope.everything:
        shipped = outbound.fulfilment(uow, body.order_id)
        provinces = [queries.hospital_province(read, shipped.ship_to_hospital_id)] if scope.regions else []
        scope.require("Order", body.order_id, hospitals=[shipped.ship_to_hospital_id],
                      distributors=[shipped.ship_to_distributor_id], regions=provinces)
    return_id = new_aggregate_id("return", meta.actor, idempotency_key)
    fulfilment, created = returns.record_return(returns.RecordReturn(
        return_id=return_id, order_id=body.order_id, shipment_id=body.shipment_id, reason=body.reason,
        disposition=body.disposition, warehouse=body.warehouse, lines=tuple(line.model_dump() for line in body.lines),
        note=body.note, credit=body.credit), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    recorded = next(r for r in fulfilment.returns if str(r["return_id"]) == str(return_id))
    return ReturnOut(order_id=fulfilment.order_id, **recorded)


@router.get("/returns", operation_id="list_returns")
def list_returns(read: Reads, access: ReturnReader, paging: Paging,
                 reason: Annotated[ReturnReason | None, Query()] = None,
                 gtin: Annotated[GTINInput | None, Query()] = None,
                 lot: Annotated[LotInput | None, Query()] = None,
                 disposition: Annotated[Disposition | None, Query()] = None) -> Page[ReturnRow]:
    """Returned lines for analytics, newest first, filtered by reason, GTIN, lot, disposition."""
    where = queries.ReturnFilter(reason, gtin, lot, disposition)
    return Page.of(ReturnRow, queries.returns(read, where, access.scope, paging), paging)
