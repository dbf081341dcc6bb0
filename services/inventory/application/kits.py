"""Kit assembly (or re-packing): component lots of available stock are consumed and a kit lot is produced into
quarantine, all in one transaction. An assembly is recorded once per id: a retry with the same Idempotency-Key
assembles nothing again."""

from datetime import date
from typing import Any
from uuid import UUID

from services.inventory.application import InventoryUnitOfWork
from services.inventory.application.item_master import registered_item
from services.inventory.domain import StockItem
from shared.platform.command import Command
from shared.domain.business_day import business_today


class AssembleKit(Command):
    assembly_id: UUID
    kit_gtin: str
    lot: str
    quantity: int
    warehouse: str
    components: tuple[dict[str, Any], ...]  # gtin, lot, warehouse, quantity
    expiry: date | None = None  # default: the earliest component's; only an earlier one
    today: date | None = None   # default: today (UTC)


def assemble_kit(command: AssembleKit, uow: InventoryUnitOfWork) -> tuple[StockItem, bool]:
    """The kit item, and whether this command assembled (False: this assembly was recorded before)."""
    today = command.today or business_today()
    kit = registered_item(uow, command.kit_gtin, "kit_gtin")
    if str(command.assembly_id) in kit.kits.assemblies:
        return kit, False
    takes_by_item: dict[str, list[dict[str, Any]]] = {}
    for n, component in enumerate(command.components):
        registered_item(uow, component["gtin"], f"components[{n}].gtin")
        takes_by_item.setdefault(component["gtin"], []).append(component)
    uow.collect(kit)  # first: the kit, then the components it took
    inputs = []
    for gtin, takes in takes_by_item.items():
        item = registered_item(uow, gtin, "gtin")
        consumed = item.kits.consume_components(command.assembly_id, command.kit_gtin, command.lot, takes, today)
        inputs += [{"gtin": gtin, **c} for c in consumed]
        uow.collect(item)
    kit.kits.assemble(command.assembly_id, command.lot, command.quantity, command.warehouse, inputs, command.expiry)
    uow.commit()
    return kit, True
