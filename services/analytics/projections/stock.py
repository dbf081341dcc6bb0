"""The stock read model for inventory health: units on hand per lot and warehouse with their quality status and
expiry, the lots on hold, the units shipped per item and day, and the units written off (domain/stock.py says what
the report makes of them). From inventory's events only."""

from psycopg import Cursor

from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    AllocatedStockShipped, ComponentsConsumed, KitAssembled, LotHeld, LotHoldReleased, LotInspected, LotReceived,
    StockAdjusted, StockMoved, StockReturned,
)
from shared.platform.consumer import Projection


class Stock(Projection):
    name = "analytics-stock"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.stock_lots (gtin text NOT NULL, lot text NOT NULL, warehouse text NOT"
        " NULL, expiry date NOT NULL, on_hand int NOT NULL, quality text NOT NULL, PRIMARY KEY (gtin, lot, warehouse))",
        "CREATE INDEX IF NOT EXISTS stock_lots_expiry ON {schema}.stock_lots (expiry) WHERE on_hand <> 0",
        "CREATE TABLE IF NOT EXISTS {schema}.stock_holds (gtin text NOT NULL, lot text NOT NULL,"
        " PRIMARY KEY (gtin, lot))",
        "CREATE TABLE IF NOT EXISTS {schema}.stock_shipped (gtin text NOT NULL, on_date date NOT NULL,"
        " units int NOT NULL, PRIMARY KEY (gtin, on_date))",
        "CREATE TABLE IF NOT EXISTS {schema}.stock_write_offs (gtin text NOT NULL, lot text NOT NULL,"
        " warehouse text NOT NULL, on_date date NOT NULL, expiry date NOT NULL, units int NOT NULL)",
        "CREATE INDEX IF NOT EXISTS stock_write_offs_day ON {schema}.stock_write_offs (on_date)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        lots = f"{self.schema}.stock_lots"
        match payload:
            case LotReceived():
                self._add(cur, payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity,
                          payload.status)
            case LotInspected():
                cur.execute(f"UPDATE {lots} SET quality = %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            ("available" if payload.result == "released" else "rejected", payload.gtin, payload.lot,
                             payload.warehouse))
            case LotHeld():
                cur.execute(f"INSERT INTO {self.schema}.stock_holds VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            (payload.gtin, payload.lot))
            case LotHoldReleased():
                cur.execute(f"DELETE FROM {self.schema}.stock_holds WHERE gtin = %s AND lot = %s",
                            (payload.gtin, payload.lot))
            case AllocatedStockShipped():
                for a in payload.allocations:
                    self._take(cur, payload.gtin, a.lot, a.warehouse, a.quantity)
                cur.execute(f"INSERT INTO {self.schema}.stock_shipped AS s VALUES (%s, %s, %s) ON CONFLICT"
                            " (gtin, on_date) DO UPDATE SET units = s.units + EXCLUDED.units",
                            (payload.gtin, business_day(envelope.time), sum(a.quantity for a in payload.allocations)))
            case StockMoved() if payload.from_warehouse != payload.to_warehouse:
                self._take(cur, payload.gtin, payload.lot, payload.from_warehouse, payload.quantity)
                self._add(cur, payload.gtin, payload.lot, payload.to_warehouse, payload.expiry, payload.quantity,
                          "available")  # only available stock moves
            case StockAdjusted():
                cur.execute(f"UPDATE {lots} SET on_hand = %s WHERE gtin = %s AND lot = %s AND warehouse = %s"
                            " RETURNING expiry", (payload.on_hand, payload.gtin, payload.lot, payload.warehouse))
                row = cur.fetchone()
                if row is not None and payload.quantity_change < 0:
                    cur.execute(f"INSERT INTO {self.schema}.stock_write_offs VALUES (%s, %s, %s, %s, %s, %s)",
                                (payload.gtin, payload.lot, payload.warehouse, business_day(envelope.time),
                                 row["expiry"], -payload.quantity_change))
            case StockReturned() if payload.status == "quarantine":
                self._add(cur, payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity,
                          "quarantine")
            case ComponentsConsumed():
                for c in payload.consumed:
                    self._take(cur, payload.gtin, c.lot, c.warehouse, c.quantity)
            case KitAssembled():
                self._add(cur, payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity,
                          "quarantine")

    def _add(self, cur: Cursor, gtin: str, lot: str, warehouse: str, expiry: object, units: int,
             quality: str) -> None:
        """Units into a lot's stock in a warehouse; stock already there keeps its status (a receipt into quarantine
        of a lot already available there is inspected with it)."""
        cur.execute(f"INSERT INTO {self.schema}.stock_lots AS s VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT"
                    " (gtin, lot, warehouse) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand",
                    (gtin, lot, warehouse, expiry, units, quality))

    def _take(self, cur: Cursor, gtin: str, lot: str, warehouse: str, units: int) -> None:
        cur.execute(f"UPDATE {self.schema}.stock_lots SET on_hand = on_hand - %s WHERE gtin = %s AND lot = %s"
                    " AND warehouse = %s", (units, gtin, lot, warehouse))
