"""Cancelling an order before it ships. One that never reached fulfilment (still on hold) is cancelled at once; one
in fulfilment is cancelled when inventory confirms nothing has shipped and its stock is released (reactions.py
turns inventory's answer into confirm_cancelled or refused). A cancelled order's contract volume is free again."""

from uuid import UUID

from services.order.application import OrderUnitOfWork
from services.order.application.holds import _within
from services.order.domain import SalesOrder
from services.order.domain.contracts import Contract
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.command import Command
from shared.platform.unit_of_work import UnitOfWork


class CancelOrder(Command):
    order_id: UUID  # the reason is the request's


class ConfirmCancelled(Command):
    order_id: UUID


class RefuseCancellation(Command):
    order_id: UUID
    reason: str


def cancel_order(command: CancelOrder, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    found = _within(uow, command.order_id, scope)
    if found.cancel():
        uow.collect(found)
        if found.status == "cancelled":
            _free_contract_volume(found, uow)
    uow.commit()
    return found


def confirm_cancelled(command: ConfirmCancelled, uow: UnitOfWork) -> SalesOrder | None:
    found = uow.get(command.order_id, SalesOrder)
    if found is not None and found.confirm_cancelled():
        uow.collect(found)
        _free_contract_volume(found, uow)
    uow.commit()
    return found


def refuse_cancellation(command: RefuseCancellation, uow: UnitOfWork) -> SalesOrder | None:
    found = uow.get(command.order_id, SalesOrder)
    if found is not None and found.cancellation_refused(command.reason):
        uow.collect(found)
    uow.commit()
    return found


def _free_contract_volume(order: SalesOrder, uow: UnitOfWork) -> None:
    for contract_id in order.called_off():
        contract = uow.get(contract_id, Contract)
        if contract is not None and contract.release_call_off(order.id):
            uow.collect(contract)
