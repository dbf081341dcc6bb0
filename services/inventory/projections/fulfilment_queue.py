"""The warehouse's worklist: each order's fulfilment with the units reserved and not yet shipped, how many of them
are picked, and its holds — what to pick next, oldest delivery date first, without knowing an order id."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    FulfilmentAmended, FulfilmentCancelled, FulfilmentHeld, FulfilmentHoldReleased, FulfilmentRequested,
    PicksConfirmed, ShipmentDispatched, StockReserved,
)
from shared.platform.consumer import Projection


class FulfilmentQueue(Projection):
    name = "inventory-fulfilment-queue"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.fulfilment_queue (order_id uuid PRIMARY KEY, fulfilment_id uuid NOT NULL,"
        " hospital_id uuid NOT NULL, distributor_id uuid, order_type text NOT NULL,"
        " requested_delivery_date date, requested_at timestamptz NOT NULL,"
        " reserved int NOT NULL DEFAULT 0, picked int NOT NULL DEFAULT 0, picking_required boolean NOT NULL"
        " DEFAULT false, holds text[] NOT NULL DEFAULT '{{}}', state text NOT NULL, updated_at timestamptz NOT NULL)",
        # The worklist: what is reserved and waits, by delivery date.
        "CREATE INDEX IF NOT EXISTS fulfilment_queue_waiting ON {schema}.fulfilment_queue"
        " (requested_delivery_date, requested_at) WHERE reserved > 0",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        q, at = f"{self.schema}.fulfilment_queue", envelope.time
        match payload:
            case FulfilmentRequested():
                cur.execute(f"INSERT INTO {q} (order_id, fulfilment_id, hospital_id, distributor_id, order_type,"
                            " requested_delivery_date, requested_at, state, updated_at)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'requested', %s) ON CONFLICT DO NOTHING",
                            (payload.order_id, payload.fulfilment_id, payload.ship_to_hospital_id,
                             payload.ship_to_distributor_id, payload.order_type, payload.requested_delivery_date,
                             at, at))
            case StockReserved():
                cur.execute(f"UPDATE {q} SET reserved = reserved + %s, picking_required = %s, state = 'reserved',"
                            " updated_at = %s WHERE order_id = %s",
                            (sum(line.quantity for line in payload.lines), payload.picking_required, at,
                             payload.order_id))
            case PicksConfirmed():
                cur.execute(f"UPDATE {q} SET picked = picked + %s, updated_at = %s WHERE order_id = %s",
                            (sum(line.quantity for line in payload.lines), at, payload.order_id))
            case ShipmentDispatched():  # one per warehouse: each takes its units off what waits
                shipped = sum(line.quantity for line in payload.lines)
                cur.execute(f"UPDATE {q} SET reserved = greatest(reserved - %s, 0), picked = greatest(picked - %s, 0),"
                            " state = CASE WHEN reserved <= %s THEN 'shipped' ELSE 'reserved' END, updated_at = %s"
                            " WHERE order_id = %s", (shipped, shipped, shipped, at, payload.order_id))
            case FulfilmentHeld():
                cur.execute(f"UPDATE {q} SET holds = array_append(array_remove(holds, %s), %s), updated_at = %s"
                            " WHERE order_id = %s", (payload.hold, payload.hold, at, payload.order_id))
            case FulfilmentHoldReleased():
                cur.execute(f"UPDATE {q} SET holds = array_remove(holds, %s), updated_at = %s WHERE order_id = %s",
                            (payload.hold, at, payload.order_id))
            case FulfilmentAmended():  # what was reserved is released; the amended lines are reserved again
                cur.execute(f"UPDATE {q} SET reserved = 0, picked = 0, state = 'requested', updated_at = %s"
                            " WHERE order_id = %s", (at, payload.order_id))
            case FulfilmentCancelled():
                cur.execute(f"UPDATE {q} SET reserved = 0, picked = 0, state = 'cancelled', updated_at = %s"
                            " WHERE order_id = %s", (at, payload.order_id))
