"""Rebates (返利): programmes, what each distributor has earned under one (accrued per period from the rebate basis
read model: projections/rebate_basis.py), and settlements that pay what is due, once.

Accruals are computed from the basis facts each time they are asked (a projection keeps the facts current as events
arrive): a programme created in March sees January's volume too, and a return recorded late claws back in the period
of the sale it reverses. A settlement records what it paid in the (programme, distributor) account, which every
later settlement nets against.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol
from uuid import UUID

from services.channel.application import ChannelUnitOfWork, prices
from services.channel.domain import Distributor
from services.channel.domain.rebate_programmes import (
    RebateAccount, RebateProgramme, account_id_for, period_bounds, period_of, programme_id_for,
)
from services.channel.domain.rebates import Accrual, accruals
from services.channel.queries import BasisQuery
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.command import Command
from shared.platform.idempotency import create_once

CENT = Decimal("0.01")
MAX_EXPLAINED_LINES = 500


class RebateBasisPort(Protocol):
    def totals(self, query: BasisQuery, period: str) -> list[dict]: ...

    def lines(self, query: BasisQuery, limit: int) -> list[dict]: ...

    def sell_in_prices(self, distributor_id: UUID, gtins: list[str]) -> dict[str, Decimal]: ...


class CreateProgramme(Command):
    number: str
    name: str
    basis: str
    measure: str
    kind: str
    retroactive: bool = False
    period: str = "quarter"
    valid_from: date
    valid_to: date
    distributors: tuple[UUID, ...] = ()
    distributor_tiers: tuple[str, ...] = ()
    gtins: tuple[str, ...] = ()
    product_groups: tuple[str, ...] = ()
    tiers: tuple[dict[str, Any], ...]


def create_programme(command: CreateProgramme, uow: ChannelUnitOfWork) -> tuple[RebateProgramme, bool]:
    """The programme under its number, and whether this command created it; the same number with other rules is
    refused (a programme's rules are not changed under distributors' feet: end it and create another)."""
    for n, distributor_id in enumerate(command.distributors):
        if uow.get(distributor_id, Distributor) is None:
            raise InvalidReference(f"distributors[{n}]", "registered-distributor", "name a registered distributor",
                                   f"no distributor {distributor_id} is registered")
    wanted = RebateProgramme.define(
        command.number, command.name, command.basis, command.measure, command.kind, command.retroactive,
        command.period, command.valid_from, command.valid_to, list(command.distributors),
        list(command.distributor_tiers), list(command.gtins), list(command.product_groups), list(command.tiers))
    programme, created = create_once(uow, programme_id_for(command.number), RebateProgramme, lambda: wanted)
    if not created and _rules(programme) != _rules(wanted):
        raise RuleViolation("rebate-programme-number-unique", f"programme {command.number} exists with other rules",
                            "number", programme_id=str(programme.id))
    return programme, created


def _rules(programme: RebateProgramme) -> dict:
    return {k: v for k, v in vars(programme).items() if not k.startswith("_")}


def programme(uow: ChannelUnitOfWork, programme_id: UUID) -> RebateProgramme:
    found = uow.get(programme_id, RebateProgramme)
    if found is None:
        raise NotFound("Rebate programme", programme_id)
    return found


@dataclass(frozen=True)
class Entitlement:
    """A distributor's accruals under a programme through a period, with what was settled."""

    programme: RebateProgramme
    distributor_id: UUID
    accruals: list[Accrual]
    settled: Decimal
    prices: dict[str, Decimal] = field(default_factory=dict)  # sell-through valued at these (amount measure)

    @property
    def entitled(self) -> Decimal:
        return sum((a.accrual for a in self.accruals), Decimal("0.00"))

    @property
    def due(self) -> Decimal:
        return self.entitled - self.settled


def basis_query(found: RebateProgramme, distributor_id: UUID, first: date, last: date) -> BasisQuery:
    return BasisQuery(distributor_id=distributor_id, basis=found.basis, first=max(first, found.valid_from),
                      last=min(last, found.valid_to), gtins=tuple(found.gtins),
                      product_groups=tuple(found.product_groups))


def entitlement(uow: ChannelUnitOfWork, found: RebateProgramme, distributor_id: UUID, through: str) -> Entitlement:
    """Per period of the programme through `through`: the volume (net of returns) and what it accrues."""
    periods = found.periods_through(through)
    if not periods:
        return Entitlement(found, distributor_id, [], _settled(uow, found.id, distributor_id))
    totals = uow.rebate_basis.totals(basis_query(found, distributor_id, found.valid_from,
                                                 period_bounds(periods[-1])[1]), found.period)
    prices = {}
    if found.measure == "amount" and found.basis == "sell_through":
        prices = uow.rebate_basis.sell_in_prices(distributor_id, sorted({t["gtin"] for t in totals}))
    volume = dict.fromkeys(periods, Decimal(0))
    for row in totals:
        volume[row["period"]] = volume.get(row["period"], Decimal(0)) + volume_of(found, row, prices)
    return Entitlement(found, distributor_id, accruals(found.engine, [(p, volume[p]) for p in periods]),
                       _settled(uow, found.id, distributor_id), prices)


def volume_of(found: RebateProgramme, row: dict, prices: dict[str, Decimal]) -> Decimal:
    """A basis total as the programme measures it: units, or amount (sell-through valued at the distributor's
    average invoiced net price of the item; an item never invoiced to it is worth nothing)."""
    if found.measure == "units":
        return Decimal(row["units"])
    if row["amount"] is not None:
        return Decimal(row["amount"])
    return (Decimal(row["units"]) * prices.get(row["gtin"], Decimal(0))).quantize(CENT, rounding=ROUND_HALF_UP)


def _settled(uow: ChannelUnitOfWork, programme_id: UUID, distributor_id: UUID) -> Decimal:
    account = uow.get(account_id_for(programme_id, distributor_id), RebateAccount)
    return Decimal("0.00") if account is None else account.settled


def explained_lines(uow: ChannelUnitOfWork, found: RebateProgramme, distributor_id: UUID,
                    period: str) -> list[dict]:
    """The facts one period's accrual comes from (invoice lines, returns, sell-out lines), at most
    MAX_EXPLAINED_LINES."""
    first, last = period_bounds(period)
    return uow.rebate_basis.lines(basis_query(found, distributor_id, first, last), MAX_EXPLAINED_LINES)


def rewarded(uow: ChannelUnitOfWork, found: RebateProgramme, distributor_id: UUID) -> Distributor:
    distributor = uow.get(distributor_id, Distributor)
    if distributor is None:
        raise NotFound("Distributor", distributor_id)
    if not found.rewards(distributor.id, distributor.tier, distributor.level):
        raise RuleViolation("rebate-programme-rewards", f"programme {found.number} does not reward {distributor.name}",
                            "distributor_id")
    return distributor


class ProposeSettlement(Command):
    programme_id: UUID
    distributor_id: UUID
    settlement_no: str
    through_period: str
    mode: str
    free_goods_gtin: str | None = None
    price_list_id: UUID | None = None  # 货补: the list the free goods are valued from
    proposed_by: str
    today: date


def propose_settlement(command: ProposeSettlement, uow: ChannelUnitOfWork) -> RebateAccount:
    found = programme(uow, command.programme_id)
    rewarded(uow, found, command.distributor_id)
    if period_bounds(command.through_period)[0] > command.today:
        raise RuleViolation("rebate-period-started", f"{command.through_period} has not started: nothing is earned in"
                            " it yet", "through_period")
    if period_of(period_bounds(command.through_period)[0], found.period) != command.through_period:
        raise RuleViolation("rebate-period-kind", f"programme {found.number} runs by {found.period}",
                            "through_period")
    earned = entitlement(uow, found, command.distributor_id, command.through_period)
    account = uow.get(account_id_for(found.id, command.distributor_id), RebateAccount) or RebateAccount(
        programme_id=found.id, distributor_id=command.distributor_id)
    account.propose(command.settlement_no, command.through_period, earned.entitled, command.mode,
                    command.proposed_by, command.free_goods_gtin, _free_goods_value(command, uow))
    uow.collect(account)
    uow.commit()
    return account


def _free_goods_value(command: ProposeSettlement, uow: ChannelUnitOfWork) -> Decimal | None:
    """A unit of the free goods at the named list's price on the day (含税, as the rebate is): a 货补 valuation list,
    or the distributor's supply list — a list price, so no rule, award or ceiling of the rulebook changes what the
    goods are worth. None when the settlement is not 货补 or the list does not price the item that day."""
    if command.mode != "free_goods" or command.free_goods_gtin is None:
        return None
    if command.price_list_id is None:
        raise InvalidReference("price_list_id", "free-goods-price-list", "name the price list free goods are valued"
                               " from", "free goods (货补) are valued at a list's price")
    return prices.price_list_of(uow, command.price_list_id).price_on(command.free_goods_gtin, command.today)


class DecideSettlement(Command):
    programme_id: UUID
    distributor_id: UUID
    settlement_no: str
    approve: bool
    decided_by: str  # the reason is the request's


def decide_settlement(command: DecideSettlement, uow: ChannelUnitOfWork) -> RebateAccount:
    account = uow.get(account_id_for(command.programme_id, command.distributor_id), RebateAccount)
    if account is None:
        raise NotFound("Rebate settlement", command.settlement_no)
    if account.decide(command.settlement_no, command.approve, command.decided_by):
        uow.collect(account)
    uow.commit()
    return account
