"""The order desk's routes of the procurement platform connector (阳光采购, services/order/platforms/): what became of
the orders pulled from a platform (placed, or refused with the rule and the field), the platform's codes of our
hospitals and distributors, and placing a refused order again once its cause is fixed. Rules live in
services/order/platforms/desk.py and sync.py; the list's query in services/order/queries.py."""

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from services.order import queries
from services.order.application import OrderUnitOfWork
from services.order.platforms import desk
from shared.platform.access import forbidden, permitted
from shared.platform.api import CallerScope, command_by, command_reason
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import Page, Paging
from shared.platform.permissions import permissions_of
from shared.platform.service_state import Reads, State, unit_of_work

router = APIRouter(tags=["platform orders"])
Work = Annotated[OrderUnitOfWork, Depends(unit_of_work)]

# Mapping a code is master data (whose hospital is 医院编码 H330100001); placing again is the order desk's placing.
MapPartyCommand = command_by("hospital:update", scope="customer")
RetryCommand = command_by("order:place", scope="order")
PlatformOrderReader = permitted("order:read", scope="order")

PlatformName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$",
                                   description="the platform's short name (ORDER_PLATFORM_NAME), e.g. zj-yxcg")]
PlatformOrderId = Annotated[str, Path(min_length=1, max_length=200, description="the platform's 订单编号")]
PlatformStatus = Literal["placed", "refused"]


class PlatformOrderRow(BaseModel):
    platform: str
    platform_order_id: str = Field(description="the platform's 订单编号")
    status: PlatformStatus = Field(description="placed (order_id), or refused (rule, field, detail); an order the"
                                               " platform sent again is ignored, not listed twice")
    order_id: UUID | None = None
    rule: str | None = Field(None, description="refused: the rule that refused it")
    field: str | None = Field(None, description="refused: the field the rule names (the platform's, or the order's)")
    detail: str | None = None
    hospital_code: str | None = Field(None, description="the platform's 医院编码")
    hospital_id: UUID | None = Field(None, description="ours: the order's, else the one the code is mapped to")
    hospital_name: str | None = Field(None, description="as the channel registered it, where known")
    platform_hospital_name: str | None = Field(None, description="as the platform names it")
    distributor_code: str | None = None
    distributor_id: UUID | None = None
    recorded_at: datetime


@router.get("/platform-orders", operation_id="list_platform_orders")
def list_platform_orders(read: Reads, access: PlatformOrderReader, paging: Paging,
                         platform: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
                         status_: Annotated[PlatformStatus | None, Query(alias="status")] = None,
                         ) -> Page[PlatformOrderRow]:
    """The orders pulled from procurement platforms and what became of each, the newest first: the desk's worklist
    of refusals is `?status=refused`."""
    desk.ledger_of(read.pool, read.schema)  # its tables, should the platform process not have run yet
    return Page.of(PlatformOrderRow, queries.platform_orders(read, platform, status_, access.scope, paging), paging)


class PartyMappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    party_id: UUID = Field(description="the hospital or distributor registered here")
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class PartyMappingOut(BaseModel):
    platform: str
    kind: str
    code: str
    party_id: UUID
    party_name: str


@router.put("/platform-parties/{platform}/{kind}/{code}", operation_id="map_platform_party")
def map_platform_party(platform: PlatformName, kind: Annotated[str, Path(max_length=40)],
                       code: Annotated[str, Path(min_length=1, max_length=100)], body: PartyMappingIn,
                       meta: MapPartyCommand, principal: CurrentPrincipal, read: Reads, uow: Work,
                       scope: CallerScope) -> PartyMappingOut:
    """Map a platform's code of a hospital (医院编码) or distributor (配送企业编码) to the party registered here, with a
    reason: the platform's orders naming it are placed for that party from now on (a refused one: retry it). A
    distributor's code needs `distributor:update` besides."""
    reason = command_reason(body.reason, meta)
    if kind == "distributor" and "distributor:update" not in permissions_of(principal.roles):
        raise forbidden(principal, "distributor:update")
    party = desk.map_party(desk.ledger_of(read.pool, read.schema), uow.price_facts, scope, platform, kind, code,
                           body.party_id, replace(meta, reason=reason))
    return PartyMappingOut(platform=platform, kind=kind, code=code, party_id=body.party_id, party_name=party.name)


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


@router.post("/platform-orders/{platform}/{platform_order_id}/retry", operation_id="retry_platform_order")
def retry_platform_order(platform: PlatformName, platform_order_id: PlatformOrderId, body: RetryIn,
                         meta: RetryCommand, state: State, read: Reads, scope: CallerScope) -> PlatformOrderRow:
    """Place a refused platform order again, with a reason, once what refused it is fixed (its code mapped, a
    licence recorded): the same rules as the platform's pull, the desk as the actor. Placed, its 确认配送关系 is
    queued for the platform; refused again, the answer names the rule of now. One already placed answers as it
    is, with its order."""
    reason = command_reason(body.reason, meta)
    ledger = desk.ledger_of(read.pool, read.schema)
    # The order's events carry the desk's name and reason (the body's, or the X-Reason header's).
    desk.retry(platform, platform_order_id, ledger, lambda: unit_of_work(state), scope, replace(meta, reason=reason))
    record = ledger.order(platform, platform_order_id)  # as recorded now (placed, or refused by the rule of now)
    assert record is not None and record.recorded_at is not None  # desk.retry found it
    hospital_id = record.hospital_code and ledger.party_for(platform, "hospital", record.hospital_code)
    return PlatformOrderRow(
        platform=platform, platform_order_id=record.platform_order_id, status=record.status,
        order_id=record.order_id, rule=record.rule, field=record.field, detail=record.detail,
        hospital_code=record.hospital_code, hospital_id=hospital_id or None,
        platform_hospital_name=(record.order or {}).get("hospital_name"),
        distributor_code=(record.order or {}).get("distributor_code"), recorded_at=record.recorded_at)
