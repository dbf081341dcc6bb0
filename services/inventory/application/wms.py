"""Messages from an external warehouse system (WMS/TMS): goods receipts, stock moves, picks and shipments, under the
rules of the ordinary commands (each wraps receiving, stock_control or outbound), applied once per external
reference.

A message is saved as an ExternalMessage with the stock changes it caused, in one transaction. Sent again, it gets
the first result back and stores nothing; another payload under a used reference is refused; a refused message
stores nothing and leaves its reference free (a shipment refused because picking is incomplete can be sent again
under its reference once every unit is picked).
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from services.inventory.application import InventoryUnitOfWork, outbound, receiving, stock_control
from services.inventory.domain.external import ExternalMessage, external_message_id
from shared.domain.rules import RuleViolation
from shared.platform.eventstore import IntegrityError
from shared.platform.command import Command

Result = dict[str, Any]  # what the WMS is answered (and what a repeat gets back), as JSON


class WmsMessage(Command):
    external_reference: str
    payload: dict[str, Any]  # the message as the WMS sent it, reference aside: what "the same message" means


class WmsReceipt(WmsMessage):
    receipt: receiving.ReceiveGoods


class WmsStockMove(WmsMessage):
    move: stock_control.MoveStock


class WmsPicks(WmsMessage):
    picks: outbound.ConfirmPicks


class WmsShipment(WmsMessage):
    shipment: outbound.Dispatch


def receive(message: WmsReceipt, uow: InventoryUnitOfWork) -> tuple[Result, bool]:
    """The result (the receipt and its warnings) and whether this message was new."""
    def apply() -> Result:
        receipt_id = uuid5(NAMESPACE_URL, f"erp:inventory:wms-receipt:{message.external_reference}")
        receipt = receiving.receive_goods(replace(message.receipt, receipt_id=receipt_id), uow)
        return {"receipt_id": str(receipt.receipt_id), "warnings": receipt.warnings}

    return _accept_once(uow, message, "receipt", apply)


def move(message: WmsStockMove, uow: InventoryUnitOfWork) -> tuple[Result, bool]:
    def apply() -> Result:
        item = stock_control.move_stock(replace(message.move, move_id=message.external_reference), uow)
        return {"item_id": str(item.id), "item_version": item.version}

    return _accept_once(uow, message, "stock_move", apply)


def pick(message: WmsPicks, uow: InventoryUnitOfWork) -> tuple[Result, bool]:
    """The result names the lines this message confirmed and what is left to pick."""
    def apply() -> Result:
        before = len(outbound.fulfilment(uow, message.picks.order_id).picked)
        fulfilment = outbound.confirm_picks(message.picks, uow)
        return _json({"order_id": fulfilment.order_id, "picked": fulfilment.picked[before:],
                      "units_to_pick": fulfilment.units_to_pick, "picks_complete": fulfilment.picks_complete})

    return _accept_once(uow, message, "pick", apply)


def ship(message: WmsShipment, uow: InventoryUnitOfWork) -> tuple[Result, bool]:
    """The result holds the shipments this message created (one per warehouse)."""
    def apply() -> Result:
        before = len(outbound.fulfilment(uow, message.shipment.order_id).shipments)
        fulfilment = outbound.dispatch(message.shipment, uow)
        return _json({"order_id": fulfilment.order_id, "status": fulfilment.status,
                      "shipments": fulfilment.shipments[before:]})

    return _accept_once(uow, message, "shipment", apply)


def _accept_once(uow: InventoryUnitOfWork, message: WmsMessage, kind: str,
                 apply: Callable[[], Result]) -> tuple[Result, bool]:
    digest = payload_sha256({"kind": kind, **message.payload})
    if (seen := _earlier(uow, message.external_reference, kind, digest)) is not None:
        return seen, False
    with uow.as_one_command():
        result = apply()
    uow.collect(ExternalMessage(external_reference=message.external_reference, kind=kind, payload_sha256=digest,
                                result=result))
    try:
        uow.commit()
    except IntegrityError:
        # The same message delivered twice at once: the other delivery won (the message's id is the reference's).
        if (seen := _earlier(uow, message.external_reference, kind, digest)) is not None:
            return seen, False
        raise
    return result, True


def _earlier(uow: InventoryUnitOfWork, reference: str, kind: str, digest: str) -> Result | None:
    """The first result of this message, if it was applied; refused when the reference was used for another."""
    message = uow.get(external_message_id(reference), ExternalMessage)
    if message is None:
        return None
    if (message.kind, message.payload_sha256) != (kind, digest):
        raise RuleViolation("external-reference-unique", f"external reference {reference!r} was already used for a"
                            f" different {kind} message; nothing was stored", external_reference=reference)
    return message.result


def payload_sha256(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json(value: Result) -> Result:
    """As the WMS is answered (and the answer stored): ids and dates as strings."""
    return json.loads(json.dumps(value, default=str))
