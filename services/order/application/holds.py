"""Holds on an order: a typed price approved or rejected by a pricing manager; a hold a person places (manual,
compliance) and its release, and a credit hold's release by finance (with until when it holds). Each by the role that
owns it, with a reason, and never by the person who placed the order when it is a price (four eyes)."""

from datetime import date
from decimal import Decimal
from uuid import UUID

from services.order.application import OrderUnitOfWork, credit
from services.order.application.placing import order
from services.order.domain import SalesOrder
from shared.platform.access import EVERYTHING, DataScope
from shared.platform.command import Command
from shared.platform.context import current_meta


def _within(uow: OrderUnitOfWork, order_id: UUID, scope: DataScope) -> SalesOrder:
    found = order(uow, order_id)
    if not scope.everything:
        province = uow.sale_facts.hospital_province(found.hospital_id)
        scope.require("Order", found.id, hospitals=[found.hospital_id], distributors=[found.ship_to_distributor_id],
                      regions=[province])
    return found


class DecidePrice(Command):
    order_id: UUID
    approve: bool  # the reason is the request's (recorded on the event)


def decide_price(command: DecidePrice, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    """A pricing manager, not the person who placed the order, approves its typed prices (fulfilment starts) or
    rejects them (the order ends there)."""
    found = _within(uow, command.order_id, scope)
    if command.approve:
        found.approve_price(current_meta().actor)
    else:
        found.reject_price(current_meta().actor)
    uow.collect(found)
    uow.commit()
    return found


class PlaceHold(Command):
    order_id: UUID
    hold: str  # manual | compliance; the reason is the request's


class ReleaseHold(Command):
    order_id: UUID
    hold: str  # credit | compliance | manual
    expires_on: date | None = None  # a credit release: until when it holds


def place_hold(command: PlaceHold, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    found = _within(uow, command.order_id, scope)
    if found.hold(command.hold):
        uow.collect(found)
    uow.commit()
    return found


def release_hold(command: ReleaseHold, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> SalesOrder:
    found = _within(uow, command.order_id, scope)
    found.release_hold(command.hold, current_meta().actor, command.expires_on)
    uow.collect(found)
    uow.commit()
    return found


class ExpireCreditReleases(Command):
    today: date  # the reason is the request's


def expire_credit_releases(command: ExpireCreditReleases, uow: OrderUnitOfWork) -> list[SalesOrder]:
    """The orders whose credit release expired before `today` with something left to ship are checked again: one the
    customer's credit no longer covers goes back on a credit hold (each in its own transaction). Run daily."""
    held = []
    for order_id in uow.credit_facts.lapsed_credit_releases(command.today):
        order = uow.get(order_id, SalesOrder)
        if order is None:
            continue
        bill_to = order.ship_to_distributor_id or order.hospital_id
        # The order's open value is in the exposure already: the check asks whether the exposure is still covered.
        if credit.check(uow, bill_to, order.currency, Decimal(0), command.today) and order.credit_release_lapsed():
            uow.collect(order)
            uow.commit()
            held.append(order)
    return held
