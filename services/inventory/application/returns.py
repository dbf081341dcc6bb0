"""Returns (RMA) against a shipment, with a reason and a disposition: never more back than went out; the goods come
back into quarantine (restock, quarantine) or are scrapped — the fulfilment and the items in one transaction. A
retry with the same Idempotency-Key (the same return id) records nothing again."""

from typing import Any
from uuid import UUID

from services.inventory.application import InventoryUnitOfWork, consignment
from services.inventory.domain.consignment import CONSIGNED
from services.inventory.application.outbound import fulfilment
from services.inventory.domain import Fulfilment, StockItem, item_id_for
from shared.platform.command import Command


class RecordReturn(Command):
    return_id: UUID
    order_id: UUID
    shipment_id: UUID
    reason: str        # damaged, expired, wrong_item, recall, other
    disposition: str   # restock, quarantine, scrap
    warehouse: str     # where the goods come back to
    lines: tuple[dict[str, Any], ...]  # gtin, lot, quantity, serials
    note: str | None = None
    credit: bool = True  # the customer is credited for the goods (billing's credit note)


def record_return(command: RecordReturn, uow: InventoryUnitOfWork) -> tuple[Fulfilment, bool]:
    """The fulfilment with the return, and whether this command recorded it (False: a retry found it)."""
    found = fulfilment(uow, command.order_id)
    if any(str(r["return_id"]) == str(command.return_id) for r in found.returns):
        return found, False
    returned = found.record_return(command.return_id, command.shipment_id, command.reason, command.disposition,
                                   command.warehouse, [dict(line) for line in command.lines], command.note,
                                   command.credit)
    uow.collect(found)  # first: the return, then its stock effects
    if found.kind in CONSIGNED:  # the rest of a loaner set, or consignment stock withdrawn: it must be there still
        location = consignment.location_of(found, uow)
        location.take_back(command.return_id, returned)
        uow.collect(location)
    for line in returned:
        item = uow.get(item_id_for(line["gtin"]), StockItem)  # it shipped from here, so it is registered
        item.returns.receive(line["lot"], line["expiry"], command.warehouse, line["quantity"],
                             return_id=command.return_id, order_id=command.order_id, shipment_id=command.shipment_id,
                             reason=command.reason, disposition=command.disposition)
        uow.collect(item)
    uow.commit()
    return found, True
