"""Inventory's item master and supplier handlers on the in-memory event store: what is recorded once, what is
refused, what a repeat records (nothing)."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from services.inventory.application import item_master, suppliers
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from tests.unit.inventory_world import World, world  # noqa: F401 - the fixture

GTIN, BOX, OTHER = "09506000134352", "19506000134359", "09506000134369"
CODE = "91320594MA1MLUX216"  # a unified social credit code (its check character is right)


def test_an_item_is_registered_once_per_gtin_and_other_data_under_its_gtin_is_refused(world: World):
    command = item_master.RegisterItem(gtin=GTIN, name="Stent", device_class=3, model="3.0x18")
    first, created = item_master.register_item(command, world.uow())
    again, created_again = item_master.register_item(command, world.uow())
    assert (created, created_again, again.id) == (True, False, first.id)
    with pytest.raises(RuleViolation) as refused:
        item_master.register_item(item_master.RegisterItem(gtin=GTIN, name="Balloon", device_class=2), world.uow())
    assert (refused.value.rule, refused.value.context["gtin"]) == ("gtin-unique", GTIN)
    assert world.stored() == ["Registered"]


def test_an_item_carries_its_vat_rate_else_the_13_percent_devices_carry(world: World):
    default = item_master.register_item(item_master.RegisterItem(gtin=GTIN, name="Stent", device_class=3), world.uow())
    assert default[0].effective_vat_rate == Decimal("0.13")
    # Saying 13% of an item registered without a rate is the same item (a retry), not other data.
    assert not item_master.register_item(item_master.RegisterItem(gtin=GTIN, name="Stent", device_class=3,
                                                                  vat_rate=Decimal("0.13")), world.uow())[1]
    with pytest.raises(RuleViolation):
        item_master.register_item(item_master.RegisterItem(gtin=GTIN, name="Stent", device_class=3,
                                                           vat_rate=Decimal("0.06")), world.uow())
    gauze = "09506000134383"
    reduced, _ = item_master.register_item(item_master.RegisterItem(gtin=gauze, name="Gauze", device_class=1,
                                                                    vat_rate=Decimal("0.06")), world.uow())
    assert reduced.effective_vat_rate == Decimal("0.06")


def test_master_data_changes_are_recorded_once_and_an_unknown_item_is_not_found(world: World):
    world.item(GTIN, certified=False)
    add_box = item_master.AddPackagingLevel(gtin=GTIN, level="box", packaging_gtin=BOX, quantity=10)
    item_master.add_packaging_level(add_box, world.uow())
    item = item_master.add_packaging_level(add_box, world.uow())  # the same again
    tracking = item_master.SetTracking(gtin=GTIN, lot_tracked=True, serial_tracked=True, implant=True)
    item_master.set_tracking(tracking, world.uow())
    item_master.set_tracking(tracking, world.uow())
    conditions = item_master.SetStorageConditions(gtin=GTIN, min_temperature_c=2, max_temperature_c=25)
    item = item_master.set_storage_conditions(conditions, world.uow())
    assert (item.master.gtins()[BOX], item.master.tracking["implant"]) == (("box", 10), True)
    assert world.stored() == ["Registered", "PackagingLevelAdded", "TrackingSet", "StorageConditionsSet"]
    with pytest.raises(NotFound) as unknown:
        item_master.set_tracking(item_master.SetTracking(gtin=OTHER, lot_tracked=True, serial_tracked=False,
                                                         implant=False), world.uow())
    assert unknown.value.what == "Item"


def test_a_packaging_gtin_that_is_an_item_of_its_own_is_refused(world: World):
    world.item(GTIN)
    world.item(OTHER)
    with pytest.raises(RuleViolation) as refused:
        item_master.add_packaging_level(item_master.AddPackagingLevel(
            gtin=GTIN, level="box", packaging_gtin=OTHER, quantity=10), world.uow())
    assert refused.value.rule == "packaging-gtin-unique"
    with pytest.raises(RuleViolation) as backwards:
        item_master.set_registration_certificate(item_master.SetRegistrationCertificate(
            gtin=GTIN, number="国械注准1", holder="H", valid_from=date(2030, 1, 1), valid_to=date(2029, 1, 1)),
            world.uow())
    assert backwards.value.rule == "certificate-validity"


def test_a_credit_code_identifies_one_supplier_and_a_retry_finds_the_first(world: World):
    command = suppliers.RegisterSupplier(supplier_id=uuid4(), name="甲", credit_code=CODE)
    first, created = suppliers.register_supplier(command, world.uow())
    again, created_again = suppliers.register_supplier(command, world.uow())
    assert (created, created_again, again.id) == (True, False, first.id)
    with pytest.raises(RuleViolation) as taken:
        suppliers.register_supplier(suppliers.RegisterSupplier(supplier_id=uuid4(), name="乙", credit_code=CODE),
                                    world.uow())
    assert (taken.value.rule, taken.value.field, taken.value.context["existing_supplier_id"]) == (
        "supplier-credit-code-unique", "credit_code", first.id)
    suppliers.register_supplier(suppliers.RegisterSupplier(supplier_id=uuid4(), name="丙"), world.uow())  # no code
    assert world.stored() == ["Registered", "Registered"]


def test_qualifications_are_recorded_on_a_known_supplier_with_a_valid_period(world: World):
    supplier_id = world.supplier("business_licence")
    with pytest.raises(RuleViolation) as backwards:
        suppliers.record_qualification(suppliers.RecordQualification(
            supplier_id=supplier_id, document_type="production_licence", number="P", valid_from=date(2027, 1, 1),
            valid_to=date(2026, 1, 1)), world.uow())
    assert (backwards.value.rule, backwards.value.context["supplier_id"]) == ("valid-period", supplier_id)
    with pytest.raises(InvalidReference) as unknown_type:
        suppliers.record_qualification(suppliers.RecordQualification(
            supplier_id=supplier_id, document_type="diploma", number="P", valid_from=date(2020, 1, 1),
            valid_to=date(2030, 1, 1)), world.uow())
    assert unknown_type.value.field == "document_type"
    with pytest.raises(NotFound):
        suppliers.record_qualification(suppliers.RecordQualification(
            supplier_id=uuid4(), document_type="business_licence", number="B", valid_from=date(2020, 1, 1),
            valid_to=date(2030, 1, 1)), world.uow())
    assert world.stored() == ["Registered", "QualificationRecorded"]
