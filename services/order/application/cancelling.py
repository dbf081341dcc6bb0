"""Cancelling what has not shipped of an order, or of one line. An order that never reached fulfilment (still on
hold) is cancelled at once; one in fulfilment when inventory has released what is reserved and not shipped
(reactions.py turns inventory's answer into confirm_cancelled or refused); after a partial delivery it is closed. The
contract volume that will not ship is free again. A line is cancelled by an amendment (amending.py) that leaves only
what shipped of it."""

from decimal import Decimal
from uuid import UUID

from services.order.application import OrderUnitOfWork
from services.order.application.holds import _within
from services.order.domain import SalesOrder
from services.order.domain.contracts import Contract
from services.order.domain.promotions import PromotionBudget
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.command import Command
from shared.platform.context import current_meta
from shared.platform.unit_of_work import UnitOfWork


class CancelOrder(Command):
    order_id: UUID  # the reason is the request's


class CancelLine(Command):
    order_id: UUID
    line_no: int  # the reason is the request's
    request_key: str | None = None  # the request's Idempotency-Key: a retry changes nothing


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


def cancel_line(command: CancelLine, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    found = _within(uow, command.order_id, scope)
    if command.request_key is not None and found.took_request(command.request_key):
        return found
    _free_contract_volume(found, uow)
    remaining = found.cancel_line(command.line_no, current_meta().actor, command.request_key)
    uow.collect(found)
    for contract_id, lines in found.called_off(lines=remaining).items():  # what the order's lines still take
        contract = uow.get(contract_id, Contract)
        if contract is not None and contract.restore_call_off(found.id, lines):
            uow.collect(contract)
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


def _free_promotion_budgets(order: SalesOrder, uow: UnitOfWork) -> None:
    """What a promotion gave the order comes back to its budget for what will not ship: a cancelled order keeps
    nothing of it, a closed one what its shipped units were given."""
    given: dict[str, Decimal] = {}
    for line in order.lines:
        explained = line.get("price_explanation") or {}
        if line.get("price_source") == "rule" and explained.get("winner") and explained.get("list_price"):
            discount = Decimal(explained["list_price"]) - Decimal(explained["price"])
            given[explained["winner"]] = given.get(explained["winner"], Decimal("0.00")) + (
                discount * order.shipped_of(line["line_no"])).quantize(Decimal("0.01"))
    for rule_id, amount in given.items():
        budget = uow.get(PromotionBudget.create_id(rule_id), PromotionBudget)
        if budget is not None and str(order.id) in budget.spent_by and budget.spend(order.id, amount):
            uow.collect(budget)


def _free_contract_volume(order: SalesOrder, uow: UnitOfWork) -> None:
    """Release the order's call-off, and what promotions gave it; a closed order keeps what shipped of it called off
    and given."""
    _free_promotion_budgets(order, uow)
    for contract_id in order.called_off():
        contract = uow.get(contract_id, Contract)
        if contract is not None and contract.release_call_off(order.id):
            uow.collect(contract)
    if order.status == "closed":
        for contract_id, lines in order.called_off(shipped_only=True).items():
            contract = uow.get(contract_id, Contract)
            if contract is not None and contract.restore_call_off(order.id, lines):
                uow.collect(contract)
