"""Diversion (窜货) alerts: listed for the channel manager (open first), resolved with an outcome and a reason."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from services.channel import queries
from services.channel.application import ChannelUnitOfWork, diversion, parties
from services.channel.domain.diversion import DiversionAlert
from shared.domain.text import Reason
from shared.platform.access import permitted
from shared.platform.api import CallerScope, command_by, command_reason
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["diversion alerts"])
Work = Annotated[ChannelUnitOfWork, Depends(unit_of_work)]
AlertReader = permitted("diversion:read", scope="distributor")
ResolveCommand = command_by("diversion:resolve", scope="distributor")


class AlertRow(BaseModel):
    alert_id: UUID
    distributor_id: UUID
    distributor_name: str | None
    hospital_id: UUID
    hospital_name: str | None
    province: str = Field(description="the hospital's")
    report_id: UUID
    report_reference: str
    line_no: int
    gtin: str
    item_name: str | None
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    authorizations: list[str] = Field(description="the distributor's authorizations for the product that day, whose"
                                                  " territory the sale falls outside (empty: none for the product)")
    problem: str
    raised_at: datetime
    outcome: Literal["confirmed", "false_alarm"] | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    outcome: Literal["confirmed", "false_alarm"]
    reason: Reason = Field(description="what was found and done (a warning, a penalty, a rebate withheld…)")


class AlertOut(BaseModel):
    alert_id: UUID
    distributor_id: UUID
    hospital_id: UUID
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    authorizations: list[str]
    problem: str
    outcome: str | None
    version: int


def _out(alert: DiversionAlert) -> AlertOut:
    return AlertOut(alert_id=alert.id, distributor_id=alert.distributor_id, hospital_id=alert.hospital_id,
                    gtin=alert.gtin, lot=alert.lot, serials=alert.serials, quantity=alert.quantity,
                    sold_at=alert.sold_at, authorizations=alert.authorizations, problem=alert.problem,
                    outcome=alert.outcome, version=alert.version)


@router.get("/diversion-alerts", operation_id="list_diversion_alerts")
def list_diversion_alerts(read: Reads, access: AlertReader, paging: Paging,
                          status: Annotated[Literal["open", "resolved"] | None, Query()] = None,
                          distributor_id: Annotated[UUID | None, Query()] = None,
                          hospital_id: Annotated[UUID | None, Query()] = None,
                          serial: Annotated[str | None, Query(max_length=20)] = None,
                          ) -> Page[AlertRow]:
    """Sell-out lines no authorization of their distributor covered: open first, newest first, with the names of
    the distributor, the hospital and the item; `serial=` finds the alert naming a unit."""
    where = queries.AlertFilter(status=status, distributor_id=distributor_id, hospital_id=hospital_id, serial=serial)
    return Page.of(AlertRow, queries.diversion_alerts(read, where, access.scope, paging), paging)


@router.post("/diversion-alerts/{alert_id}/resolve", operation_id="resolve_diversion_alert")
def resolve_diversion_alert(alert_id: UUID, body: ResolveIn, meta: ResolveCommand, uow: Work,
                            scope: CallerScope) -> AlertOut:
    """Resolve an alert: diversion `confirmed` or a `false_alarm`, with a reason. The same outcome again records
    nothing; another outcome after it is refused (409)."""
    command_reason(body.reason, meta)
    alert = diversion.diversion_alert(uow, alert_id)
    distributor = parties.distributor(uow, alert.distributor_id)
    scope.require("Diversion alert", alert_id, distributors=[distributor.id], regions=[distributor.region])
    return _out(diversion.resolve_alert(diversion.ResolveAlert(alert_id=alert_id, outcome=body.outcome,
                                                               resolution=body.reason), uow))
