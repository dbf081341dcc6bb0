"""The item master: register an item (keyed by its GTIN, once) and keep its master data — packaging levels (the
box and case UDI-DIs), registration certificate (注册证), storage conditions, tracking and the medical-insurance
consumables code (医保耗材编码). Every change is an event in
the item's history; the same change again records nothing."""

from decimal import Decimal
from collections.abc import Callable
from datetime import date

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain import StockItem, item_id_for
from services.inventory.domain.item_master import ItemMaster, ItemMasterError
from shared.domain.pricing import DEFAULT_VAT_RATE
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.idempotency import create_once
from shared.platform.command import Command


class RegisterItem(Command):
    gtin: str
    name: str
    device_class: int
    model: str | None = None
    manufacturer: str | None = None
    vat_rate: Decimal | None = None  # absent: the 13% devices carry


class AddPackagingLevel(Command):
    gtin: str
    level: str
    packaging_gtin: str
    quantity: int


class SetRegistrationCertificate(Command):
    gtin: str
    number: str
    holder: str
    valid_from: date
    valid_to: date
    scope: str | None = None


class SetStorageConditions(Command):
    gtin: str
    min_temperature_c: float | None
    max_temperature_c: float | None
    description: str | None = None


class SetTracking(Command):
    gtin: str
    lot_tracked: bool
    serial_tracked: bool
    implant: bool


def register_item(command: RegisterItem, uow: InventoryUnitOfWork) -> tuple[StockItem, bool]:
    """The item, and whether this command created it. Registering its GTIN again with the same data finds it (a
    retry); with other data it is refused: one GTIN is one device."""
    item, created = create_once(uow, item_id_for(command.gtin), StockItem, lambda: StockItem(
        gtin=command.gtin, name=command.name, device_class=command.device_class, model=command.model,
        manufacturer=command.manufacturer, vat_rate=command.vat_rate))
    recorded = (item.name, item.device_class, item.model, item.manufacturer, item.effective_vat_rate)
    asked = (command.name, command.device_class, command.model, command.manufacturer,
             command.vat_rate or DEFAULT_VAT_RATE)
    if not created and recorded != asked:
        raise RuleViolation("gtin-unique", f"GTIN {command.gtin} is already registered as {item.name!r}",
                            gtin=command.gtin)
    return item, created


def add_packaging_level(command: AddPackagingLevel, uow: InventoryUnitOfWork) -> StockItem:
    if uow.exists(item_id_for(command.packaging_gtin)):  # a box GTIN is never also an item of its own
        raise ItemMasterError("packaging-gtin-unique", f"GTIN {command.packaging_gtin} is registered as an item of"
                              " its own", command.gtin)
    return _change(uow, command.gtin, lambda master: master.add_packaging_level(
        command.level, command.packaging_gtin, command.quantity))


def set_registration_certificate(command: SetRegistrationCertificate, uow: InventoryUnitOfWork) -> StockItem:
    return _change(uow, command.gtin, lambda master: master.set_registration_certificate(
        command.number, command.holder, command.valid_from, command.valid_to, command.scope))


def set_storage_conditions(command: SetStorageConditions, uow: InventoryUnitOfWork) -> StockItem:
    return _change(uow, command.gtin, lambda master: master.set_storage_conditions(
        command.min_temperature_c, command.max_temperature_c, command.description))


def set_tracking(command: SetTracking, uow: InventoryUnitOfWork) -> StockItem:
    return _change(uow, command.gtin, lambda master: master.set_tracking(
        command.lot_tracked, command.serial_tracked, command.implant))


class SetSalesBlock(Command):
    gtin: str
    blocked: bool  # the reason is the request's


def set_sales_block(command: SetSalesBlock, uow: InventoryUnitOfWork) -> StockItem:
    return _change(uow, command.gtin, lambda master: master.set_sales_block(command.blocked))


class SetProductGroup(Command):
    gtin: str
    group: str | None


def set_product_group(command: SetProductGroup, uow: InventoryUnitOfWork) -> StockItem:
    return _change(uow, command.gtin, lambda master: master.set_product_group(command.group))


class SetInsuranceCode(Command):
    gtin: str
    code: str | None  # 医保耗材编码; None takes it off the item


def set_insurance_code(command: SetInsuranceCode, uow: InventoryUnitOfWork) -> StockItem:
    return _change(uow, command.gtin, lambda master: master.set_insurance_code(command.code))


def _change(uow: InventoryUnitOfWork, gtin: str, change: Callable[[ItemMaster], bool]) -> StockItem:
    target = item(uow, gtin)
    if change(target.master):
        uow.collect(target)
    uow.commit()
    return target


def item(uow: InventoryUnitOfWork, gtin: str) -> StockItem:
    """The item with this GTIN, or 404."""
    found = uow.get(item_id_for(gtin), StockItem)
    if found is None:
        raise NotFound("Item", gtin)
    return found


def registered_item(uow: InventoryUnitOfWork, gtin: str, field: str) -> StockItem:
    """The item a command names in `field`, or 422 naming that field: register the item first."""
    found = uow.get(item_id_for(gtin), StockItem)
    if found is None:
        raise InvalidReference(field, "registered-item", "register the item first",
                               detail=f"no item is registered with GTIN {gtin}")
    return found
