"""Rebates (返利): programmes, accruals explained line by line, and settlements (票折 or 货补) proposed by one person and
approved by another. Routes parse and answer; the rules are in application/rebates.py and the domain."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.channel import queries
from services.channel.application import ChannelUnitOfWork, parties, rebates
from services.channel.domain.rebate_programmes import RebateAccount, RebateProgramme, period_of
from shared.domain.business_day import CHINA
from shared.domain.gtin import GTINInput
from shared.domain.text import Name, Reason, Reference
from shared.platform.access import COMPANY, permitted
from shared.platform.api import REPLAYED, CallerScope, command_by, command_reason
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["rebates"])
Work = Annotated[ChannelUnitOfWork, Depends(unit_of_work)]
ProgrammeCommand = command_by("rebate:manage", scope=COMPANY)
SettlementProposal = command_by("rebate:manage", scope="distributor")
SettlementDecision = command_by("rebate:settle", scope="distributor")
ProgrammeReader = permitted("rebate:read", scope=COMPANY)
AccrualReader = permitted("rebate:read-own", scope="distributor")  # staff: every distributor in scope

Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$", description="2026-11 or 2026-Q4")]
Label = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[^\s,]+(?: [^\s,]+)*$")]
MAX_DISTRIBUTORS_PER_ANSWER = 200


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_: Decimal = Field(alias="from", ge=0, max_digits=18, decimal_places=4)
    to: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=4)
    rate: Decimal = Field(ge=0, le=1_000_000, max_digits=12, decimal_places=4,
                          description="percent of the amount (3 = 3%), or money per unit")


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    number: Reference
    name: Name
    basis: Literal["sell_in", "sell_through"]
    measure: Literal["amount", "units"]
    kind: Literal["whole_volume", "marginal"]
    retroactive: bool = False
    period: Literal["month", "quarter"] = "quarter"
    valid_from: date
    valid_to: date
    distributors: list[UUID] = Field(default_factory=list, max_length=1000)
    distributor_tiers: list[Literal["platinum", "gold", "silver", "standard", "tier_1", "tier_2", "delivery"]] = Field(
        default_factory=list, max_length=20, description="pricing tiers, or channel levels, whose distributors it"
                                                         " rewards")
    gtins: list[GTINInput] = Field(default_factory=list, max_length=1000)
    product_groups: list[Label] = Field(default_factory=list, max_length=100)
    tiers: list[TierIn] = Field(min_length=1, max_length=20, description="contiguous bands from 0, the last open")


class TierOut(BaseModel):
    start: Decimal
    end: Decimal | None
    rate: Decimal


class ProgrammeRow(BaseModel):
    programme_id: UUID
    number: str
    name: str
    basis: str
    measure: str
    kind: str
    retroactive: bool
    period: str
    valid_from: date
    valid_to: date
    distributors: list[UUID]
    distributor_tiers: list[str]
    created_at: datetime | None = None


class ProgrammeOut(ProgrammeRow):
    gtins: list[str]
    product_groups: list[str]
    tiers: list[TierOut]
    version: int


class BandOut(BaseModel):
    start: Decimal = Field(alias="from")
    end: Decimal | None = Field(alias="to")
    rate: Decimal
    on: Decimal = Field(description="the volume inside this band (whole-volume: all of it)")
    rebate: Decimal = Field(description="what the band contributes, before the total's one rounding")

    model_config = ConfigDict(populate_by_name=True)


class AccrualLineOut(BaseModel):
    day: date
    gtin: str
    units: int
    amount: Decimal | None = Field(description="net of VAT; none on a sell-out line (valued at `prices`)")
    fact: Literal["sale", "return"]
    source: str = Field(description="invoice:<id>, return:<id> or sellout:<report id>")
    reference: str = Field(description="the invoice id or the sell-out report's reference")
    hospital_id: UUID | None


class PeriodAccrualOut(BaseModel):
    period: str
    volume: Decimal = Field(description="the period's, net of returns, as the programme measures it")
    cumulative: Decimal
    entitled: Decimal = Field(description="earned: to date (retroactive) or in the period")
    accrual: Decimal = Field(description="what the period adds (negative: a clawback)")
    bands: list[BandOut]
    lines: list[AccrualLineOut] | None = Field(None, description="with explain_period: the facts it comes from")


class DistributorAccrualOut(BaseModel):
    distributor_id: UUID
    distributor_name: str
    periods: list[PeriodAccrualOut]
    entitled: Decimal = Field(description="earned to date through the last period")
    settled: Decimal = Field(description="paid by approved settlements")
    due: Decimal = Field(description="entitled less settled (negative: owed back)")
    prices: dict[str, Decimal] = Field(description="sell-through valued at: the distributor's average invoiced net"
                                                   " price per GTIN")


class AccrualsOut(BaseModel):
    programme_id: UUID
    number: str
    through: str
    distributors: list[DistributorAccrualOut]


class SettlementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    distributor_id: UUID
    settlement_no: Reference
    through_period: Period
    mode: Literal["invoice_discount", "free_goods"] = Field(description="票折: deducted from the distributor's next"
                                                                        " invoices; 货补: given as free goods")
    free_goods_gtin: GTINInput | None = None
    price_list_id: UUID | None = Field(None, description="货补: the list the goods are valued from (its price today:"
                                                         " a 货补 valuation list or the distributor's supply list)")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    distributor_id: UUID
    reason: Reason


class SettlementOut(BaseModel):
    programme_id: UUID
    distributor_id: UUID
    settlement_no: str
    through_period: str
    entitled: Decimal
    settled_before: Decimal
    amount: Decimal
    mode: str
    free_goods_gtin: str | None
    free_goods_quantity: int | None = Field(None, description="货补: whole units given, valued at free_goods_unit_price")
    free_goods_unit_price: Decimal | None = None
    status: str
    proposed_by: str


class SettlementRow(SettlementOut):
    programme_number: str | None
    distributor_name: str | None
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


def _programme_out(p: RebateProgramme) -> ProgrammeOut:
    return ProgrammeOut(programme_id=p.id, number=p.number, name=p.name, basis=p.basis, measure=p.measure, kind=p.kind,
                        retroactive=p.retroactive, period=p.period, valid_from=p.valid_from, valid_to=p.valid_to,
                        distributors=p.distributors, distributor_tiers=p.distributor_tiers, gtins=p.gtins,
                        product_groups=p.product_groups, tiers=[TierOut(**t) for t in p.tiers], version=p.version,
                        created_at=p.created_on)


def _settlement_out(account: RebateAccount, settlement_no: str) -> SettlementOut:
    found = next(s for s in account.settlements if s["settlement_no"] == settlement_no)
    return SettlementOut(programme_id=account.programme_id, distributor_id=account.distributor_id,
                         **{k: v for k, v in found.items() if k in SettlementOut.model_fields})


@router.post("/rebate-programmes", status_code=status.HTTP_201_CREATED, operation_id="create_rebate_programme",
             responses=REPLAYED)
def create_rebate_programme(body: ProgrammeIn, response: Response, meta: ProgrammeCommand,
                            uow: Work) -> ProgrammeOut:
    """A rebate programme under its number: tiers that overlap or leave a gap are refused (409 naming the tier). The
    same programme again answers 200; the same number with other rules is refused."""
    programme, created = rebates.create_programme(rebates.CreateProgramme(
        **body.model_dump(exclude={"tiers", "distributors", "distributor_tiers", "gtins", "product_groups"}),
        distributors=tuple(body.distributors), distributor_tiers=tuple(body.distributor_tiers),
        gtins=tuple(body.gtins), product_groups=tuple(body.product_groups),
        tiers=tuple({"from": t.from_, "to": t.to, "rate": t.rate} for t in body.tiers)), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _programme_out(programme)


@router.get("/rebate-programmes", operation_id="list_rebate_programmes")
def list_rebate_programmes(read: Reads, _: ProgrammeReader, paging: Paging,
                           distributor_id: Annotated[UUID | None, Query()] = None,
                           active_on: Annotated[date | None, Query()] = None) -> Page[ProgrammeRow]:
    return Page.of(ProgrammeRow, queries.rebate_programmes(read, distributor_id, active_on, paging), paging)


@router.get("/rebate-programmes/{programme_id}", operation_id="get_rebate_programme")
def get_rebate_programme(programme_id: UUID, uow: Work, _: ProgrammeReader) -> ProgrammeOut:
    return _programme_out(rebates.programme(uow, programme_id))


@router.get("/rebates/accruals", operation_id="rebate_accruals")
def rebate_accruals(uow: Work, read: Reads, access: AccrualReader,
                    programme_id: Annotated[UUID, Query()],
                    distributor_id: Annotated[UUID | None, Query(description="default: every distributor the"
                                                                              " programme rewards, in your scope")] = None,
                    through: Annotated[Period | None, Query(description="default: the current period")] = None,
                    explain_period: Annotated[Period | None, Query(description="list the facts of this period's"
                                                                               " accrual")] = None) -> AccrualsOut:
    """What each distributor has earned under the programme, period by period: the volume (net of returns), the
    bands reached and what each contributes, the accrual (a clawback is negative), what approved settlements paid
    and what is due. `explain_period` lists the invoice lines, returns or sell-out lines behind that period."""
    programme = rebates.programme(uow, programme_id)
    through = through or period_of(datetime.now(CHINA).date(), programme.period)
    if distributor_id is not None:
        chosen = [rebates.rewarded(uow, programme, distributor_id)]
        distributor = chosen[0]
        access.scope.require("Distributor", distributor_id, distributors=[distributor_id],
                             regions=[distributor.region])
    else:
        ids = queries.rewarded_distributors(read, programme.distributors, programme.distributor_tiers, access.scope,
                                            MAX_DISTRIBUTORS_PER_ANSWER)
        chosen = [parties.distributor(uow, d) for d in ids]
    answers = []
    for distributor in chosen:
        earned = rebates.entitlement(uow, programme, distributor.id, through)
        periods = []
        for accrual in earned.accruals:
            lines = None
            if explain_period == accrual.period:
                lines = [AccrualLineOut(**row) for row in rebates.explained_lines(uow, programme, distributor.id,
                                                                                  accrual.period)]
            periods.append(PeriodAccrualOut(period=accrual.period, volume=accrual.volume,
                                            cumulative=accrual.cumulative, entitled=accrual.entitled,
                                            accrual=accrual.accrual, bands=[BandOut(**b) for b in accrual.bands],
                                            lines=lines))
        answers.append(DistributorAccrualOut(distributor_id=distributor.id, distributor_name=distributor.name,
                                             periods=periods, entitled=earned.entitled, settled=earned.settled,
                                             due=earned.due, prices=earned.prices))
    return AccrualsOut(programme_id=programme.id, number=programme.number, through=through, distributors=answers)


def _scoped_distributor(uow: ChannelUnitOfWork, scope: Any, distributor_id: UUID) -> None:
    distributor = parties.distributor(uow, distributor_id)
    scope.require("Distributor", distributor_id, distributors=[distributor_id], regions=[distributor.region])


@router.post("/rebate-programmes/{programme_id}/settlements", status_code=status.HTTP_201_CREATED,
             operation_id="propose_rebate_settlement")
def propose_rebate_settlement(programme_id: UUID, body: SettlementIn, meta: SettlementProposal, uow: Work,
                              scope: CallerScope) -> SettlementOut:
    """Propose paying what the distributor is due through a period: earned to date less what approved settlements
    paid. Nothing due (or owed back) is refused; one proposal at a time awaits a decision."""
    _scoped_distributor(uow, scope, body.distributor_id)
    account = rebates.propose_settlement(rebates.ProposeSettlement(
        programme_id=programme_id, distributor_id=body.distributor_id, settlement_no=body.settlement_no,
        through_period=body.through_period, mode=body.mode, free_goods_gtin=body.free_goods_gtin,
        price_list_id=body.price_list_id, proposed_by=meta.actor, today=datetime.now(CHINA).date()), uow)
    return _settlement_out(account, body.settlement_no)


@router.post("/rebate-programmes/{programme_id}/settlements/{settlement_no}/{decision}",
             operation_id="decide_rebate_settlement")
def decide_rebate_settlement(programme_id: UUID, settlement_no: Annotated[str, Path(max_length=100)],
                             decision: Literal["approve", "reject"], body: DecisionIn, meta: SettlementDecision,
                             uow: Work, scope: CallerScope) -> SettlementOut:
    """Approve (paid: 票折 on the distributor's next invoices, or 货补) or reject a proposed settlement, with a reason;
    by another person than the one who proposed it."""
    command_reason(body.reason, meta)
    _scoped_distributor(uow, scope, body.distributor_id)
    account = rebates.decide_settlement(rebates.DecideSettlement(
        programme_id=programme_id, distributor_id=body.distributor_id, settlement_no=settlement_no,
        approve=decision == "approve", decided_by=meta.actor), uow)
    return _settlement_out(account, settlement_no)


@router.get("/rebate-settlements", operation_id="list_rebate_settlements")
def list_rebate_settlements(read: Reads, access: AccrualReader, paging: Paging,
                            distributor_id: Annotated[UUID | None, Query()] = None,
                            programme_id: Annotated[UUID | None, Query()] = None,
                            status_: Annotated[Literal["proposed", "approved", "rejected"] | None,
                                               Query(alias="status")] = None) -> Page[SettlementRow]:
    return Page.of(SettlementRow, queries.rebate_settlements(read, distributor_id, programme_id, status_,
                                                             access.scope, paging), paging)
