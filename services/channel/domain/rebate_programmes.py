"""Rebate programmes (返利政策) and each distributor's rebate account under one: what the engine (rebates.py) is run
with, and what has been settled. Pure domain, no I/O.

A programme names whom it rewards (distributors, or every distributor of a tier), for which products (GTINs,
product groups; none: all), its basis (`sell_in`: what was invoiced to the distributor; `sell_through`: what it
reported selling on, cleansed), its measure (amount or units), its tiers and how they pay (whole-volume or
marginal), whether it is retroactive (cumulative across periods), its periods (months or quarters) and its span.

A settlement is proposed (what is due: earned to date less what earlier settlements paid), then approved by another
person, as an invoice discount on a later invoice (票折) or as free goods (货补). The account is one aggregate per
(programme, distributor), so two settlements cannot both pay the same accrual: each is judged against the settled
total the account holds, in one transaction.
"""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from services.channel.domain.rebates import BASES, KINDS, MEASURES, Programme, tiers_of
from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

PERIODS = ("month", "quarter")
MODES = ("invoice_discount", "free_goods")
MAX_SCOPE = 1000


def programme_id_for(number: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:rebate-programme:{number}")


def account_id_for(programme_id: UUID, distributor_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:rebate-account:{programme_id}:{distributor_id}")


def period_of(day: date, kind: str) -> str:
    """The period a day falls in: 2026-11 (month) or 2026-Q4 (quarter)."""
    return f"{day.year}-{day.month:02d}" if kind == "month" else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period as period_of writes it; ValueError for anything else."""
    year, part = period.split("-")
    if part.startswith("Q"):
        quarter = int(part[1:])
        if not 1 <= quarter <= 4:
            raise ValueError(period)
        first = date(int(year), 3 * quarter - 2, 1)
        months = 3
    else:
        first, months = date(int(year), int(part), 1), 1
    month = first.month + months
    after = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return first, date.fromordinal(after.toordinal() - 1)


class RebateProgramme(TracedAggregate):
    @event("Created")
    def __init__(self, number: str, name: str, basis: str, measure: str, kind: str, retroactive: bool, period: str,
                 valid_from: date, valid_to: date, distributors: list[UUID], distributor_tiers: list[str],
                 gtins: list[str], product_groups: list[str], tiers: list[dict[str, Any]]) -> None:
        self.number, self.name = number, name
        self.basis, self.measure, self.kind, self.retroactive, self.period = basis, measure, kind, retroactive, period
        self.valid_from, self.valid_to = valid_from, valid_to
        self.distributors, self.distributor_tiers = distributors, distributor_tiers
        self.gtins, self.product_groups, self.tiers = gtins, product_groups, tiers

    @staticmethod
    def create_id(number: str) -> UUID:
        return programme_id_for(number)

    @classmethod
    def define(cls, number: str, name: str, basis: str, measure: str, kind: str, retroactive: bool, period: str,
               valid_from: date, valid_to: date, distributors: list[UUID], distributor_tiers: list[str],
               gtins: list[str], product_groups: list[str], tiers: list[dict[str, Any]]) -> "RebateProgramme":
        """A programme, its rules checked: contiguous tiers (no gap, no overlap), a span of whole periods."""
        for value, allowed, field_ in ((basis, BASES, "basis"), (measure, MEASURES, "measure"), (kind, KINDS, "kind"),
                                       (period, PERIODS, "period")):
            if value not in allowed:
                raise RuleViolation("rebate-programme-value", f"{field_} is one of {', '.join(allowed)}", field_)
        checked = tiers_of(tiers)
        if valid_to < valid_from:
            raise RuleViolation("valid-period", f"valid_to {valid_to} is before valid_from {valid_from}", "valid_to")
        if period_bounds(period_of(valid_from, period))[0] != valid_from:
            raise RuleViolation("rebate-whole-periods", f"a programme by {period} starts on the first day of one",
                                "valid_from")
        if period_bounds(period_of(valid_to, period))[1] != valid_to:
            raise RuleViolation("rebate-whole-periods", f"a programme by {period} ends on the last day of one",
                                "valid_to")
        if not distributors and not distributor_tiers:
            raise RuleViolation("rebate-programme-scope", "name the distributors it rewards, or their tiers",
                                "distributors")
        if len(distributors) + len(gtins) + len(product_groups) > MAX_SCOPE:
            raise RuleViolation("rebate-programme-scope", f"at most {MAX_SCOPE} distributors and products",
                                "distributors")
        stored = [{"start": t.start, "end": t.end, "rate": t.rate} for t in checked]
        return cls(number=number, name=name, basis=basis, measure=measure, kind=kind, retroactive=retroactive,
                   period=period, valid_from=valid_from, valid_to=valid_to, distributors=sorted(set(distributors), key=str),
                   distributor_tiers=sorted(set(distributor_tiers)), gtins=sorted(set(gtins)),
                   product_groups=sorted(set(product_groups)), tiers=stored)

    @property
    def engine(self) -> Programme:
        return Programme(measure=self.measure, kind=self.kind, retroactive=self.retroactive, tiers=tiers_of(
            [{"from": t["start"], "to": t["end"], "rate": t["rate"]} for t in self.tiers]))

    def rewards(self, distributor_id: UUID, distributor_tier: str, level: str | None = None) -> bool:
        """Whether the programme rewards the distributor: named, or of a pricing tier or channel level it names."""
        return str(distributor_id) in map(str, self.distributors) or distributor_tier in self.distributor_tiers or (
            level is not None and level in self.distributor_tiers)

    def periods_through(self, through: str) -> list[str]:
        """The programme's periods from its first to `through` (included), in order."""
        found, day = [], self.valid_from
        last = min(period_bounds(through)[1], self.valid_to)
        while day <= last:
            period = period_of(day, self.period)
            found.append(period)
            day = date.fromordinal(period_bounds(period)[1].toordinal() + 1)
        return found


class RebateAccount(TracedAggregate):
    """One distributor's settlements under one programme: what was paid, so nothing is paid twice."""

    @event("Opened")
    def __init__(self, programme_id: UUID, distributor_id: UUID) -> None:
        self.programme_id, self.distributor_id = programme_id, distributor_id
        self.settled = Decimal("0.00")
        self.settlements: list[dict[str, Any]] = []

    @staticmethod
    def create_id(programme_id: UUID, distributor_id: UUID) -> UUID:
        return account_id_for(programme_id, distributor_id)

    @property
    def pending(self) -> dict[str, Any] | None:
        return next((s for s in self.settlements if s["status"] == "proposed"), None)

    def propose(self, settlement_no: str, through: str, entitled: Decimal, mode: str, proposed_by: str,
                free_goods_gtin: str | None, free_goods_unit_price: Decimal | None = None) -> dict[str, Any]:
        """Propose paying what is due through `through`: earned to date less what was settled (netting). Free goods
        (货补) are whole units valued at `free_goods_unit_price` (a list's price, 含税): as many as the
        amount due pays for, and only their value is settled — the remainder stays due for a later settlement."""
        if mode not in MODES:
            raise RuleViolation("rebate-settlement-mode", f"mode is one of {', '.join(MODES)}", "mode")
        if (mode == "free_goods") != (free_goods_gtin is not None):
            raise RuleViolation("rebate-free-goods-item", "free goods (货补) name the item given, and only they do",
                                "free_goods_gtin")
        if self.pending is not None:
            raise RuleViolation("rebate-settlement-pending", f"settlement {self.pending['settlement_no']} awaits"
                                " approval: approve or reject it first", "settlement_no")
        if any(s["settlement_no"] == settlement_no for s in self.settlements):
            raise RuleViolation("rebate-settlement-number-unique", f"settlement {settlement_no} exists already",
                                "settlement_no")
        due = entitled - self.settled
        if due <= 0:
            raise RuleViolation("rebate-nothing-due", f"earned to date {entitled} less settled {self.settled} leaves"
                                f" {due}: nothing to pay" + (" (the distributor owes it back)" if due < 0 else ""),
                                "through_period", owed_back=str(-due) if due < 0 else "0.00")
        units = {}
        if mode == "free_goods":
            if free_goods_unit_price is None or free_goods_unit_price <= 0:
                raise RuleViolation("rebate-free-goods-price", f"the valuation list has no price for {free_goods_gtin}"
                                    " today: free goods are valued at a list's price", "free_goods_gtin")
            quantity = int(due // free_goods_unit_price)
            if quantity == 0:
                raise RuleViolation("rebate-free-goods-below-a-unit", f"{due} due does not pay for one unit of"
                                    f" {free_goods_gtin} at {free_goods_unit_price}", "free_goods_gtin")
            due = (quantity * free_goods_unit_price).quantize(Decimal("0.01"))
            units = {"free_goods_quantity": quantity, "free_goods_unit_price": free_goods_unit_price}
        self._proposed(settlement_no=settlement_no, through_period=through, entitled=entitled,
                       settled_before=self.settled, amount=due, mode=mode, proposed_by=proposed_by,
                       free_goods_gtin=free_goods_gtin, **units)
        return self.settlements[-1]

    @event("SettlementProposed")
    def _proposed(self, settlement_no: str, through_period: str, entitled: Decimal, settled_before: Decimal,
                  amount: Decimal, mode: str, proposed_by: str, free_goods_gtin: str | None,
                  free_goods_quantity: int | None = None, free_goods_unit_price: Decimal | None = None) -> None:
        self.settlements = [*self.settlements, {
            "settlement_no": settlement_no, "through_period": through_period, "entitled": entitled,
            "settled_before": settled_before, "amount": amount, "mode": mode, "proposed_by": proposed_by,
            "free_goods_gtin": free_goods_gtin, "free_goods_quantity": free_goods_quantity,
            "free_goods_unit_price": free_goods_unit_price, "status": "proposed"}]

    def decide(self, settlement_no: str, approve: bool, decided_by: str) -> bool:
        """Approve (it is paid: 票折 on a later invoice, or 货补) or reject the pending settlement; another person than
        the one who proposed it decides (four eyes). False when it was so decided already."""
        found = next((s for s in self.settlements if s["settlement_no"] == settlement_no), None)
        if found is None:
            raise RuleViolation("rebate-settlement-exists", f"no settlement {settlement_no}", "settlement_no")
        status = "approved" if approve else "rejected"
        if found["status"] == status:
            return False
        if found["status"] != "proposed":
            raise RuleViolation("rebate-settlement-decided", f"settlement {settlement_no} was {found['status']}",
                                "settlement_no")
        if found["proposed_by"] == decided_by:
            raise RuleViolation("four-eyes", "a settlement is approved or rejected by another person than the one"
                                             " who proposed it", "settlement_no")
        if approve:
            units = {k: found[k] for k in ("free_goods_quantity", "free_goods_unit_price") if found.get(k) is not None}
            self._approved(settlement_no=settlement_no, distributor_id=self.distributor_id, amount=found["amount"],
                           mode=found["mode"], free_goods_gtin=found["free_goods_gtin"], **units)
        else:
            self._rejected(settlement_no=settlement_no)
        return True

    @event("SettlementApproved")
    def _approved(self, settlement_no: str, distributor_id: UUID, amount: Decimal, mode: str,
                  free_goods_gtin: str | None, free_goods_quantity: int | None = None,
                  free_goods_unit_price: Decimal | None = None) -> None:
        self.settlements = [{**s, "status": "approved"} if s["settlement_no"] == settlement_no else s
                            for s in self.settlements]
        self.settled = self.settled + amount

    @event("SettlementRejected")
    def _rejected(self, settlement_no: str) -> None:
        self.settlements = [{**s, "status": "rejected"} if s["settlement_no"] == settlement_no else s
                            for s in self.settlements]
