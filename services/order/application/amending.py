"""Amending an order before it ships: new lines (quantities changed, lines added or removed) and requested delivery
date. Every check placing runs is run again (sale, contract, prices, and credit on the increase); a contract's
call-off follows the new quantities. An order still on hold takes the amendment at once; one in fulfilment asks
inventory, which re-plans the reservation (releasing what is no longer needed, reserving FEFO) unless something has
shipped (reactions.py turns its answer into confirm_amendment or refuse_amendment)."""

from datetime import date
from uuid import UUID

from services.order.application import OrderUnitOfWork, placing
from services.order.application.holds import _within
from services.order.domain import SalesOrder
from services.order.domain.contracts import Contract
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.command import Command
from shared.platform.context import current_meta
from shared.platform.unit_of_work import UnitOfWork


class AmendOrder(Command):
    order_id: UUID
    lines: tuple[placing.OrderLine, ...]
    requested_delivery_date: date | None = None  # the reason is the request's
    delivery_address: str | None = None  # the order's from now on (absent: the customer's registered address)
    request_key: str | None = None  # the request's Idempotency-Key: a retry changes nothing


class ConfirmAmendment(Command):
    order_id: UUID


class RefuseAmendment(Command):
    order_id: UUID
    reason: str


def amend_order(command: AmendOrder, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    order = _within(uow, command.order_id, scope)
    if command.request_key is not None and order.took_request(command.request_key):
        return order  # a retry of an amendment already taken (or waiting for inventory)
    order.require_amendable()
    _release_call_offs(order, uow)  # the checks below call off the new quantities, under the same contract
    checked = placing._accepted(placing.PlaceOrder(
        order_id=order.id, hospital_id=order.hospital_id, lines=command.lines, currency=order.currency,
        customer_reference=order.customer_reference, requested_delivery_date=command.requested_delivery_date,
        ship_to_distributor_id=order.ship_to_distributor_id, contract_id=next(iter(order.called_off()), None)),
        uow, scope, counted=placing.value_of(order.lines))
    credit_reason = next((h["reason"] for h in checked.hold_history if h["hold"] == "credit"), None)
    order.amend(checked.lines, command.requested_delivery_date, checked.holds, credit_reason, current_meta().actor,
                delivery_address=command.delivery_address, request_key=command.request_key)
    uow.collect(order)
    uow.commit()
    return order


def confirm_amendment(command: ConfirmAmendment, uow: UnitOfWork) -> SalesOrder | None:
    order = uow.get(command.order_id, SalesOrder)
    if order is not None and order.confirm_amendment():
        uow.collect(order)
    uow.commit()
    return order


def refuse_amendment(command: RefuseAmendment, uow: UnitOfWork) -> SalesOrder | None:
    """Inventory could not take the amendment (something shipped): the order keeps its lines, and the contract its
    earlier call-off."""
    order = uow.get(command.order_id, SalesOrder)
    if order is not None and order.pending_amendment is not None:
        pending = order.pending_amendment["lines"]
        order.refuse_amendment(command.reason)
        uow.collect(order)
        for contract_id in {line["contract_id"] for line in pending if line.get("price_source") == "contract"}:
            contract = uow.get(contract_id, Contract)
            if contract is not None and contract.release_call_off(order.id):
                uow.collect(contract)
        for contract_id, lines in order.called_off().items():
            contract = uow.get(contract_id, Contract)
            if contract is not None and contract.restore_call_off(order.id, lines):
                uow.collect(contract)
    uow.commit()
    return order


def _release_call_offs(order: SalesOrder, uow: UnitOfWork) -> None:
    for contract_id in order.called_off():
        contract = uow.get(contract_id, Contract)
        if contract is not None and contract.release_call_off(order.id):
            uow.collect(contract)
