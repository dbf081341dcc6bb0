"""A rebate settled as free goods (货补) becomes a zero-priced order to the distributor itself, once per settlement;
a distributor that may not take the item (no valid licence for its class) gets the order held for compliance rather
than refused: the settlement was approved already."""

from decimal import Decimal
from uuid import uuid4

from services.order.application import free_goods
from tests.unit.test_order_commands import DISTRIBUTOR, STENT, TODAY, KnownFacts, facts, uow  # noqa: F401 - fixtures


def give(uow, settlement: str = "acct:RS-1", quantity: int = 2):  # noqa: ANN001, ANN201
    return free_goods.give_free_goods(free_goods.GiveFreeGoods(
        settlement=settlement, settlement_no="RS-1", distributor_id=DISTRIBUTOR, gtin=STENT, quantity=quantity,
        unit_value=Decimal("700.0000"), on=TODAY), uow)


def test_free_goods_are_a_zero_priced_order_to_the_distributor_placed_once_per_settlement(facts: KnownFacts, uow):
    facts.licence("distribution_licence")  # 经营许可证: class III may go to it
    order = give(uow)
    line = order.lines[0]
    assert (order.kind, order.hospital_id, order.ship_to_distributor_id, order.status, order.holds) == (
        "free_goods", DISTRIBUTOR, DISTRIBUTOR, "placed", [])
    assert (line["quantity"], line["unit_price"], line["gross_unit_price"]) == (2, Decimal("0.00"), Decimal("0.0000"))
    assert line["price_explanation"]["free_goods"] == {"rebate_settlement": "acct:RS-1", "unit_value": "700.0000",
                                                       "value": "1400.00"}
    assert order.customer_reference == "货补 RS-1"
    again = give(uow, quantity=2)
    assert again.id == order.id == free_goods.free_goods_order_id("acct:RS-1")
    assert give(uow, settlement=f"acct:{uuid4()}").id != order.id


def test_free_goods_to_a_distributor_without_a_valid_licence_are_held_for_compliance(facts: KnownFacts, uow):
    order = give(uow)  # no 经营许可证 on record: class III may not go to it
    assert (order.status, order.holds) == ("on_hold", ["compliance"])
    assert "华东医疗 may not distribute Stent (class 3)" in order.hold_history[0]["reason"]
