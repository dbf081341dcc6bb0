"""Quotes and contracts on eventsourcing's in-memory persistence: lines priced by the rulebook, deviations that need
a second person, the quote's life, contracts from an accepted quote, call-offs bounded by committed volume plus
allowance, validity and the authorized distributor, amendments as versions, and VBP completion against time."""

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.order.application import (
    OrderApplication, OrderUnitOfWork, cancelling, contracting, holds, placing, quoting,
)
from services.order.domain.contracts import ceiling_of, completion
from services.order.domain.price_facts import Customer
from services.order.domain.promotions import PromotionBudget
from shared.domain.pricing import Discount, FreeGoods, MinimumPrice, PricingRule, Scope, TenderPrice, Validity
from shared.domain.rules import InvalidReference, RuleViolation
from shared.platform.access import EVERYTHING
from shared.platform.context import acting_as
from shared.platform.settings import Settings
from tests.price_facts import InMemoryCreditFacts, InMemoryPriceFacts
from tests.unit.test_order_commands import CATHETER, DISTRIBUTOR, HOSPITAL, STENT, TODAY, KnownFacts

LIST_PRICE = Decimal("1446.4000")


@pytest.fixture
def prices() -> InMemoryPriceFacts:
    facts = InMemoryPriceFacts(customers={
        HOSPITAL: Customer(HOSPITAL, "hospital", "浙江省人民医院", "浙江省", city="杭州市", grade="3A"),
        DISTRIBUTOR: Customer(DISTRIBUTOR, "distributor", "华东医疗", "江苏省", tier="gold")})
    facts.price_list(**{f"g{STENT}": LIST_PRICE, f"g{CATHETER}": Decimal("100.0000")})
    facts.rules.append(PricingRule("3a", "三甲 3% off", 10, Scope(grades=frozenset({"3A"})),
                                   Validity(date(2000, 1, 1)), Discount(Decimal("3"))))
    return facts


@pytest.fixture
def uow(prices):
    app = OrderApplication.in_memory(Settings(ERP_ENV="test"))
    uow = OrderUnitOfWork(app, sale_facts=KnownFacts(), price_facts=prices, credit_facts=InMemoryCreditFacts())
    yield uow
    app.close()


def draft(uow, *lines, customer=HOSPITAL, valid_until=TODAY + timedelta(days=30)):  # noqa: ANN001, ANN002
    with acting_as("user:desk"):
        return quoting.draft_quote(quoting.DraftQuote(
            quote_id=uuid4(), customer_id=customer, valid_until=valid_until,
            lines=tuple(quoting.QuoteLineRequest(gtin=g, quantity=q, unit_price=p) for g, q, p in lines)), uow)[0]


def step(uow, quote, name, actor="user:desk"):  # noqa: ANN001
    with acting_as(actor):
        return quoting.take_step(quoting.QuoteStep(quote_id=quote.id, step=name), uow)


def test_a_quote_line_is_priced_by_the_rulebook_and_explained(uow):
    quote = draft(uow, (STENT, 10, None))
    line = quote.lines[0]
    assert (line["unit_price"], line["price_source"], line["approval_reason"]) == (Decimal("1403.0080"), "rule", None)
    assert line["net_unit_price"] == Decimal("1241.6000")  # 1403.008 / 1.13
    assert line["price_explanation"]["winner"] == "3a"


def test_within_the_desk_s_authority_a_submitted_quote_is_approved_at_once(uow):
    quote = draft(uow, (STENT, 10, Decimal("1350.00")))  # 3.78% below the computed 1403.008: within 5%
    assert step(uow, quote, "submit").status == "approved"


def test_a_deviation_beyond_the_threshold_needs_a_pricing_manager_who_did_not_submit_it(uow):
    quote = draft(uow, (STENT, 10, Decimal("1300.00")))  # 7.34% below
    assert "beyond the 5" in quote.lines[0]["approval_reason"]
    assert step(uow, quote, "submit").status == "submitted"
    with pytest.raises(RuleViolation) as same_person:
        step(uow, quote, "approve", actor="user:desk")
    assert same_person.value.rule == "four-eyes"
    assert step(uow, quote, "approve", actor="user:pricing").status == "approved"
    assert step(uow, quote, "send").status == "sent"
    accepted = step(uow, quote, "accept")
    assert accepted.status == "accepted"
    assert step(uow, quote, "accept").version == accepted.version  # a retry records nothing more


def test_a_quote_above_the_platform_ceiling_or_off_a_mandatory_award_needs_approval(uow, prices):
    prices.tenders.append(TenderPrice(STENT, "ceiling", Decimal("1400.0000"), Validity(date(2000, 1, 1)),
                                      province="浙江省", reference="浙江挂网"))
    above = draft(uow, (STENT, 1, Decimal("1402.00")))  # within 5% of the capped 1400, but above the ceiling
    assert "ceiling" in above.lines[0]["approval_reason"]
    prices.tenders.append(TenderPrice(STENT, "award", Decimal("700.0000"), Validity(date(2000, 1, 1)),
                                      hospitals=frozenset({str(HOSPITAL)}), reference="国采冠脉支架"))
    below_award = draft(uow, (STENT, 1, Decimal("699.00")))
    assert "mandatory award" in below_award.lines[0]["approval_reason"]
    at_award = draft(uow, (STENT, 1, None))
    assert (at_award.lines[0]["unit_price"], at_award.lines[0]["price_source"]) == (Decimal("700.0000"), "award")


def test_an_expired_quote_is_neither_sent_nor_accepted_and_a_rejected_one_goes_no_further(uow):
    quote = draft(uow, (STENT, 1, None), valid_until=TODAY)
    step(uow, quote, "submit")
    assert quote.status_on(TODAY + timedelta(days=1)) == "expired"
    with pytest.raises(RuleViolation) as expired:
        quote.send(TODAY + timedelta(days=1))
    assert expired.value.rule == "quote-status"
    rejected = draft(uow, (STENT, 1, Decimal("1.00")))
    step(uow, rejected, "submit")
    assert step(uow, rejected, "reject", actor="user:pricing").status == "rejected"
    with pytest.raises(RuleViolation):
        step(uow, rejected, "send")


def test_a_quote_for_an_unknown_customer_or_in_the_past_stores_nothing(uow):
    with pytest.raises(InvalidReference) as unknown:
        draft(uow, (STENT, 1, None), customer=uuid4())
    with pytest.raises(InvalidReference) as past:
        draft(uow, (STENT, 1, None), valid_until=TODAY - timedelta(days=1))
    assert (unknown.value.rule, past.value.field) == ("registered-customer", "valid_until")
    assert uow.app.recorder.select_notifications(start=1, limit=10) == []


def contract_from(uow, quote, **terms):  # noqa: ANN001, ANN003
    with acting_as("user:supervisor"):
        contract = contracting.draft_contract(contracting.DraftContract(
            contract_id=uuid4(), template="framework", from_quote_id=quote.id,
            valid_from=terms.pop("valid_from", TODAY - timedelta(days=10)),
            valid_to=terms.pop("valid_to", TODAY + timedelta(days=355)), **terms), uow)[0]
        return contracting.sign(contracting.SignContract(contract_id=contract.id), uow)


def accepted(uow, *lines):  # noqa: ANN001, ANN002
    quote = step(uow, draft(uow, *lines), "submit")
    if quote.status == "submitted":
        step(uow, quote, "approve", actor="user:pricing")
    step(uow, quote, "send")
    return step(uow, quote, "accept")


def place(uow, *lines, **options):  # noqa: ANN001, ANN002, ANN003
    with acting_as("user:desk"):
        return placing.place_order(placing.PlaceOrder(
            order_id=uuid4(), hospital_id=HOSPITAL,
            lines=tuple(placing.OrderLine(gtin=g, quantity=q) for g, q in lines), **options), uow)[0]


def test_a_contract_needs_an_accepted_quote_and_takes_its_prices_and_quantities(uow):
    quote = draft(uow, (STENT, 100, Decimal("1300.00")))
    with pytest.raises(RuleViolation) as not_accepted, acting_as("user:supervisor"):
        contracting.draft_contract(contracting.DraftContract(contract_id=uuid4(), template="framework",
                                                             from_quote_id=quote.id, valid_from=TODAY,
                                                             valid_to=TODAY + timedelta(days=30)), uow)
    assert not_accepted.value.rule == "contract-from-accepted-quote"
    contract = contract_from(uow, accepted(uow, (STENT, 100, Decimal("1300.00"))))
    assert (contract.status, contract.terms["payment_terms_days"]) == ("active", 90)
    assert contract.terms["lines"][0] | {} == {"gtin": STENT, "unit_price": Decimal("1300.0000"),
                                               "net_unit_price": Decimal("1150.4425"), "vat_rate": Decimal("0.13"),
                                               "committed_quantity": 100}


def test_an_order_is_priced_from_the_contract_and_calls_off_at_most_the_committed_volume_plus_allowance(uow, prices):
    contract = contract_from(uow, accepted(uow, (STENT, 100, Decimal("1300.00"))), over_delivery_allowance_percent=Decimal("5"))
    prices.contracts[HOSPITAL] = [contract.id]
    order = place(uow, (STENT, 60), (CATHETER, 1))
    by_gtin = {line["gtin"]: line for line in order.lines}
    assert (by_gtin[STENT]["price_source"], by_gtin[STENT]["gross_unit_price"]) == ("contract", Decimal("1300.0000"))
    assert by_gtin[STENT]["unit_price"] == Decimal("1150.44")
    assert by_gtin[CATHETER]["price_source"] == "rule"  # not in the contract: the rulebook prices it
    assert by_gtin[STENT]["min_remaining_shelf_life_days"] == 180  # the contract's
    place(uow, (STENT, 45))  # 105 = 100 + 5%
    with pytest.raises(RuleViolation) as beyond:
        place(uow, (STENT, 1))
    assert (beyond.value.rule, beyond.value.field) == ("contract-volume-exceeded", "lines[0].quantity")
    assert uow.get(contract.id, type(contract)).called_off == {STENT: 105}


def test_a_later_list_price_change_never_reprices_a_contract_s_orders(uow, prices):
    contract = contract_from(uow, accepted(uow, (STENT, 100, None)))
    prices.list_prices.clear()
    prices.price_list(**{f"g{STENT}": Decimal("9999.0000")})
    order = place(uow, (STENT, 1), contract_id=contract.id)
    assert order.lines[0]["gross_unit_price"] == Decimal("1403.0080")


def test_a_contract_refuses_orders_outside_its_validity_or_through_a_distributor_it_does_not_authorize(uow):
    contract = contract_from(uow, accepted(uow, (STENT, 100, None)), valid_to=TODAY + timedelta(days=5))
    with pytest.raises(RuleViolation) as late:
        place(uow, (STENT, 1), contract_id=contract.id, requested_delivery_date=TODAY + timedelta(days=6))
    assert late.value.rule == "contract-validity"
    uow.sale_facts.licence("distribution_licence")  # the distributor may sell the stent: the contract decides
    with pytest.raises(RuleViolation) as through:
        place(uow, (STENT, 1), contract_id=contract.id, ship_to_distributor_id=DISTRIBUTOR)
    assert through.value.rule == "contract-authorized-distributor"


def test_an_amendment_is_a_new_version_that_cannot_commit_less_than_was_ordered(uow):
    contract = contract_from(uow, accepted(uow, (STENT, 100, None)))
    place(uow, (STENT, 30), contract_id=contract.id)
    line = {**contract.terms["lines"][0]}
    with acting_as("user:supervisor"):
        with pytest.raises(RuleViolation) as below:
            contracting.amend(contracting.AmendContract(contract_id=contract.id, changes={"lines": [
                {**line, "committed_quantity": 20}]}), uow)
        amended = contracting.amend(contracting.AmendContract(contract_id=contract.id,
                                                              changes={"payment_terms_days": 120}), uow)
    assert below.value.rule == "contract-volume-below-called-off"
    assert (amended.terms["payment_terms_days"], amended.amendments[0]["previous"]["payment_terms_days"]) == (120, 90)


def test_a_typed_price_holds_the_order_until_a_second_person_approves(uow):
    with acting_as("user:desk"):
        held = placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=STENT, quantity=1, unit_price=Decimal("900.00")),)), uow)[0]
    assert (held.status, held.holds, held.lines[0]["price_source"]) == ("on_hold", ["price_approval"], "manual")
    with acting_as("user:desk"), pytest.raises(RuleViolation) as own:
        holds.decide_price(holds.DecidePrice(order_id=held.id, approve=True), uow)
    with acting_as("user:pricing"):
        released = holds.decide_price(holds.DecidePrice(order_id=held.id, approve=True), uow)
    assert (own.value.rule, released.status, released.holds) == ("four-eyes", "placed", [])


def test_vbp_completion_is_judged_against_elapsed_time_counting_days_inclusively():
    start, end = date(2026, 1, 1), date(2026, 12, 31)
    assert completion(0, 1200, start, end, date(2025, 12, 31)) == completion(0, 1200, start, end, start - timedelta(1))
    first_day = completion(0, 1200, start, end, start)
    assert (first_day.elapsed, first_day.behind) == (Decimal("0.0027"), True)
    midyear = completion(600, 1200, start, end, date(2026, 7, 2))  # day 183 of 365
    assert (midyear.rate, midyear.elapsed, midyear.behind) == (Decimal("0.5000"), Decimal("0.5014"), True)
    assert not completion(602, 1200, start, end, date(2026, 7, 2)).behind
    last_day = completion(1200, 1200, start, end, end)
    assert (last_day.rate, last_day.elapsed, last_day.behind) == (Decimal("1.0000"), Decimal("1.0000"), False)
    assert ceiling_of(100, Decimal("10")) == 110 and ceiling_of(7, Decimal("10")) == 7  # 7.7 rounds down


def test_a_contract_terminated_from_a_later_day_takes_orders_until_then(uow):
    contract = contract_from(uow, accepted(uow, (STENT, 100, None)))
    with acting_as("user:supervisor"):
        with pytest.raises(InvalidReference) as retroactive:
            contracting.terminate(contracting.TerminateContract(contract_id=contract.id,
                                                                effective_on=TODAY - timedelta(days=1)), uow)
        ended = contracting.terminate(contracting.TerminateContract(contract_id=contract.id,
                                                                    effective_on=TODAY + timedelta(days=3)), uow)
    assert (retroactive.value.field, ended.status, ended.status_on(TODAY)) == ("effective_on", "terminated", "active")
    assert place(uow, (STENT, 1), contract_id=contract.id, requested_delivery_date=TODAY + timedelta(days=2))
    with pytest.raises(RuleViolation) as after:
        place(uow, (STENT, 1), contract_id=contract.id, requested_delivery_date=TODAY + timedelta(days=3))
    assert after.value.rule == "contract-validity"


def test_quotes_and_contracts_are_bounded_in_time(uow):
    with pytest.raises(InvalidReference) as far:
        draft(uow, (STENT, 1, None), valid_until=TODAY + timedelta(days=367))
    assert far.value.rule == "valid-until-ahead"
    with pytest.raises(RuleViolation) as long_contract:
        contract_from(uow, accepted(uow, (STENT, 1, None)), valid_to=TODAY + timedelta(days=6 * 365))
    assert long_contract.value.rule == "valid-period"


def test_a_stored_explanation_keeps_the_winner_among_a_bounded_number_of_rules_considered(uow, prices):
    for n in range(30):  # 30 rules of higher priority that do not match, then the 3A rule wins
        prices.rules.append(PricingRule(f"other-{n}", f"other {n}", 100 + n, Scope(provinces=frozenset({"四川省"})),
                                        Validity(date(2000, 1, 1)), Discount(Decimal("50"))))
    explanation = draft(uow, (STENT, 1, None)).lines[0]["price_explanation"]
    assert (explanation["considered_total"], len(explanation["considered"])) == (31, 20)
    assert explanation["considered"][-1]["rule_id"] == explanation["winner"] == "3a"


def test_a_rule_for_a_product_group_prices_the_items_in_that_group(uow, prices):
    prices.groups[STENT] = "冠脉支架"
    prices.rules.append(PricingRule("stents", "支架9折", 20, Scope(groups=frozenset({"冠脉支架"})),
                                    Validity(date(2000, 1, 1)), Discount(Decimal("10"))))
    quote = draft(uow, (STENT, 1, None), (CATHETER, 1, None))
    winners = [line["price_explanation"]["winner"] for line in quote.lines]
    assert winners == ["stents", "3a"]  # the catheter is in no group: the grade's rule prices it
    assert quote.lines[0]["unit_price"] == Decimal("1301.7600")  # 1,446.40 less 10%


def test_free_goods_spread_the_line_s_price_and_spend_the_budget_at_the_free_units_list_value(uow, prices):
    # 买十赠一 on the catheter (list 100): an order of 22 pays for 20, spread over 22; the budget gives 200 of goods.
    prices.rules.append(PricingRule("promo-10+1", "促销 买十赠一", 900, Scope(gtins=frozenset({CATHETER})),
                                    Validity(date(2000, 1, 1)), FreeGoods(10, 1)))
    prices.promotions["promo-10+1"] = Decimal("250.00")
    order = place(uow, (CATHETER, 22))
    line = order.lines[0]
    assert (line["gross_unit_price"], line["price_explanation"]["free_units"]) == (Decimal("90.9091"), 2)
    assert (line["gross_unit_price"] * 22).quantize(Decimal("0.01")) == Decimal("2000.00")
    budget = uow.get(PromotionBudget.create_id("promo-10+1"), PromotionBudget)
    assert budget.spent_by == {str(order.id): Decimal("200.00")}
    # 50 of budget left: a second order of 11 (one free unit, worth 100) is priced without the promotion.
    second = place(uow, (CATHETER, 11))
    assert (second.lines[0]["price_explanation"]["winner"], second.lines[0]["price_explanation"]["free_units"]) == (
        "3a", 0)


def test_a_regional_minimum_price_holds_a_quote_below_it_for_approval(uow, prices):
    prices.rules.append(PricingRule("floor", "最低限价", 1, Scope(), Validity(date(2000, 1, 1)),
                                    MinimumPrice(Decimal("96.5000"))))
    quote = draft(uow, (CATHETER, 1, Decimal("96.00")))  # within the desk's 5% of the computed 97, but below the floor
    assert "below the minimum price 96.5000 of regional policy floor" in quote.lines[0]["approval_reason"]
    assert draft(uow, (CATHETER, 1, Decimal("97.00"))).lines[0]["approval_reason"] is None


def test_a_cancelled_order_gives_back_what_its_promotion_gave_it(uow, prices):
    prices.rules.append(PricingRule("promo-Q4", "促销 Q4", 900, Scope(gtins=frozenset({CATHETER})),
                                    Validity(date(2000, 1, 1)), Discount(Decimal("10"))))
    prices.promotions["promo-Q4"] = Decimal("25.00")
    first = place(uow, (CATHETER, 2))  # given 20
    with acting_as("user:desk"):
        cancelling.cancel_order(cancelling.CancelOrder(order_id=first.id), uow)
    budget = uow.get(PromotionBudget.create_id("promo-Q4"), PromotionBudget)
    assert budget.spent_by == {str(first.id): Decimal("20.00")}  # asked, not yet released by inventory
    with acting_as("service:order-fulfilment-tracker"):
        cancelling.confirm_cancelled(cancelling.ConfirmCancelled(order_id=first.id), uow)
    budget = uow.get(PromotionBudget.create_id("promo-Q4"), PromotionBudget)
    assert (budget.spent_by[str(first.id)], budget.left_for(uuid4())) == (Decimal("0.00"), Decimal("25.00"))
    assert place(uow, (CATHETER, 2)).lines[0]["price_explanation"]["winner"] == "promo-Q4"  # it fits again


def test_a_promotion_prices_lines_until_its_budget_is_spent_then_the_next_rule_does(uow, prices):
    # 10% off the catheter (list 100) with a budget of 25: 10 of discount per unit.
    prices.rules.append(PricingRule("promo-Q4", "促销 Q4", 900, Scope(gtins=frozenset({CATHETER})),
                                    Validity(date(2000, 1, 1)), Discount(Decimal("10"))))
    prices.promotions["promo-Q4"] = Decimal("25.00")
    first, second, third = (place(uow, (CATHETER, 1)) for _ in range(3))
    assert [o.lines[0]["price_explanation"]["winner"] for o in (first, second, third)] == ["promo-Q4", "promo-Q4",
                                                                                          "3a"]
    assert [o.lines[0]["gross_unit_price"] for o in (first, second, third)] == [
        Decimal("90.0000"), Decimal("90.0000"), Decimal("97.0000")]
    passed_over = next(c for c in third.lines[0]["price_explanation"]["considered"] if c["rule_id"] == "promo-Q4")
    assert passed_over["why_not"] == "its promotion budget is spent"
    budget = uow.get(PromotionBudget.create_id("promo-Q4"), PromotionBudget)
    assert (budget.spent_by, budget.left_for(uuid4())) == (
        {str(first.id): Decimal("10.00"), str(second.id): Decimal("10.00")}, Decimal("5.00"))
    # An amendment re-prices its order against what the others left (25 - 10): 2 units (20) no longer fit.
    with acting_as("user:desk"):
        amended = placing._accepted(placing.PlaceOrder(order_id=first.id, hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=CATHETER, quantity=2),)), uow, EVERYTHING)
    assert amended.lines[0]["price_explanation"]["winner"] == "3a"
