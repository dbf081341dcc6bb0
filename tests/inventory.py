"""Inventory's commands as tests run them outside the API: each through its handler, in a unit of work of its own
(call inside acting_as). With a `pool`, the unit of work reads the real read models (dispatch asks the register of
open recalls: create its table first, e.g. tests/integration/helpers.py: open_recall_register)."""

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from psycopg_pool import ConnectionPool

from services.inventory.application import InventoryApplication, InventoryUnitOfWork, outbound, quality, receiving
from services.inventory.application import reservation, returns
from services.inventory.domain import Fulfilment, StockItem
from tests.items import registered_item
from tests.suppliers import qualified_supplier
from shared.domain.business_day import business_today


def receive(app: InventoryApplication, supplier_id: UUID, lines: list[dict[str, Any]]) -> list[StockItem]:
    """Goods received into quarantine (lines: gtin, lot, expiry, quantity, warehouse, ...)."""
    return receiving.receive_goods(receiving.ReceiveGoods(supplier_id=supplier_id, lines=tuple(lines)),
                                   InventoryUnitOfWork(app)).items


def release(app: InventoryApplication, gtin: str, lot: str, warehouse: str) -> StockItem:
    """Quality releases the lot in the warehouse."""
    return quality.inspect_lot(quality.InspectLot(gtin=gtin, lot=lot, warehouse=warehouse, released=True),
                               InventoryUnitOfWork(app))


def released_stock(app: InventoryApplication, gtin: str, lot: str, quantity: int, expiry: date,
                   warehouse: str = "WH1") -> UUID:
    """A lot of the item, registered here with its registration certificate (nothing is received without one),
    received from a supplier qualified here and released by quality; the supplier's id."""
    registered_item(app, gtin)
    supplier_id = qualified_supplier(app)
    receive(app, supplier_id, [{"gtin": gtin, "lot": lot, "expiry": expiry, "quantity": quantity,
                                "warehouse": warehouse}])
    release(app, gtin, lot, warehouse)
    return supplier_id


def reserve(app: InventoryApplication, order_id: UUID, lines: list[dict[str, Any]], today: date | None = None,
            hospital_id: UUID | None = None) -> Fulfilment:
    """The order reserved FEFO (or rejected), as the fulfilment planner does it (lines: line_no, gtin, quantity)."""
    fulfilment, _ = reservation.reserve_order(reservation.ReserveOrder(
        order_id=order_id, ship_to_hospital_id=hospital_id or uuid4(), lines=tuple(lines),
        today=today or business_today()), InventoryUnitOfWork(app))
    return fulfilment


def dispatch(app: InventoryApplication, pool: ConnectionPool, order_id: UUID, carrier: str = "SF Express",
             tracking_number: str = "SF1") -> Fulfilment:
    return outbound.dispatch(outbound.Dispatch(order_id=order_id, carrier=carrier, tracking_number=tracking_number),
                             InventoryUnitOfWork(app, pool))


def deliver(app: InventoryApplication, order_id: UUID, shipment_id: UUID, received_by: str | None = None) -> Fulfilment:
    return outbound.confirm_delivery(outbound.ConfirmDelivery(order_id=order_id, shipment_id=shipment_id,
                                                              received_by=received_by), InventoryUnitOfWork(app))


def accept(app: InventoryApplication, order_id: UUID, shipment_id: UUID, accepted_by: str) -> Fulfilment:
    return outbound.accept_shipment(outbound.AcceptShipment(order_id=order_id, shipment_id=shipment_id,
                                                            accepted_by=accepted_by), InventoryUnitOfWork(app))


def record_return(app: InventoryApplication, order_id: UUID, shipment_id: UUID, lines: list[dict[str, Any]],
                  reason: str = "damaged", disposition: str = "quarantine", warehouse: str = "WH-RET") -> Fulfilment:
    fulfilment, _ = returns.record_return(returns.RecordReturn(
        return_id=uuid4(), order_id=order_id, shipment_id=shipment_id, reason=reason, disposition=disposition,
        warehouse=warehouse, lines=tuple(lines)), InventoryUnitOfWork(app))
    return fulfilment
