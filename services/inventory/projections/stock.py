"""Stock on hand by item, lot and warehouse, and the item list: read models of inventory's own events."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import AllocatedStockShipped, ItemRegistered, LotReceived, StockAllocated
from shared.platform.consumer import Projection


class StockOnHand(Projection):
    name = "inventory-stock-on-hand"
    subscribes_to = ("inventory",)

    @property
    def tables_ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {schema}.items (item_id uuid PRIMARY KEY, gtin char(14) UNIQUE NOT NULL,"
            " name text NOT NULL, device_class int NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}.stock_on_hand (gtin char(14) NOT NULL, lot text NOT NULL,"
            " warehouse text NOT NULL, expiry date NOT NULL, on_hand int NOT NULL, allocated int NOT NULL,"
            " PRIMARY KEY (gtin, lot, warehouse))",
            "CREATE INDEX IF NOT EXISTS stock_on_hand_expiry ON {schema}.stock_on_hand (expiry)",
        ]

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        stock = f"{self.schema}.stock_on_hand"
        match payload:
            case ItemRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.items VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.item_id, payload.gtin, payload.name, payload.device_class),
                )
            case LotReceived():
                cur.execute(
                    f"INSERT INTO {stock} AS s VALUES (%s, %s, %s, %s, %s, 0)"
                    " ON CONFLICT (gtin, lot, warehouse) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand",
                    (payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity),
                )
            case StockAllocated():
                for a in payload.allocations:
                    cur.execute(
                        f"UPDATE {stock} SET allocated = allocated + %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                        (a.quantity, payload.gtin, a.lot, a.warehouse),
                    )
            case AllocatedStockShipped():
                for a in payload.allocations:
                    cur.execute(
                        f"UPDATE {stock} SET allocated = allocated - %s, on_hand = on_hand - %s"
                        " WHERE gtin = %s AND lot = %s AND warehouse = %s",
                        (a.quantity, a.quantity, payload.gtin, a.lot, a.warehouse),
                    )
