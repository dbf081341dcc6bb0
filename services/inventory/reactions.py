"""Process managers: events from the other services (and quality's own releases) become inventory's commands, run by
the same handlers as the API's, in the unit of work of the batch."""

from collections.abc import Callable
from datetime import date

from psycopg_pool import ConnectionPool

from services.inventory.application import InventoryApplication, InventoryUnitOfWork
from services.inventory.application import recall_stops, reservation
from shared.domain.business_day import business_day, business_today
from shared.events import CloudEvent, EventPayload
from shared.events.inventory import LotHoldReleased, LotInspected, StockDeallocated
from shared.events.order import (
    OrderAmendmentRequested, OrderCancellationRequested, OrderHeld, OrderHoldReleased, OrderPlaced, OrderReleased,
)
from shared.events.traceability import RecallClosed, RecallOpened, RecallScopeReduced
from shared.platform.consumer import ProcessManager


class InventoryProcessManager(ProcessManager):
    """Runs its reactions in inventory's unit of work, with its read models, also when a test builds it directly."""

    app: InventoryApplication

    def __init__(self, app: InventoryApplication, pool: ConnectionPool,
                 unit_of_work: Callable[[bool], InventoryUnitOfWork] | None = None) -> None:
        super().__init__(app, pool, unit_of_work or (
            lambda deferred: InventoryUnitOfWork(app, pool, deferred=deferred)))


def _day_of(envelope: CloudEvent) -> date:
    """The day in China the event happened: a replay decides as the first run did."""
    return business_day(envelope.time) if envelope.time.tzinfo else business_today()


class FulfilmentPlanner(InventoryProcessManager):
    """An order placed in the order service is reserved FEFO here, or backordered; one placed on hold (a typed price
    waiting for approval, a credit check failed) only when it is released. A hold put on an order already here stops
    its dispatch until it is released; a cancelled one is released, and an amended one re-planned, unless it has
    shipped."""

    name = "inventory-fulfilment-planner"
    subscribes_to = ("order",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: InventoryUnitOfWork) -> None:
        if isinstance(payload, OrderAmendmentRequested):
            reservation.amend_fulfilment(reservation.AmendFulfilment(
                order_id=payload.order_id, lines=_fulfilment_lines(payload.lines), today=_day_of(envelope),
                requested_delivery_date=payload.requested_delivery_date, delivery_address=payload.delivery_address), uow)
            return
        if isinstance(payload, OrderCancellationRequested):
            reservation.cancel_fulfilment(reservation.CancelFulfilment(order_id=payload.order_id), uow)
            return
        if isinstance(payload, OrderHeld | OrderHoldReleased):
            reservation.follow_order_hold(reservation.FollowOrderHold(
                order_id=payload.order_id, hold=payload.hold, held=isinstance(payload, OrderHeld)), uow)
            return
        if not isinstance(payload, OrderPlaced | OrderReleased) or (isinstance(payload, OrderPlaced) and payload.holds):
            return
        if payload.order_type == "consumption":  # consigned goods used where they were: nothing to ship
            return
        lines = _fulfilment_lines(payload.lines)
        reservation.reserve_order(reservation.ReserveOrder(
            order_id=payload.order_id, ship_to_hospital_id=payload.hospital_id, lines=lines, today=_day_of(envelope),
            requested_delivery_date=payload.requested_delivery_date,  # OrderReleased repeats what OrderPlaced said
            ship_to_distributor_id=payload.ship_to_distributor_id, ship_complete=payload.ship_complete,
            order_type=payload.order_type, delivery_address=payload.delivery_address), uow)


def _fulfilment_lines(lines: list) -> tuple[dict, ...]:
    """What fulfilment needs of an order's lines: number, GTIN, quantity, and the shelf-life minimum when asked."""
    return tuple({"line_no": line.line_no, "gtin": line.gtin, "quantity": line.quantity,
                  **({"min_remaining_shelf_life_days": line.min_remaining_shelf_life_days}
                     if line.min_remaining_shelf_life_days is not None else {}),
                  **({"deliveries": [{"date": d.date, "quantity": d.quantity} for d in line.deliveries]}
                     if line.deliveries else {})} for line in lines)


class BackorderRetries(InventoryProcessManager):
    """Stock released by quality (an inspection, or a hold released) or freed by an order cancelled or amended is
    offered to the orders backordered for that item, oldest first: each takes what it can (in full, for an order
    that ships complete); what is still short waits for the next release."""

    name = "inventory-backorder-retries"
    subscribes_to = ("inventory",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: InventoryUnitOfWork) -> None:
        released = isinstance(payload, LotInspected) and payload.result == "released"
        if released or isinstance(payload, LotHoldReleased | StockDeallocated):
            reservation.retry_backorders(reservation.RetryBackorders(gtin=payload.gtin, today=_day_of(envelope)), uow)


class RecallHolds(InventoryProcessManager):
    """Recalls opened in traceability stop their lots and units here (kit lots made from a recalled lot too), so they
    are neither reserved, picked, moved nor shipped; the stop lifts when the recall closes or an approved decision
    takes them out of its scope (a lot then stays on hold until quality releases it)."""

    name = "inventory-recall-holds"
    subscribes_to = ("traceability",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: InventoryUnitOfWork) -> None:
        match payload:
            case RecallOpened():
                recall_stops.stop_for_recall(recall_stops.StopForRecall(
                    recall_id=payload.recall_id, lots=_lots([*payload.lots, *payload.kit_lots]),
                    serials=_units(payload.serials),
                    reason=f"recall {payload.number or payload.title} ({payload.recall_id}): {payload.reason}"[:500]), uow)
            case RecallScopeReduced():
                recall_stops.lift_recall_stop(recall_stops.LiftRecallStop(
                    recall_id=payload.recall_id, lots=_lots(payload.lots), serials=_units(payload.serials),
                    cause="removed_from_scope", reason=f"taken out of the recall's scope: {payload.reason}"[:500]), uow)
            case RecallClosed() if payload.lots is not None or payload.serials is not None:
                recall_stops.lift_recall_stop(recall_stops.LiftRecallStop(
                    recall_id=payload.recall_id, lots=_lots(payload.lots or []), serials=_units(payload.serials or []),
                    cause="recall_closed", reason=f"recall closed: {payload.summary}"[:500]), uow)


def _lots(refs: list) -> tuple[tuple[str, str], ...]:
    return tuple((ref.gtin, ref.lot) for ref in refs)


def _units(refs: list) -> tuple[tuple[str, str], ...]:
    return tuple((unit.gtin, unit.serial) for unit in refs)
