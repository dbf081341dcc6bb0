"""Orders to list and filter by status, hold (a role's worklist: finance's credit holds) and hospital, from order's
own events."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.order import (
    OrderAmended, OrderBackordered, OrderCancelled, OrderHeld, OrderHoldReleased, OrderPlaced, OrderPriceApproved, OrderPriceRejected, OrderReleased, OrderReserved, OrderShipped,
)
from shared.platform.consumer import Projection


class OrderList(Projection):
    name = "order-list"
    subscribes_to = ("order",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.order_list (order_id uuid PRIMARY KEY, hospital_id uuid NOT NULL,"
        " customer_reference text, currency char(3) NOT NULL, total_amount numeric(18,2) NOT NULL,"
        " line_count int NOT NULL, status text NOT NULL, placed_at timestamptz NOT NULL,"
        " updated_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS order_list_status ON {schema}.order_list (status, placed_at)",
        # Added later: orders placed before it show no distributor until the projection is rebuilt.
        "ALTER TABLE {schema}.order_list ADD COLUMN IF NOT EXISTS ship_to_distributor_id uuid",
        # Added with holds: orders placed before carry none.
        "ALTER TABLE {schema}.order_list ADD COLUMN IF NOT EXISTS holds text[] NOT NULL DEFAULT '{{}}'",
        # Added with credit release expiry: until when finance's last credit release holds.
        "ALTER TABLE {schema}.order_list ADD COLUMN IF NOT EXISTS credit_release_expires_on date",
        "CREATE INDEX IF NOT EXISTS order_list_credit_release ON {schema}.order_list (credit_release_expires_on)"
        " WHERE credit_release_expires_on IS NOT NULL",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        table = f"{self.schema}.order_list"
        match payload:
            case OrderPlaced():
                total = sum(line.unit_price * line.quantity for line in payload.lines)
                cur.execute(
                    f"INSERT INTO {table} (order_id, hospital_id, customer_reference, currency, total_amount, line_count,"
                    " status, placed_at, updated_at, ship_to_distributor_id, holds)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.order_id, payload.hospital_id, payload.customer_reference, payload.currency, total,
                     len(payload.lines), _placed_status(payload), envelope.time, envelope.time,
                     payload.ship_to_distributor_id, list(payload.holds)),
                )
            case (OrderReserved() | OrderBackordered() | OrderShipped() | OrderReleased() | OrderPriceRejected()
                  | OrderCancelled()):
                status = getattr(payload, "status", None) or {
                    OrderReserved: "reserved", OrderBackordered: "backordered", OrderShipped: "shipped",
                    OrderReleased: "placed", OrderPriceRejected: "price_rejected",
                    OrderCancelled: "closed" if getattr(payload, "closed", False) else "cancelled"}[type(payload)]
                cur.execute(f"UPDATE {table} SET status = %s, updated_at = %s WHERE order_id = %s",
                            (status, envelope.time, payload.order_id))
                if isinstance(payload, OrderPriceRejected | OrderCancelled):
                    cur.execute(f"UPDATE {table} SET holds = '{{}}' WHERE order_id = %s", (payload.order_id,))
            case OrderAmended():
                total = sum(line.unit_price * line.quantity for line in payload.lines)
                cur.execute(f"UPDATE {table} SET total_amount = %s, line_count = %s, updated_at = %s,"
                            " status = CASE WHEN status = 'on_hold' THEN status ELSE %s END WHERE order_id = %s",
                            (total, len(payload.lines), envelope.time, payload.status or "placed", payload.order_id))
            case OrderHeld():
                cur.execute(f"UPDATE {table} SET holds = array_append(array_remove(holds, %s), %s), updated_at = %s"
                            " WHERE order_id = %s", (payload.hold, payload.hold, envelope.time, payload.order_id))
            case OrderHoldReleased() | OrderPriceApproved():
                hold = "price_approval" if isinstance(payload, OrderPriceApproved) else payload.hold
                cur.execute(f"UPDATE {table} SET holds = array_remove(holds, %s), updated_at = %s WHERE order_id = %s",
                            (hold, envelope.time, payload.order_id))
                if isinstance(payload, OrderHoldReleased) and payload.hold == "credit":
                    cur.execute(f"UPDATE {table} SET credit_release_expires_on = %s WHERE order_id = %s",
                                (payload.expires_on, payload.order_id))


def _placed_status(payload: OrderPlaced) -> str:
    """Consigned units used (a consumption order) were delivered already: shipped from the start."""
    if payload.order_type == "consumption":
        return "shipped"
    return "on_hold" if payload.holds else "placed"
