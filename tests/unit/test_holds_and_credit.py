"""Holds and credit control on eventsourcing's in-memory persistence: an order that breaks a credit rule waits on a
`credit` hold that only a release with a reason and an expiry lifts; the exposure is the billed party's; a customer
without a limit is not checked; manual and compliance holds; the check before submitting stores nothing."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from services.order.application import OrderApplication, OrderUnitOfWork, credit, holds, placing
from services.order.domain.credit import Exposure
from services.order.domain.price_facts import Customer
from shared.domain.rules import RuleViolation
from shared.platform.context import acting_as
from shared.platform.settings import Settings
from tests.price_facts import InMemoryCreditFacts, InMemoryPriceFacts
from tests.unit.test_order_commands import DISTRIBUTOR, GAUZE, HOSPITAL, STENT, TODAY, KnownFacts

PRICE = Decimal("1130.0000")  # 含税: 1,000.00 net


@pytest.fixture
def exposures() -> InMemoryCreditFacts:
    return InMemoryCreditFacts()


@pytest.fixture
def uow(exposures):
    prices = InMemoryPriceFacts(customers={
        HOSPITAL: Customer(HOSPITAL, "hospital", "浙江省人民医院", "浙江省", grade="3A"),
        DISTRIBUTOR: Customer(DISTRIBUTOR, "distributor", "华东医疗", "江苏省", tier="gold")})
    prices.price_list(**{f"g{STENT}": PRICE, f"g{GAUZE}": PRICE})
    sale = KnownFacts()
    sale.licence("distribution_licence")
    app = OrderApplication.in_memory(Settings(ERP_ENV="test"))
    yield OrderUnitOfWork(app, sale_facts=sale, price_facts=prices, credit_facts=exposures)
    app.close()


def limit(uow, customer=HOSPITAL, **terms):  # noqa: ANN001, ANN003
    with acting_as("user:finance", reason="年度授信"):
        return credit.set_credit_limit(credit.SetCreditLimit(**{
            "customer_id": customer, "currency": "CNY", "limit": Decimal("10000.00"),
            "valid_from": TODAY - timedelta(days=30), **terms}), uow)


def place(uow, quantity=1, **options):  # noqa: ANN001, ANN003
    with acting_as("user:desk"):
        return placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=STENT, quantity=quantity),), **options), uow)[0]


def test_a_customer_without_a_credit_limit_is_not_checked(uow, exposures):
    assert place(uow, 1000).holds == []
    assert exposures.asked == []


def test_an_order_above_the_limit_waits_for_finance_who_releases_it_with_a_reason_and_an_expiry(uow, exposures):
    limit(uow)
    exposures.exposures[HOSPITAL] = Exposure(open_receivables=Decimal("5000"), shipped_not_invoiced=Decimal("2000"),
                                             open_orders=Decimal("1700"))
    assert place(uow, 1).holds == []  # 8,700 + 1,130 = 9,830: within 10,000
    held = place(uow, 2)  # 8,700 + 2,260 = 10,960
    assert (held.status, held.holds) == ("on_hold", ["credit"])
    assert held.hold_history[0]["reason"].startswith("credit-limit-exceeded: exposure 8700 plus this order 2260.00")
    with acting_as("user:finance", reason="客户已承诺月底回款"), pytest.raises(RuleViolation) as no_expiry:
        holds.release_hold(holds.ReleaseHold(order_id=held.id, hold="credit"), uow)
    assert (no_expiry.value.rule, no_expiry.value.field) == ("credit-release-expiry", "expires_on")
    with acting_as("user:finance", reason="客户已承诺月底回款"):
        released = holds.release_hold(holds.ReleaseHold(order_id=held.id, hold="credit",
                                                        expires_on=TODAY + timedelta(days=7)), uow)
    assert (released.status, released.holds, released.released_to_fulfilment) == ("placed", [], True)
    kinds = [type(e).__name__ for e in uow.app.repository.event_store.get(held.id)]
    assert kinds == ["Placed", "HoldReleased", "Released"]


def test_the_largest_single_order_overdue_receivables_and_a_lapsed_limit_each_hold(uow, exposures):
    limit(uow, limit=Decimal("1000000.00"), max_order_value=Decimal("2000.00"))
    assert place(uow, 2).holds == ["credit"]  # 2,260 above the largest single order
    limit(uow, limit=Decimal("1000000.00"), overdue_days=30, overdue_share_percent=Decimal("10"))
    exposures.exposures[HOSPITAL] = Exposure(open_receivables=Decimal("10000"), overdue=Decimal("1000"))
    assert place(uow, 1).holds == []  # exactly 10% overdue: not above
    exposures.exposures[HOSPITAL] = Exposure(open_receivables=Decimal("10000"), overdue=Decimal("1000.01"))
    overdue = place(uow, 1)
    assert "credit-overdue" in overdue.hold_history[0]["reason"]
    limit(uow, limit=Decimal("1000000.00"), valid_to=TODAY - timedelta(days=1))
    assert "credit-limit-not-in-force" in place(uow, 1).hold_history[0]["reason"]


def test_goods_through_a_distributor_count_against_the_distributor_s_credit(uow, exposures):
    limit(uow, customer=DISTRIBUTOR, limit=Decimal("1000.00"))
    through = place(uow, 1, ship_to_distributor_id=DISTRIBUTOR)
    assert through.holds == ["credit"]
    assert exposures.asked[-1][0] == DISTRIBUTOR
    assert place(uow, 1).holds == []  # the hospital itself has no limit


def test_a_manual_hold_stops_an_order_until_its_owner_releases_it(uow):
    order = place(uow, 1)
    with acting_as("user:desk", reason="客户要求暂缓发货"):
        held = holds.place_hold(holds.PlaceHold(order_id=order.id, hold="manual"), uow)
        again = holds.place_hold(holds.PlaceHold(order_id=order.id, hold="manual"), uow)
    assert (held.status, held.holds, again.version) == ("placed", ["manual"], held.version)
    with acting_as("user:desk"), pytest.raises(RuleViolation) as kind:
        holds.place_hold(holds.PlaceHold(order_id=order.id, hold="credit"), uow)
    assert kind.value.rule == "hold-kind"
    with acting_as("user:supervisor", reason="客户确认"):
        released = holds.release_hold(holds.ReleaseHold(order_id=order.id, hold="manual"), uow)
    kinds = [type(e).__name__ for e in uow.app.repository.event_store.get(order.id)]
    assert (released.holds, kinds) == ([], ["Placed", "Held", "HoldReleased"])  # it never left fulfilment


def test_validating_an_order_answers_its_prices_and_holds_and_stores_nothing(uow):
    limit(uow, limit=Decimal("100.00"))
    stored = len(uow.app.recorder.select_notifications(start=1, limit=100))
    with acting_as("user:desk"):
        checked = placing.validate_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=STENT, quantity=1), placing.OrderLine(gtin=GAUZE, quantity=1,
                                                                          unit_price=Decimal("900.00")))), uow)
    assert checked.holds == ["price_approval", "credit"]
    assert [line["price_source"] for line in checked.lines] == ["list", "manual"]
    assert len(uow.app.recorder.select_notifications(start=1, limit=100)) == stored


def test_a_fulfilment_whose_order_is_held_is_not_dispatched_until_released():
    from datetime import UTC, date, datetime

    from services.inventory.domain import Fulfilment
    from services.inventory.domain.fulfilment import FulfilmentStateError

    order_id = uuid4()
    with acting_as("system:inventory"):
        fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=HOSPITAL,
                                lines=[{"line_no": 1, "gtin": STENT, "quantity": 1}])
        fulfilment.reserve(order_id=order_id, lines=[{"line_no": 1, "gtin": STENT, "lot": "L1",
                                                      "expiry": date(2030, 1, 1), "warehouse": "WH", "quantity": 1}])
        assert fulfilment.hold("compliance") and not fulfilment.hold("compliance")
        with pytest.raises(FulfilmentStateError) as held:
            fulfilment.dispatch(uuid4(), "WH", "SF", "SF1", datetime.now(UTC))
        assert held.value.rule == "order-on-hold"
        assert fulfilment.release("compliance") and not fulfilment.release("compliance")
        fulfilment.dispatch(uuid4(), "WH", "SF", "SF1", datetime.now(UTC))
    assert fulfilment.status == "shipped"


def test_an_order_on_hold_is_cancelled_at_once_and_one_in_fulfilment_when_inventory_confirms(uow):
    with acting_as("user:desk"):
        held = placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=STENT, quantity=1, unit_price=Decimal("900.00")),)), uow)[0]
    from services.order.application import cancelling

    with acting_as("user:desk", reason="客户取消"):
        cancelled = cancelling.cancel_order(cancelling.CancelOrder(order_id=held.id), uow)
        assert (cancelled.status, cancelled.holds) == ("cancelled", [])
        in_fulfilment = place(uow, 1)
        requested = cancelling.cancel_order(cancelling.CancelOrder(order_id=in_fulfilment.id), uow)
        assert (requested.status, requested.cancellation_requested) == ("placed", True)
    with acting_as("system:inventory"):
        done = cancelling.confirm_cancelled(cancelling.ConfirmCancelled(order_id=in_fulfilment.id), uow)
    assert (done.status, done.cancellation_requested) == ("cancelled", False)
    with acting_as("user:desk", reason="again"), pytest.raises(RuleViolation) as shipped:
        order = place(uow, 1)
        with acting_as("system:order"):
            from services.order.application import fulfilment as following

            following.mark_reserved(following.MarkReserved(order_id=order.id, allocations=()), uow)
            following.record_shipment(following.RecordShipment(order_id=order.id, shipment_id=uuid4()), uow)
        cancelling.cancel_order(cancelling.CancelOrder(order_id=order.id), uow)
    assert shipped.value.rule == "order-status"


def test_cancelling_frees_the_contract_volume_the_order_took(uow):
    from services.order.application import cancelling, contracting
    from services.order.domain.contracts import Contract

    with acting_as("user:supervisor"):
        contract = contracting.draft_contract(contracting.DraftContract(
            contract_id=uuid4(), template="framework", customer_id=HOSPITAL, valid_from=TODAY,
            valid_to=TODAY + timedelta(days=30), lines=(contracting.ContractLineRequest(
                gtin=STENT, committed_quantity=10, unit_price=Decimal("1000.00")),)), uow)[0]
        contracting.sign(contracting.SignContract(contract_id=contract.id), uow)
    order = place(uow, 10, contract_id=contract.id)
    with acting_as("user:desk", reason="改单"):
        cancelling.cancel_order(cancelling.CancelOrder(order_id=order.id), uow)
    with acting_as("system:inventory"):
        cancelling.confirm_cancelled(cancelling.ConfirmCancelled(order_id=order.id), uow)
    assert uow.get(contract.id, Contract).called_off == {STENT: 0}
    assert place(uow, 10, contract_id=contract.id).lines[0]["price_source"] == "contract"  # the volume is free


def test_inventory_releases_a_cancelled_order_s_stock_unless_something_shipped():
    from datetime import UTC, date, datetime

    from services.inventory.application import InventoryApplication, InventoryUnitOfWork, reservation
    from services.inventory.domain import Fulfilment, StockItem, fulfilment_id_for, item_id_for

    from services.inventory.settings import InventorySettings

    app = InventoryApplication.in_memory(Settings(ERP_ENV="test"))
    app.inventory_settings = InventorySettings(picking_required=False)
    uow = InventoryUnitOfWork(app)
    with acting_as("system:inventory"):
        item = StockItem(gtin=STENT, name="Stent", device_class=3)
        item.receive_lot("L1", date(2030, 1, 1), 5, "WH", today=TODAY)
        item.inspect_lot("L1", "WH", "available", None)
        app.save(item)
        orders = [uuid4(), uuid4()]
        for order_id in orders:
            reservation.reserve_order(reservation.ReserveOrder(
                order_id=order_id, ship_to_hospital_id=HOSPITAL, today=TODAY,
                lines=({"line_no": 1, "gtin": STENT, "quantity": 2},)), uow)
        shipped = uow.get(fulfilment_id_for(orders[1]), Fulfilment)
        shipped.dispatch(uuid4(), "WH", "SF", "SF1", datetime.now(UTC))
        stock = uow.get(item_id_for(STENT), StockItem)
        stock.ship_allocated(orders[1], shipped.shipments[0]["shipment_id"], "WH")
        uow.collect(shipped, stock)
        uow.commit()
        for order_id in orders:
            reservation.cancel_fulfilment(reservation.CancelFulfilment(order_id=order_id), uow)
            reservation.cancel_fulfilment(reservation.CancelFulfilment(order_id=order_id), uow)  # a retry
    lot = app.get_aggregate(item_id_for(STENT), StockItem).lots[("L1", "WH")]
    assert (lot.on_hand, lot.allocated) == (3, 0)  # 2 shipped, 2 released: none both
    statuses = [app.get_aggregate(fulfilment_id_for(o), Fulfilment).status for o in orders]
    assert statuses == ["cancelled", "shipped"]
    refusals = [type(e).__name__ for e in app.repository.event_store.get(fulfilment_id_for(orders[1]))]
    assert refusals.count("CancellationRefused") == 2  # each request answered
    app.close()


def amend(uow, order_id, *lines, actor="user:desk", **options):  # noqa: ANN001, ANN002, ANN003
    from services.order.application import amending

    with acting_as(actor, reason="客户改单"):
        return amending.amend_order(amending.AmendOrder(order_id=order_id, lines=tuple(
            placing.OrderLine(gtin=g, quantity=q, unit_price=p) for g, q, p in lines), **options), uow)


def test_an_order_in_fulfilment_is_amended_when_inventory_has_re_planned_it(uow):
    from services.order.application import amending

    order = place(uow, 2)
    pending = amend(uow, order.id, (STENT, 5, None), (GAUZE, 1, None))
    assert (pending.pending_amendment["amendment"], len(pending.lines)) == (1, 1)  # not yet in effect
    with pytest.raises(RuleViolation) as twice:
        amend(uow, order.id, (STENT, 1, None))
    assert twice.value.rule == "order-status"
    with acting_as("system:inventory"):
        amended = amending.confirm_amendment(amending.ConfirmAmendment(order_id=order.id), uow)
    assert [(line["gtin"], line["quantity"], line["price_source"]) for line in amended.lines] == [
        (STENT, 5, "list"), (GAUZE, 1, "list")]
    assert (amended.status, amended.pending_amendment, len(amended.amendments)) == ("placed", None, 1)


def test_an_amendment_that_raises_the_value_beyond_the_credit_limit_puts_a_credit_hold(uow, exposures):
    from services.order.application import amending

    limit(uow, limit=Decimal("5000.00"))
    order = place(uow, 2)  # 2,260: within the limit
    exposures.exposures[HOSPITAL] = Exposure(open_orders=Decimal("2260.00"))  # the order itself, already counted
    amend(uow, order.id, (STENT, 3, None))  # +1,130: 3,390 in all, within
    with acting_as("system:inventory"):
        assert amending.confirm_amendment(amending.ConfirmAmendment(order_id=order.id), uow).holds == []
    exposures.exposures[HOSPITAL] = Exposure(open_orders=Decimal("3390.00"))
    amend(uow, order.id, (STENT, 5, None))  # +2,260: 5,650, above 5,000
    with acting_as("system:inventory"):
        held = amending.confirm_amendment(amending.ConfirmAmendment(order_id=order.id), uow)
    kinds = [type(e).__name__ for e in uow.app.repository.event_store.get(order.id)]
    assert (held.holds, kinds[-2:]) == (["credit"], ["Amended", "Held"])  # inventory stops its dispatch


def test_an_amendment_beyond_the_contract_volume_is_refused_and_a_refused_one_restores_the_call_off(uow):
    from services.order.application import amending, contracting
    from services.order.domain.contracts import Contract

    with acting_as("user:supervisor"):
        contract = contracting.draft_contract(contracting.DraftContract(
            contract_id=uuid4(), template="framework", customer_id=HOSPITAL, valid_from=TODAY,
            valid_to=TODAY + timedelta(days=30), over_delivery_allowance_percent=Decimal("0"),
            lines=(contracting.ContractLineRequest(gtin=STENT, committed_quantity=10,
                                                   unit_price=Decimal("1000.00")),)), uow)[0]
        contracting.sign(contracting.SignContract(contract_id=contract.id), uow)
    order = place(uow, 4, contract_id=contract.id)
    stored = len(uow.app.recorder.select_notifications(start=1, limit=1000))
    with pytest.raises(RuleViolation) as beyond:
        amend(uow, order.id, (STENT, 11, None))
    assert beyond.value.rule == "contract-volume-exceeded"
    assert len(uow.app.recorder.select_notifications(start=1, limit=1000)) == stored  # nothing stored
    amend(uow, order.id, (STENT, 9, None))
    assert uow.get(contract.id, Contract).called_off == {STENT: 9}
    with acting_as("system:inventory"):
        amending.refuse_amendment(amending.RefuseAmendment(order_id=order.id, reason="already shipped"), uow)
    assert uow.get(contract.id, Contract).called_off == {STENT: 4}
    assert uow.get(order.id, type(order)).lines[0]["quantity"] == 4


def test_an_order_on_hold_takes_an_amendment_at_once(uow):
    with acting_as("user:desk"):
        held = placing.place_order(placing.PlaceOrder(order_id=uuid4(), hospital_id=HOSPITAL, lines=(
            placing.OrderLine(gtin=STENT, quantity=1, unit_price=Decimal("900.00")),)), uow)[0]
    amended = amend(uow, held.id, (STENT, 2, None), actor="user:desk-2")
    assert (amended.status, amended.lines[0]["quantity"], amended.pending_amendment) == ("on_hold", 2, None)


def test_inventory_re_plans_an_amended_order_releasing_and_reserving_fefo_all_or_nothing_when_it_ships_complete():
    from datetime import date

    from services.inventory.application import InventoryApplication, InventoryUnitOfWork, reservation
    from services.inventory.domain import Fulfilment, StockItem, fulfilment_id_for, item_id_for
    from services.inventory.settings import InventorySettings

    app = InventoryApplication.in_memory(Settings(ERP_ENV="test"))
    app.inventory_settings = InventorySettings(picking_required=False)
    uow = InventoryUnitOfWork(app)
    order_id = uuid4()

    def lots() -> dict:
        item = app.get_aggregate(item_id_for(STENT), StockItem)
        return {lot: (s.on_hand, s.allocated) for (lot, _), s in item.lots.items()}

    def replan(quantity: int):  # noqa: ANN202
        return reservation.amend_fulfilment(reservation.AmendFulfilment(
            order_id=order_id, lines=({"line_no": 1, "gtin": STENT, "quantity": quantity},),
            requested_delivery_date=None, today=TODAY), uow)

    with acting_as("system:inventory"):
        item = StockItem(gtin=STENT, name="Stent", device_class=3)
        for lot, expiry in (("EARLY", date(2029, 1, 1)), ("LATE", date(2030, 1, 1))):
            item.receive_lot(lot, expiry, 5, "WH", today=TODAY)
            item.inspect_lot(lot, "WH", "available", None)
        app.save(item)
        reservation.reserve_order(reservation.ReserveOrder(
            order_id=order_id, ship_to_hospital_id=HOSPITAL, today=TODAY, ship_complete=True,
            lines=({"line_no": 1, "gtin": STENT, "quantity": 4},)), uow)
        assert lots() == {"EARLY": (5, 4), "LATE": (5, 0)}
        assert replan(7).status == "reserved" and lots() == {"EARLY": (5, 5), "LATE": (5, 2)}
        assert replan(2).status == "reserved" and lots() == {"EARLY": (5, 2), "LATE": (5, 0)}
        short = replan(11)  # more than there is: backordered, and what it held released
        assert (short.status, lots()) == ("rejected", {"EARLY": (5, 0), "LATE": (5, 0)})
    app.close()


def test_blocking_an_item_for_sale_is_an_event_once_and_lifting_it_another():
    from services.inventory.domain import StockItem

    with acting_as("user:quality", reason="注册证变更中"):
        item = StockItem(gtin=STENT, name="Stent", device_class=3)
        assert item.master.set_sales_block(True) and not item.master.set_sales_block(True)
        assert item.master.set_sales_block(False)
    assert [type(e).__name__ for e in item.collect_events()][-2:] == ["SalesBlockSet", "SalesBlockSet"]
    assert item.master.sales_blocked is False


def test_a_credit_group_adds_up_its_members_exposure_against_its_own_limit(uow, exposures):
    group_id = uuid4()
    with acting_as("user:finance", reason="集团授信"):
        group = credit.set_credit_group(credit.SetCreditGroup(
            customer_id=group_id, name="华东医疗集团", members=(HOSPITAL, DISTRIBUTOR), currency="CNY",
            limit=Decimal("5000.00"), valid_from=TODAY - timedelta(days=1)), uow)
        again = credit.set_credit_group(credit.SetCreditGroup(
            customer_id=group_id, name="华东医疗集团", members=(DISTRIBUTOR, HOSPITAL), currency="CNY",
            limit=Decimal("5000.00"), valid_from=TODAY - timedelta(days=1)), uow)
    assert again.version == group.version  # the same group again records nothing
    exposures.groups[HOSPITAL] = [group_id]
    exposures.exposures[DISTRIBUTOR] = Exposure(open_receivables=Decimal("3000.00"))
    assert place(uow, 1).holds == []  # 3,000 of the distributor + 1,130: within the group's 5,000
    exposures.exposures[HOSPITAL] = Exposure(open_orders=Decimal("1130.00"))
    held = place(uow, 1)  # 3,000 + 1,130 + 1,130 is above 5,000, though the hospital has no limit of its own
    assert held.holds == ["credit"]
    assert "credit-limit-exceeded: credit group 华东医疗集团" in held.hold_history[0]["reason"]
    assert credit.position(uow, HOSPITAL, "CNY", TODAY).limit is None  # a group id never overwrites a customer's
    exposures.groups[HOSPITAL] = [uuid4()]  # a group the read model names but the hospital is not in: not judged
    assert place(uow, 1).holds == []


def test_an_order_whose_credit_release_expired_is_held_again_when_the_credit_no_longer_covers_it(uow, exposures):
    limit(uow)
    exposures.exposures[HOSPITAL] = Exposure(open_receivables=Decimal("9000"))
    held = place(uow, 2)  # 9,000 + 2,260: above 10,000
    with acting_as("user:finance", reason="客户已承诺月底回款"):
        holds.release_hold(holds.ReleaseHold(order_id=held.id, hold="credit", expires_on=TODAY - timedelta(days=1)),
                           uow)
    exposures.lapsed = [held.id]  # the order list: its release expired yesterday, and it has not shipped
    exposures.exposures[HOSPITAL] = Exposure(open_receivables=Decimal("8000"), open_orders=Decimal("2260"))
    with acting_as("system:credit", reason="credit release expired"):
        again = holds.expire_credit_releases(holds.ExpireCreditReleases(today=TODAY), uow)
    assert [o.id for o in again] == [held.id]
    assert uow.get(held.id, type(held)).holds == ["credit"]  # 10,260 is above 10,000: back on hold
    with acting_as("system:credit", reason="credit release expired"):
        assert holds.expire_credit_releases(holds.ExpireCreditReleases(today=TODAY), uow) == []  # held already
    exposures.exposures[HOSPITAL] = Exposure()
    covered = place(uow, 1)
    assert covered.holds == []
    exposures.lapsed = [covered.id]
    exposures.exposures[HOSPITAL] = Exposure(open_orders=Decimal("1130"))
    with acting_as("system:credit", reason="credit release expired"):
        assert holds.expire_credit_releases(holds.ExpireCreditReleases(today=TODAY), uow) == []  # still covered
    assert uow.get(covered.id, type(covered)).holds == []
