"""Recall stops: a recall opened in traceability stops its lots (kit lots made from them included) and serialised
units in every item that holds them; the stop lifts when the recall closes or an approved decision takes the goods
out of its scope (reactions.py: RecallHolds). A lot stays on hold after the lift until quality releases it.
Delivered again, a recall changes nothing: an item already stopped (or lifted) by it records nothing."""

from uuid import UUID

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain import StockItem, item_id_for
from shared.platform.command import Command

LotRef = tuple[str, str]     # (gtin, lot)
UnitRef = tuple[str, str]    # (gtin, serial)


class StopForRecall(Command):
    recall_id: UUID
    lots: tuple[LotRef, ...]
    serials: tuple[UnitRef, ...]
    reason: str


class LiftRecallStop(Command):
    recall_id: UUID
    lots: tuple[LotRef, ...]
    serials: tuple[UnitRef, ...]
    cause: str  # recall_closed, removed_from_scope
    reason: str


def stop_for_recall(command: StopForRecall, uow: InventoryUnitOfWork) -> list[StockItem]:
    """The items this recall stopped now (none when it had stopped them all before)."""
    changed = [item for item, lots, serials in _items_in_scope(uow, command.lots, command.serials)
               if item.recalls.stop(str(command.recall_id), lots, serials, command.reason)]
    uow.collect(*changed)
    uow.commit()
    return changed


def lift_recall_stop(command: LiftRecallStop, uow: InventoryUnitOfWork) -> list[StockItem]:
    changed = [item for item, lots, serials in _items_in_scope(uow, command.lots, command.serials)
               if item.recalls.lift(str(command.recall_id), lots, serials, command.cause, command.reason)]
    uow.collect(*changed)
    uow.commit()
    return changed


def _items_in_scope(uow: InventoryUnitOfWork, lots: tuple[LotRef, ...],
                    serials: tuple[UnitRef, ...]) -> list[tuple[StockItem, list[str], list[str]]]:
    """Per item this inventory holds, its lots and serials in the scope (an item never held here has nothing to stop)."""
    scope: dict[str, tuple[list[str], list[str]]] = {}
    for gtin, lot in lots:
        scope.setdefault(gtin, ([], []))[0].append(lot)
    for gtin, serial in serials:
        scope.setdefault(gtin, ([], []))[1].append(serial)
    found = [(uow.get(item_id_for(gtin), StockItem), lots_, serials_) for gtin, (lots_, serials_) in sorted(scope.items())]
    return [(item, lots_, serials_) for item, lots_, serials_ in found if item is not None]
