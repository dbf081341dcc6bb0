"""Backordered orders per item, oldest first: what to try to reserve again when stock of the item is released. An
order partly reserved keeps its place for what is still short."""

from datetime import date
from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    FulfilmentAmended, FulfilmentCancelled, FulfilmentDeliveriesDue, FulfilmentDeliveriesScheduled,
    StockReservationRejected, StockReserved,
)
from shared.platform.consumer import Projection
from shared.platform.read_models import ReadModels


class Backorders(Projection):
    name = "inventory-backorders"
    subscribes_to = ("inventory",)

    tables_ddl = ("CREATE TABLE IF NOT EXISTS {schema}.backorders (order_id uuid NOT NULL, gtin char(14) NOT NULL,"
                  " backordered_at timestamptz NOT NULL, PRIMARY KEY (gtin, order_id))",)

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case FulfilmentDeliveriesDue():  # due and waiting for stock until a reservation says otherwise
                for line in payload.deliveries:
                    cur.execute(f"INSERT INTO {self.schema}.backorders VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                                (payload.order_id, line.gtin, envelope.time))
            case StockReservationRejected():
                for shortage in payload.shortages:
                    cur.execute(f"INSERT INTO {self.schema}.backorders VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                                (payload.order_id, shortage.gtin, envelope.time))
            case StockReserved():  # what is still short keeps its place in the queue; the rest is reserved
                cur.execute(f"DELETE FROM {self.schema}.backorders WHERE order_id = %s AND NOT gtin = ANY(%s)",
                            (payload.order_id, sorted({line.gtin for line in payload.backordered})))
                for line in payload.backordered:
                    cur.execute(f"INSERT INTO {self.schema}.backorders VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                                (payload.order_id, line.gtin, envelope.time))
            case FulfilmentCancelled() | FulfilmentAmended():  # no longer wanted, or planned again
                cur.execute(f"DELETE FROM {self.schema}.backorders WHERE order_id = %s", (payload.order_id,))


class BackorderQueue:
    """The port backorder retries ask (application/__init__.py: BackordersPort)."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.reads = ReadModels(pool, schema)

    def waiting_for(self, gtin: str, limit: int = 100) -> list[UUID]:
        """The orders waiting for stock of this item, oldest first (at most `limit` per release)."""
        rows = self.reads.all("SELECT order_id FROM {schema}.backorders WHERE gtin = %s"
                              " ORDER BY backordered_at, order_id LIMIT %s", (gtin, limit))
        return [r["order_id"] for r in rows]


class ScheduledDeliveries(Projection):
    """The days each order's scheduled deliveries (delivery plans) fall on: what to reserve as they come due."""

    name = "inventory-scheduled-deliveries"
    subscribes_to = ("inventory",)

    tables_ddl = ("CREATE TABLE IF NOT EXISTS {schema}.scheduled_deliveries (order_id uuid NOT NULL,"
                  " delivery_date date NOT NULL, PRIMARY KEY (order_id, delivery_date))",
                  "CREATE INDEX IF NOT EXISTS scheduled_deliveries_by_day ON {schema}.scheduled_deliveries"
                  " (delivery_date)")

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case FulfilmentDeliveriesScheduled():
                for line in payload.deliveries:
                    cur.execute(f"INSERT INTO {self.schema}.scheduled_deliveries VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                (payload.order_id, line.delivery_date))
            case FulfilmentDeliveriesDue():
                cur.execute(f"DELETE FROM {self.schema}.scheduled_deliveries WHERE order_id = %s"
                            " AND delivery_date = ANY(%s)", (payload.order_id, [d.delivery_date for d in payload.deliveries]))
            case FulfilmentCancelled() | FulfilmentAmended():  # nothing more, or planned again
                cur.execute(f"DELETE FROM {self.schema}.scheduled_deliveries WHERE order_id = %s", (payload.order_id,))


class DueDeliveries:
    """The port reserving due deliveries asks (application/__init__.py: SchedulesPort)."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.reads = ReadModels(pool, schema)

    def due_by(self, day: date, limit: int = 500) -> list[UUID]:
        rows = self.reads.all("SELECT DISTINCT order_id, min(delivery_date) AS first FROM {schema}.scheduled_deliveries"
                              " WHERE delivery_date <= %s GROUP BY order_id ORDER BY first, order_id LIMIT %s",
                              (day, limit))
        return [r["order_id"] for r in rows]
