"""Rebate programmes and settlements through their handlers, on eventsourcing's in-memory persistence, with the
rebate basis given as facts: accruals from sell-in with returns clawing back in the sale's period, sell-through valued
at the distributor's invoiced price, settlements netting what was paid, four eyes, and programmes refused with tiers
that overlap or leave gaps."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from services.channel.application import ChannelApplication, ChannelUnitOfWork, parties, prices, rebates
from services.channel.domain.rebate_programmes import period_of
from shared.domain.rules import RuleViolation
from shared.platform.context import acting_as
from tests.unit.in_memory import in_memory

GTIN, OTHER = "09506000134352", "09506000134369"


class Basis:
    """The rebate basis port over facts (day, gtin, units, amount, basis) for one distributor: what the SQL port
    computes, by brute force."""

    def __init__(self) -> None:
        self.facts: list[dict] = []

    def add(self, day: date, units: int, amount: str | None, basis: str = "sell_in", gtin: str = GTIN) -> None:
        self.facts.append({"day": day, "gtin": gtin, "units": units, "basis": basis,
                           "amount": None if amount is None else Decimal(amount), "source": f"f{len(self.facts)}",
                           "reference": "R", "hospital_id": None, "fact": "sale" if units > 0 else "return"})

    def _chosen(self, query):  # noqa: ANN001, ANN202
        return [f for f in self.facts if f["basis"] == query.basis and query.first <= f["day"] <= query.last
                and (not query.gtins or f["gtin"] in query.gtins)]

    def totals(self, query, period: str) -> list[dict]:  # noqa: ANN001
        found: dict = {}
        for f in self._chosen(query):
            row = found.setdefault((period_of(f["day"], period), f["gtin"]), {"units": 0, "amount": None})
            row["units"] += f["units"]
            if f["amount"] is not None:
                row["amount"] = (row["amount"] or Decimal(0)) + f["amount"]
        return [{"period": p, "gtin": g, **v} for (p, g), v in sorted(found.items())]

    def lines(self, query, limit: int) -> list[dict]:  # noqa: ANN001
        return self._chosen(query)[:limit]

    def sell_in_prices(self, distributor_id, gtins: list[str]) -> dict[str, Decimal]:  # noqa: ANN001
        sold = [f for f in self.facts if f["basis"] == "sell_in" and f["gtin"] in gtins]
        return {g: sum(f["amount"] for f in sold if f["gtin"] == g) / sum(f["units"] for f in sold if f["gtin"] == g)
                for g in {f["gtin"] for f in sold}}


@pytest.fixture
def basis() -> Basis:
    return Basis()


@pytest.fixture
def uow(basis):
    with in_memory(ChannelApplication, "user:channel-manager") as app:
        yield ChannelUnitOfWork(app, items=None, rebate_basis=basis)


@pytest.fixture
def distributor(uow):
    distributor_id = uuid4()
    parties.register_distributor(parties.RegisterDistributor(distributor_id=distributor_id, name="华东医疗",
                                                             region="江苏省", tier="gold"), uow)
    return distributor_id


BANDS = ({"from": "0", "to": "100000", "rate": "2"}, {"from": "100000", "to": None, "rate": "3"})


def programme(uow, number: str = "FL-2026", **changes):  # noqa: ANN001, ANN003, ANN201
    command = {"number": number, "name": "2026 一级返利", "basis": "sell_in", "measure": "amount",
               "kind": "marginal", "period": "quarter", "valid_from": date(2026, 1, 1), "valid_to": date(2026, 12, 31),
               "distributor_tiers": ("tier_1", "gold"), "tiers": BANDS, **changes}
    return rebates.create_programme(rebates.CreateProgramme(**command), uow)[0]


@pytest.mark.parametrize(("tiers", "field"), [
    (({"from": "0", "to": "100", "rate": "1"}, {"from": "90", "to": None, "rate": "2"}), "tiers[1].from"),  # overlap
    (({"from": "0", "to": "100", "rate": "1"}, {"from": "120", "to": None, "rate": "2"}), "tiers[1].from"),  # gap
    (({"from": "10", "to": None, "rate": "1"},), "tiers[0].from"),  # not from 0
    (({"from": "0", "to": "100", "rate": "1"},), "tiers[0].to"),  # the last is not open
])
def test_a_programme_whose_tiers_overlap_or_leave_gaps_is_refused_and_nothing_is_stored(uow, tiers, field):
    with pytest.raises(RuleViolation) as refused:
        programme(uow, tiers=tiers)
    assert (refused.value.rule, refused.value.field) == ("rebate-tiers-contiguous", field)
    assert uow.app.recorder.select_notifications(start=1, limit=10) == []


def test_a_programme_is_created_once_and_its_number_not_reused_with_other_rules(uow):
    first = programme(uow)
    assert programme(uow).id == first.id
    with pytest.raises(RuleViolation) as changed:
        programme(uow, kind="whole_volume")
    assert changed.value.rule == "rebate-programme-number-unique"
    with pytest.raises(RuleViolation) as ragged:
        programme(uow, number="FL-X", valid_from=date(2026, 1, 15))
    assert ragged.value.rule == "rebate-whole-periods"


def test_marginal_sell_in_accrues_per_quarter_and_a_late_return_claws_back_in_the_sale_s_quarter(uow, basis,
                                                                                                distributor):
    found = programme(uow)
    basis.add(date(2026, 2, 10), 100, "80000.00")
    basis.add(date(2026, 3, 5), 50, "40000.00")  # Q1: 120,000 -> 2% of 100,000 + 3% of 20,000 = 2,600
    basis.add(date(2026, 4, 2), 10, "8000.00")  # Q2: 160
    earned = rebates.entitlement(uow, found, distributor, "2026-Q2")
    assert [(a.period, a.volume, a.accrual) for a in earned.accruals] == [
        ("2026-Q1", Decimal("120000.00"), Decimal("2600.00")), ("2026-Q2", Decimal("8000.00"), Decimal("160.00"))]
    basis.add(date(2026, 3, 5), -25, "-20000.00")  # returned in May, from the March shipment: Q1 falls to 100,000
    again = rebates.entitlement(uow, found, distributor, "2026-Q2")
    assert [a.accrual for a in again.accruals] == [Decimal("2000.00"), Decimal("160.00")]


def test_sell_through_on_amount_is_valued_at_the_distributor_s_invoiced_price(uow, basis, distributor):
    found = programme(uow, "ST-2026", basis="sell_through", kind="whole_volume", period="month",
                      tiers=({"from": "0", "to": "1000", "rate": "1"}, {"from": "1000", "to": None, "rate": "5"}))
    basis.add(date(2026, 3, 1), 10, "7000.00")  # the price: 700
    basis.add(date(2026, 3, 20), 2, None, basis="sell_through")  # 1,400 reaches 5%
    earned = rebates.entitlement(uow, found, distributor, "2026-03")
    assert (earned.prices, earned.accruals[-1].volume, earned.accruals[-1].accrual) == (
        {GTIN: Decimal(700)}, Decimal("1400.00"), Decimal("70.00"))


def test_a_settlement_pays_what_is_due_once_approved_by_another_person_and_the_next_nets_against_it(uow, basis,
                                                                                                  distributor):
    found = programme(uow)
    basis.add(date(2026, 2, 10), 100, "80000.00")  # Q1: 1,600

    def propose(number: str, through: str):  # noqa: ANN202
        return rebates.propose_settlement(rebates.ProposeSettlement(
            programme_id=found.id, distributor_id=distributor, settlement_no=number, through_period=through,
            mode="invoice_discount", proposed_by="user:zhou", today=date(2026, 7, 1)), uow)

    account = propose("RS-1", "2026-Q1")
    assert (account.pending["amount"], account.settled) == (Decimal("1600.00"), Decimal("0.00"))
    with pytest.raises(RuleViolation) as own:
        rebates.decide_settlement(rebates.DecideSettlement(programme_id=found.id, distributor_id=distributor,
                                                           settlement_no="RS-1", approve=True,
                                                           decided_by="user:zhou"), uow)
    assert own.value.rule == "four-eyes"
    with pytest.raises(RuleViolation) as second:
        propose("RS-2", "2026-Q1")
    assert second.value.rule == "rebate-settlement-pending"
    with acting_as("user:li"):
        approved = rebates.decide_settlement(rebates.DecideSettlement(
            programme_id=found.id, distributor_id=distributor, settlement_no="RS-1", approve=True,
            decided_by="user:li"), uow)
    assert approved.settled == Decimal("1600.00")
    with pytest.raises(RuleViolation) as twice:
        propose("RS-2", "2026-Q1")  # all paid: nothing is paid twice
    assert twice.value.rule == "rebate-nothing-due"
    basis.add(date(2026, 5, 10), 10, "5000.00")  # Q2: 100
    assert propose("RS-2", "2026-Q2").pending["amount"] == Decimal("100.00")


def test_free_goods_are_whole_units_at_the_distributor_s_price_and_the_remainder_stays_due(uow, basis, distributor):
    found = programme(uow)
    basis.add(date(2026, 2, 10), 100, "80000.00")  # Q1: 1,600 due
    list_id = uuid4()
    prices.create_price_list(prices.CreatePriceList(price_list_id=list_id, name="目录价", currency="CNY"), uow)
    prices.set_list_price(prices.SetListPrice(price_list_id=list_id, gtin=OTHER, price=Decimal("700.00"),
                                              valid_from=date(2026, 1, 1)), uow)

    def propose(number: str, mode: str = "free_goods", gtin: str | None = OTHER, **more):  # noqa: ANN003, ANN202
        return rebates.propose_settlement(rebates.ProposeSettlement(
            programme_id=found.id, distributor_id=distributor, settlement_no=number, through_period="2026-Q1",
            mode=mode, free_goods_gtin=gtin, proposed_by="user:zhou", today=date(2026, 7, 1), **more), uow)

    with pytest.raises(RuleViolation) as unvalued:
        propose("RS-0")
    assert unvalued.value.field == "price_list_id"
    with pytest.raises(RuleViolation) as unpriced:
        propose("RS-0", gtin=GTIN, price_list_id=list_id)  # the list does not price this item
    assert unpriced.value.rule == "rebate-free-goods-price"
    account = propose("RS-1", price_list_id=list_id)
    assert (account.pending["free_goods_quantity"], account.pending["free_goods_unit_price"],
            account.pending["amount"]) == (2, Decimal("700.00"), Decimal("1400.00"))  # 1,600 pays for 2 of 700
    with acting_as("user:li"):
        approved = rebates.decide_settlement(rebates.DecideSettlement(
            programme_id=found.id, distributor_id=distributor, settlement_no="RS-1", approve=True,
            decided_by="user:li"), uow)
    assert approved.settled == Decimal("1400.00")
    with pytest.raises(RuleViolation) as below:
        propose("RS-2", price_list_id=list_id)  # 200 left does not pay for a unit of 700
    assert below.value.rule == "rebate-free-goods-below-a-unit"
    assert propose("RS-2", mode="invoice_discount", gtin=None).pending["amount"] == Decimal("200.00")


def test_a_clawback_after_settlement_leaves_the_distributor_owing_and_no_settlement_is_proposed(uow, basis,
                                                                                               distributor):
    found = programme(uow)
    basis.add(date(2026, 2, 10), 100, "80000.00")
    rebates.propose_settlement(rebates.ProposeSettlement(
        programme_id=found.id, distributor_id=distributor, settlement_no="RS-1", through_period="2026-Q1",
        mode="invoice_discount", proposed_by="user:zhou", today=date(2026, 7, 1)), uow)
    rebates.decide_settlement(rebates.DecideSettlement(programme_id=found.id, distributor_id=distributor,
                                                       settlement_no="RS-1", approve=True, decided_by="user:li"), uow)
    basis.add(date(2026, 2, 10), -50, "-40000.00")
    assert rebates.entitlement(uow, found, distributor, "2026-Q1").due == Decimal("-800.00")
    with pytest.raises(RuleViolation) as owed:
        rebates.propose_settlement(rebates.ProposeSettlement(
            programme_id=found.id, distributor_id=distributor, settlement_no="RS-2", through_period="2026-Q2",
            mode="invoice_discount", proposed_by="user:zhou", today=date(2026, 7, 1)), uow)
    assert (owed.value.rule, owed.value.context["owed_back"]) == ("rebate-nothing-due", "800.00")
