"""Per lot, what the retention report needs (domain/retention.py): its expiry, the first and the last day (China's)
purchase or sales records were made of it — receipts, kit lots made, shipments, returns, moves, adjustments, kit
components consumed, consignment placements, usage and returns — and whether its item is an implant (the item
master's tracking). Read by GET /retention."""

from psycopg import Cursor

from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    AllocatedStockShipped, ComponentsConsumed, ConsignmentStockPlaced, ConsignmentStockReturned, ConsignmentUsed,
    ItemRegistered, KitAssembled, LotReceived, StockAdjusted, StockMoved, StockReturned, TrackingSet,
)
from shared.platform.consumer import Projection


class LotRetention(Projection):
    name = "inventory-retention"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.retention_items (gtin char(14) PRIMARY KEY, name text NOT NULL,"
        " implant boolean NOT NULL DEFAULT false)",
        "CREATE TABLE IF NOT EXISTS {schema}.retention_lots (gtin char(14) NOT NULL, lot text NOT NULL,"
        " expiry date NOT NULL, first_recorded date NOT NULL, last_movement date NOT NULL, PRIMARY KEY (gtin, lot))",
        "CREATE INDEX IF NOT EXISTS retention_lots_expiry ON {schema}.retention_lots (expiry)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        day = business_day(envelope.time)
        match payload:
            case ItemRegistered():
                cur.execute(f"INSERT INTO {self.schema}.retention_items (gtin, name) VALUES (%s, %s)"
                            " ON CONFLICT (gtin) DO NOTHING", (payload.gtin, payload.name))
            case TrackingSet():
                cur.execute(f"UPDATE {self.schema}.retention_items SET implant = %s WHERE gtin = %s",
                            (payload.implant, payload.gtin))
            case LotReceived() | KitAssembled() | StockMoved() | StockReturned():
                self._recorded(cur, payload.gtin, payload.lot, payload.expiry, day)
            case AllocatedStockShipped():
                for allocation in payload.allocations:
                    self._recorded(cur, payload.gtin, allocation.lot, allocation.expiry, day)
            case ComponentsConsumed():
                for allocation in payload.consumed:
                    self._recorded(cur, payload.gtin, allocation.lot, allocation.expiry, day)
            case ConsignmentStockPlaced() | ConsignmentUsed() | ConsignmentStockReturned():
                for line in payload.lines:
                    self._recorded(cur, line.gtin, line.lot, line.expiry, day)
            case StockAdjusted():  # names no expiry: a lot already known
                cur.execute(f"UPDATE {self.schema}.retention_lots SET last_movement = greatest(last_movement, %s)"
                            " WHERE gtin = %s AND lot = %s", (day, payload.gtin, payload.lot))

    def _recorded(self, cur: Cursor, gtin: str, lot: str, expiry: object, day: object) -> None:
        """Records were made of the lot on `day`; a lot received again under a later expiry is kept to the later."""
        cur.execute(
            f"INSERT INTO {self.schema}.retention_lots AS r (gtin, lot, expiry, first_recorded, last_movement)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin, lot) DO UPDATE SET"
            " expiry = greatest(r.expiry, EXCLUDED.expiry), first_recorded = least(r.first_recorded, EXCLUDED.first_recorded),"
            " last_movement = greatest(r.last_movement, EXCLUDED.last_movement)",
            (gtin, lot, expiry, day, day))
