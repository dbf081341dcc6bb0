"""Distributors' performance (经销商绩效): where each stands in the channel (level and parent), its targets, and the
scorecard of a period — sell-in, sell-out, sell-through rate, target attainment, estimated channel inventory and days
of inventory, sell-out reporting timeliness, diversion alerts — for one distributor or ranked across them."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from services.channel import queries
from services.channel.api.models import DistributorOut, distributor_out
from services.channel.application import ChannelUnitOfWork, parties
from services.channel.domain.rebate_programmes import period_bounds
from shared.domain.business_day import CHINA
from shared.platform.access import permitted
from shared.platform.api import CallerScope, command_by
from shared.platform.paging import Page, PageRequest, Paging
from shared.platform.problems import invalid_field
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["scorecards"])
Work = Annotated[ChannelUnitOfWork, Depends(unit_of_work)]
PlaceCommand = command_by("distributor:update", scope="distributor")
TargetCommand = command_by("rebate:manage", scope="distributor")
ScorecardReader = permitted("rebate:read-own", scope="distributor")

SELLOUT_DUE_DAYS = 10  # a period's sell-out (流向) report is due within 10 days of its end: later is late
PeriodText = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", description="2026-11 or 2026-Q4")]
PeriodQuery = Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", description="2026-11 or 2026-Q4")]


class PlacementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["tier_1", "tier_2", "delivery"] = Field(description="一级经销商, 二级经销商 or 配送商")
    parent_distributor_id: UUID | None = Field(None, description="a tier-2's tier-1 supplier")


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2, description="sell-in, net of VAT")
    units: int | None = Field(None, ge=0, le=100_000_000)


class Scorecard(BaseModel):
    distributor_id: UUID
    distributor_name: str
    region: str
    tier: str
    level: str | None
    parent_distributor_id: UUID | None
    period: str
    sell_in_amount: Decimal = Field(description="invoiced to it in the period, net of VAT and of returns")
    sell_in_units: int
    sell_out_units: int = Field(description="reported sold on in the period (cleansed: matched hospitals, within"
                                            " what it received)")
    sell_through_rate: Decimal | None = Field(description="sell-out units / sell-in units")
    target_amount: Decimal | None
    target_units: int | None
    attainment: Decimal | None = Field(description="sell-in amount / target amount (else units / target units)")
    channel_inventory_units: int = Field(description="estimated: received to the period's end (net of returns) less"
                                                     " reported sold")
    days_of_inventory: Decimal | None = Field(description="channel inventory / the period's daily sell-out")
    sellout_reports: int = Field(description="reports for periods ending within this one")
    sellout_days_late: int | None = Field(description=f"the latest report's days past its due day (period end +"
                                                      f" {SELLOUT_DUE_DAYS}); when none came and it is overdue, the"
                                                      " days since it was due")
    diversion_alerts: int
    diversion_alerts_open: int
    overdue_receivables: Decimal | None = Field(None, description="not yet known: billing records no payments yet")


def _ratio(top: Decimal | int, bottom: Decimal | int | None) -> Decimal | None:
    if not bottom:
        return None
    return (Decimal(top) / Decimal(bottom)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _card(row: dict, period: str, first: date, last: date, today: date) -> Scorecard:
    days = (last - first).days + 1
    daily = Decimal(row["sell_out_units"]) / days
    attainment = (_ratio(row["sell_in_amount"], row["target_amount"]) if row["target_amount"]
                  else _ratio(row["sell_in_units"], row["target_units"]))
    late = row["sellout_days_late"]
    due = date.fromordinal(last.toordinal() + SELLOUT_DUE_DAYS)
    if row["sellout_reports"] == 0 and today > due:
        late = (today - due).days
    return Scorecard(**{k: v for k, v in row.items() if k in Scorecard.model_fields and k != "sellout_days_late"},
                     period=period, sell_through_rate=_ratio(row["sell_out_units"], row["sell_in_units"]),
                     attainment=attainment, sellout_days_late=late,
                     days_of_inventory=(Decimal(row["channel_inventory_units"]) / daily).quantize(Decimal("0.1"))
                     if daily > 0 else None)


def _this_quarter() -> str:
    today = datetime.now(CHINA).date()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _query(period: str, **filters: object) -> queries.ScorecardQuery:
    try:
        first, last = period_bounds(period)
    except ValueError:
        raise invalid_field("period", "period", f"{period} is not a month (2026-11) or a quarter (2026-Q4)") from None
    return queries.ScorecardQuery(period=period, first=first, last=last, due_days=SELLOUT_DUE_DAYS, **filters)


@router.put("/distributors/{distributor_id}/placement", operation_id="place_distributor")
def place_distributor(distributor_id: UUID, body: PlacementIn, meta: PlaceCommand, uow: Work,
                      scope: CallerScope) -> DistributorOut:
    """Place the distributor in the channel: tier_1 (一级经销商), tier_2 (二级经销商, naming the tier-1 it buys from)
    or delivery (配送商)."""
    distributor = parties.distributor(uow, distributor_id)
    scope.require("Distributor", distributor_id, distributors=[distributor_id], regions=[distributor.region])
    return distributor_out(parties.place_distributor(parties.PlaceDistributor(
        distributor_id=distributor_id, level=body.level, parent_distributor_id=body.parent_distributor_id), uow))


@router.put("/distributors/{distributor_id}/targets/{period}", operation_id="set_distributor_target")
def set_distributor_target(distributor_id: UUID, period: PeriodText, body: TargetIn, meta: TargetCommand, uow: Work,
                           scope: CallerScope) -> DistributorOut:
    """The distributor's target for a month or quarter (sell-in amount net of VAT, units, or both); a later one for
    the period replaces it."""
    _query(period)
    distributor = parties.distributor(uow, distributor_id)
    scope.require("Distributor", distributor_id, distributors=[distributor_id], regions=[distributor.region])
    return distributor_out(parties.set_target(parties.SetTarget(
        distributor_id=distributor_id, period=period, amount=body.amount, units=body.units), uow))


@router.get("/distributors/{distributor_id}/scorecard", operation_id="distributor_scorecard")
def distributor_scorecard(distributor_id: UUID, read: Reads, uow: Work, access: ScorecardReader,
                          period: PeriodQuery | None = None) -> Scorecard:
    """The distributor's scorecard for a month or quarter (default: the current quarter)."""
    period = period or _this_quarter()
    distributor = parties.distributor(uow, distributor_id)
    access.scope.require("Distributor", distributor_id, distributors=[distributor_id], regions=[distributor.region])
    query = _query(period, distributor_id=distributor_id)
    rows, _ = queries.scorecards(read, query, access.scope, PageRequest(limit=1, offset=0))
    return _card(rows[0], period, query.first, query.last, datetime.now(CHINA).date())


@router.get("/scorecards", operation_id="rank_distributors")
def rank_distributors(read: Reads, access: ScorecardReader, paging: Paging,
                      period: PeriodQuery | None = None,
                      region: Annotated[str | None, Query(max_length=100)] = None,
                      tier: Annotated[str | None, Query(max_length=50)] = None,
                      level: Annotated[Literal["tier_1", "tier_2", "delivery"] | None, Query()] = None,
                      ranked_by: Annotated[Literal["sell_in", "sell_out", "attainment", "sell_through", "diversion"],
                                           Query()] = "sell_in") -> Page[Scorecard]:
    """Distributors' scorecards for a period, ranked (best first) by sell-in, sell-out, target attainment,
    sell-through rate, or diversion alerts (most first); filter by region, pricing tier and channel level."""
    period = period or _this_quarter()
    query = _query(period, region=region, tier=tier, level=level, ranked_by=ranked_by)
    rows, total = queries.scorecards(read, query, access.scope, paging)
    today = datetime.now(CHINA).date()
    return Page.of(Scorecard, ([_card(r, period, query.first, query.last, today).model_dump() for r in rows], total),
                   paging)
