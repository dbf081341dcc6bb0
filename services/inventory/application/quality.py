"""Quality: inspect quarantined stock (release it, or reject it with a reason), hold a lot in every warehouse and
release the hold (with a reason; a hold a recall placed stays while the recall is open). Each release is offered to
the orders backordered for the item (reactions.py: BackorderRetries)."""


from services.inventory.application import InventoryUnitOfWork
from services.inventory.application.item_master import registered_item
from services.inventory.domain import StockItem
from services.inventory.domain.fefo import AVAILABLE, REJECTED
from shared.platform.command import Command


class InspectLot(Command):
    gtin: str
    lot: str
    warehouse: str
    released: bool
    reason: str | None = None  # required for a rejection


class HoldLot(Command):
    gtin: str
    lot: str
    reason: str


class ReleaseHold(Command):
    gtin: str
    lot: str
    reason: str


def inspect_lot(command: InspectLot, uow: InventoryUnitOfWork) -> StockItem:
    item = registered_item(uow, command.gtin, "gtin")
    item.inspect_lot(command.lot, command.warehouse, AVAILABLE if command.released else REJECTED, command.reason)
    return _saved(uow, item)


def hold_lot(command: HoldLot, uow: InventoryUnitOfWork) -> StockItem:
    item = registered_item(uow, command.gtin, "gtin")
    item.hold_lot(command.lot, command.reason)
    return _saved(uow, item)


def release_hold(command: ReleaseHold, uow: InventoryUnitOfWork) -> StockItem:
    item = registered_item(uow, command.gtin, "gtin")
    item.release_hold(command.lot, command.reason)
    return _saved(uow, item)


def _saved(uow: InventoryUnitOfWork, item: StockItem) -> StockItem:
    uow.collect(item)
    uow.commit()
    return item
