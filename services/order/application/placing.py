"""Placing an order: accepted once per id (a retry finds the first one), and only when the sale passes its checks
(domain/compliance.py) against the order service's copies of channel and inventory."""

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from services.order.application import OrderUnitOfWork
from services.order.domain import SalesOrder
from services.order.domain.compliance import SaleFacts, check_sale
from shared.platform.access import EVERYTHING, DataScope
from shared.domain.rules import NotFound
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork
from shared.platform.command import Command


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    gtin: str
    quantity: int
    unit_price: Decimal
    min_remaining_shelf_life_days: int | None = None


class PlaceOrder(Command):
    order_id: UUID
    hospital_id: UUID
    lines: tuple[OrderLine, ...]
    currency: str = "CNY"
    customer_reference: str | None = None
    requested_delivery_date: date | None = None  # shelf life and licences are judged on this day (default: today)
    ship_to_distributor_id: UUID | None = None


class _FactsWithinScope:
    """The sale's facts as a caller with a data scope sees them: a hospital whose orders the caller could not read is
    answered as unknown, so that placing an order reveals no more than reading one (shared/platform/access.py)."""

    def __init__(self, facts: SaleFacts, scope: DataScope, distributor_id: UUID | None) -> None:
        self.facts, self.scope, self.distributor_id = facts, scope, distributor_id

    def hospital_known(self, hospital_id: UUID) -> bool:
        province = self.facts.hospital_province(hospital_id)
        return province is not None and self.scope.covers(hospitals=[hospital_id], regions=[province],
                                                          distributors=[self.distributor_id])

    def __getattr__(self, name: str) -> object:
        return getattr(self.facts, name)


def place_order(command: PlaceOrder, uow: OrderUnitOfWork, scope: DataScope = EVERYTHING) -> tuple[SalesOrder, bool]:
    """The order, and whether this command placed it (False: a retry found the first one, which is not checked
    again: the facts may have changed since it was accepted)."""
    def place() -> SalesOrder:
        delivery_day = command.requested_delivery_date or datetime.now(UTC).date()
        facts = uow.sale_facts if scope.everything else _FactsWithinScope(uow.sale_facts, scope,
                                                                          command.ship_to_distributor_id)
        check_sale(facts, command.hospital_id, command.ship_to_distributor_id,
                   [line.gtin for line in command.lines], delivery_day, uow.app.settings.certificate_grace_until)
        return SalesOrder.place(command.order_id, command.hospital_id, command.customer_reference, command.currency,
                                [asdict(line) for line in command.lines], command.requested_delivery_date,
                                command.ship_to_distributor_id)

    return create_once(uow, command.order_id, SalesOrder, place)


def order(uow: UnitOfWork, order_id: UUID) -> SalesOrder:
    found = uow.get(order_id, SalesOrder)
    if found is None:
        raise NotFound("Order", order_id)
    return found
