"""Receiving and quality handlers on the in-memory event store: a receipt needs a qualified supplier, registered
items with a valid certificate and unexpired goods, every line or none; quality releases, rejects, holds."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from services.inventory.application import quality, receiving
from services.inventory.settings import InventorySettings
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.settings import Settings
from tests.unit.inventory_world import TODAY, World, world  # noqa: F401 - the fixture

GTIN, UNCERTIFIED = "09506000134352", "09506000134369"


def line(lot: str, days: int = 400, gtin: str = GTIN, **extra) -> dict:
    return {"gtin": gtin, "lot": lot, "expiry": TODAY + timedelta(days=days), "quantity": 5, "warehouse": "WH1", **extra}


def receive(world: World, supplier_id, *lines: dict) -> receiving.Receipt:  # noqa: ANN001
    return receiving.receive_goods(receiving.ReceiveGoods(supplier_id=supplier_id, lines=lines), world.uow())


def test_every_line_goes_into_quarantine_and_goods_expiring_soon_are_flagged(world: World):
    world.item(GTIN)
    world.app.inventory_settings = InventorySettings(near_expiry_days=30)
    receipt = receive(world, world.supplier(), line("L1", serials=["S1", "S2", "S3", "S4", "S5"]), line("SOON", 20))
    assert [(w["line"], w["lot"], w["rule"]) for w in receipt.warnings] == [(1, "SOON", "near-expiry")]
    (item,) = receipt.items
    assert {s.lot: s.status for s in item.lot_stock()} == {"L1": "quarantine", "SOON": "quarantine"}
    assert item.serials_of("L1") == {"S1", "S2", "S3", "S4", "S5"}


def test_a_refused_line_refuses_the_whole_receipt_and_names_what_is_wrong(world: World):
    world.item(GTIN)
    world.item(UNCERTIFIED, certified=False)
    supplier_id = world.supplier()
    before = world.stored()
    refusals = [
        ((line("L1"), line("OLD", -1)), RuleViolation, "expired-at-receipt", "expiry"),
        ((line("L1"), line("L2", gtin="09506000134376")), InvalidReference, "registered-item", "lines[1].gtin"),
        ((line("L1"), line("L3", gtin=UNCERTIFIED)), RuleViolation, "registration-certificate-valid", None),
    ]
    for lines, kind, rule, field in refusals:
        with pytest.raises(kind) as refused:
            receive(world, supplier_id, *lines)
        assert (refused.value.rule, refused.value.field) == (rule, field)
    with pytest.raises(InvalidReference) as unknown:
        receive(world, uuid4(), line("L1"))
    assert (unknown.value.field, unknown.value.rule) == ("supplier_id", "registered-supplier")
    assert world.stored() == before


def test_only_a_supplier_qualified_on_the_day_delivers(world: World):
    world.item(GTIN)
    business_only = world.supplier("business_licence")
    with pytest.raises(RuleViolation) as refused:
        receive(world, business_only, line("L1"))
    assert (refused.value.rule, refused.value.context["supplier_id"]) == ("supplier-qualified", business_only)
    qualified = receiving.ReceiveGoods(supplier_id=world.supplier(), lines=(line("L1"),),
                                       today=date(2019, 12, 31))  # before its licences were valid
    with pytest.raises(RuleViolation):
        receiving.receive_goods(qualified, world.uow())


def test_the_certificate_grace_period_lets_an_uncertified_item_in_until_its_last_day(world: World):
    world.item(UNCERTIFIED, certified=False)
    world.app.settings = Settings(ERP_ENV="test", REGISTRATION_CERTIFICATE_GRACE_UNTIL=TODAY.isoformat())
    supplier_id = world.supplier()
    receiving.receive_goods(receiving.ReceiveGoods(supplier_id=supplier_id, lines=(line("L1", gtin=UNCERTIFIED),),
                                                   today=TODAY), world.uow())  # its last day, even across midnight
    with pytest.raises(RuleViolation) as after_grace:
        receiving.receive_goods(receiving.ReceiveGoods(supplier_id=supplier_id, lines=(line("L2", gtin=UNCERTIFIED),),
                                                       today=TODAY + timedelta(days=1)), world.uow())
    assert after_grace.value.rule == "registration-certificate-valid"


def test_quality_releases_or_rejects_quarantine_and_holds_a_lot_with_a_reason(world: World):
    world.item(GTIN)
    receive(world, world.supplier(), line("L1"), line("L2"))
    uow = world.uow()
    quality.inspect_lot(quality.InspectLot(gtin=GTIN, lot="L1", warehouse="WH1", released=True), uow)
    with pytest.raises(RuleViolation) as no_reason:
        quality.inspect_lot(quality.InspectLot(gtin=GTIN, lot="L2", warehouse="WH1", released=False), uow)
    assert no_reason.value.rule == "reason-required"
    quality.inspect_lot(quality.InspectLot(gtin=GTIN, lot="L2", warehouse="WH1", released=False, reason="外包装破损"), uow)
    held = quality.hold_lot(quality.HoldLot(gtin=GTIN, lot="L1", reason="投诉"), uow)
    assert {s.lot: s.status for s in held.lot_stock()} == {"L1": "on_hold", "L2": "rejected"}
    with pytest.raises(RuleViolation) as twice:
        quality.hold_lot(quality.HoldLot(gtin=GTIN, lot="L1", reason="again"), uow)
    assert (twice.value.rule, twice.value.context) == ("hold-once", {"gtin": GTIN, "lot": "L1"})
    released = quality.release_hold(quality.ReleaseHold(gtin=GTIN, lot="L1", reason="无问题"), uow)
    assert released.lots_numbered("L1")[0].status == "available"


def test_quality_commands_name_an_unknown_item_or_lot(world: World):
    world.item(GTIN)
    with pytest.raises(InvalidReference) as unknown_item:
        quality.hold_lot(quality.HoldLot(gtin="09506000134376", lot="L1", reason="x"), world.uow())
    assert (unknown_item.value.field, unknown_item.value.rule) == ("gtin", "registered-item")
    with pytest.raises(NotFound) as unknown_lot:
        quality.hold_lot(quality.HoldLot(gtin=GTIN, lot="NOPE", reason="x"), world.uow())
    assert unknown_lot.value.what == "Lot"
    with pytest.raises(NotFound):
        quality.inspect_lot(quality.InspectLot(gtin=GTIN, lot="NOPE", warehouse="WH1", released=True), world.uow())


@pytest.mark.parametrize(("lines", "field"), [
    ((line("L1"), line("批号-1")), "lines[1].lot"),
    ((line("L 1"),), "lines[0].lot"),
    ((line("L1", serials=["S1", "S2", "S3", "S4", "S\u00e95"]),), "lines[0].serials[4]"),
    ((line("L" * 21),), "lines[0].lot"),
])
def test_lots_and_serials_outside_gs1_cset_82_are_refused_however_the_receipt_is_commanded(world: World, lines, field):
    # the API's models refuse them first; the handler holds the rule for any other caller (WMS, imports)
    world.item(GTIN)
    supplier_id = world.supplier()
    before = world.stored()
    with pytest.raises(InvalidReference) as refused:
        receive(world, supplier_id, *lines)
    assert (refused.value.rule, refused.value.field, refused.value.status) == ("gs1-character-set", field, 422)
    assert "GS1" in refused.value.message
    assert world.stored() == before


def test_every_cset_82_character_is_received(world: World):
    world.item(GTIN)
    receipt = receive(world, world.supplier(), line("!\"%&'()*+,-./:;<=>?_"),
                      line("aZ09"))
    assert {s.lot for s in receipt.items[0].lot_stock()} == {"!\"%&'()*+,-./:;<=>?_", "aZ09"}
