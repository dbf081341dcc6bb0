"""Stock on hand by item, lot and warehouse with its quality status, the item list and the supplier list:
read models of inventory's own events."""

from datetime import date

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    AllocatedStockShipped, ItemRegistered, LotHeld, LotHoldReleased, LotInspected, LotReceived, RecallStopLifted,
    RegistrationCertificateSet, StockAllocated, StockDeallocated, SupplierQualificationRecorded, SupplierRegistered,
)
from shared.events.inventory import (  # stock control
    StockAdjusted, StockMoved, StockNearingExpiry,
)
from services.inventory.projections.returns import OUTBOUND_STOCK_EVENTS, apply_outbound_stock
from shared.platform.consumer import Projection
from shared.platform.read_models import ReadModels

# The status a reader sees: on hold overrides the quality status (quarantine, available, rejected).
STATUS_SQL = "CASE WHEN held THEN 'on_hold' ELSE quality END"


class StockOnHand(Projection):
    name = "inventory-stock-on-hand"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.items (item_id uuid PRIMARY KEY, gtin char(14) UNIQUE NOT NULL,"
        " name text NOT NULL, device_class int NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.stock_on_hand (gtin char(14) NOT NULL, lot text NOT NULL,"
        " warehouse text NOT NULL, expiry date NOT NULL, on_hand int NOT NULL, allocated int NOT NULL,"
        " PRIMARY KEY (gtin, lot, warehouse))",
        "CREATE INDEX IF NOT EXISTS stock_on_hand_expiry ON {schema}.stock_on_hand (expiry)",
        # Added with quality inspection: stock received before it was available at once.
        "ALTER TABLE {schema}.stock_on_hand ADD COLUMN IF NOT EXISTS quality text NOT NULL DEFAULT 'available'",
        "ALTER TABLE {schema}.stock_on_hand ADD COLUMN IF NOT EXISTS held boolean NOT NULL DEFAULT false",
        "ALTER TABLE {schema}.stock_on_hand ADD COLUMN IF NOT EXISTS location text",
        "ALTER TABLE {schema}.stock_on_hand ADD COLUMN IF NOT EXISTS near_expiry boolean NOT NULL DEFAULT false",
        "CREATE TABLE IF NOT EXISTS {schema}.suppliers (supplier_id uuid PRIMARY KEY, name text NOT NULL,"
        " credit_code text, registered_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.supplier_documents (supplier_id uuid NOT NULL, document_type text NOT NULL,"
        " number text NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL,"
        " PRIMARY KEY (supplier_id, document_type, number, valid_from))",
        # Stock control: the tightest near-expiry threshold reported for the lot in the warehouse.
        "ALTER TABLE {schema}.stock_on_hand ADD COLUMN IF NOT EXISTS near_expiry_threshold int",
        # The item list shows model, manufacturer and certificate (added later: rebuild to fill older items).
        "ALTER TABLE {schema}.items ADD COLUMN IF NOT EXISTS model text",
        "ALTER TABLE {schema}.items ADD COLUMN IF NOT EXISTS manufacturer text",
        "ALTER TABLE {schema}.items ADD COLUMN IF NOT EXISTS certificate_number text",
        "ALTER TABLE {schema}.items ADD COLUMN IF NOT EXISTS certificate_valid_to date",
        # Lots an open recall stops, also before any stock of them arrived: stock received later is held too.
        "CREATE TABLE IF NOT EXISTS {schema}.recall_stops (gtin char(14) NOT NULL, lot text NOT NULL,"
        " recall_id uuid NOT NULL, PRIMARY KEY (gtin, lot, recall_id))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        stock = f"{self.schema}.stock_on_hand"
        match payload:
            case ItemRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.items (item_id, gtin, name, device_class, model, manufacturer)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.item_id, payload.gtin, payload.name, payload.device_class, payload.model,
                     payload.manufacturer),
                )
            case RegistrationCertificateSet():
                cur.execute(f"UPDATE {self.schema}.items SET certificate_number = %s, certificate_valid_to = %s"
                            " WHERE gtin = %s", (payload.number, payload.valid_to, payload.gtin))
            case LotReceived():
                # A lot number on hold (or stopped by a recall) is held in every warehouse, also one it arrives in later.
                cur.execute(
                    f"INSERT INTO {stock} AS s (gtin, lot, warehouse, expiry, on_hand, allocated, quality, held, location,"
                    " near_expiry) VALUES (%s, %s, %s, %s, %s, 0, %s,"
                    f" EXISTS (SELECT 1 FROM {stock} h WHERE h.gtin = %s AND h.lot = %s AND h.held)"
                    f" OR EXISTS (SELECT 1 FROM {self.schema}.recall_stops r WHERE r.gtin = %s AND r.lot = %s), %s, %s)"
                    " ON CONFLICT (gtin, lot, warehouse) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand,"
                    " location = coalesce(EXCLUDED.location, s.location), near_expiry = s.near_expiry OR EXCLUDED.near_expiry",
                    (payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity, payload.status,
                     payload.gtin, payload.lot, payload.gtin, payload.lot, payload.location, payload.near_expiry),
                )
            case LotInspected():
                cur.execute(f"UPDATE {stock} SET quality = %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            ("available" if payload.result == "released" else "rejected", payload.gtin, payload.lot,
                             payload.warehouse))
            case LotHeld() | LotHoldReleased():
                cur.execute(f"UPDATE {stock} SET held = %s WHERE gtin = %s AND lot = %s",
                            (isinstance(payload, LotHeld), payload.gtin, payload.lot))
                if isinstance(payload, LotHeld) and payload.recall_id is not None:
                    cur.execute(f"INSERT INTO {self.schema}.recall_stops VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                                (payload.gtin, payload.lot, payload.recall_id))
            case RecallStopLifted():  # the lot stays held until quality releases it
                cur.execute(f"DELETE FROM {self.schema}.recall_stops WHERE gtin = %s AND lot = ANY(%s)"
                            " AND recall_id = %s", (payload.gtin, payload.lots, payload.recall_id))
            case StockAllocated():
                for a in payload.allocations:
                    cur.execute(
                        f"UPDATE {stock} SET allocated = allocated + %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                        (a.quantity, payload.gtin, a.lot, a.warehouse),
                    )
            case StockDeallocated():
                for a in payload.allocations:
                    cur.execute(
                        f"UPDATE {stock} SET allocated = allocated - %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                        (a.quantity, payload.gtin, a.lot, a.warehouse),
                    )
            case AllocatedStockShipped():
                for a in payload.allocations:
                    cur.execute(
                        f"UPDATE {stock} SET allocated = allocated - %s, on_hand = on_hand - %s"
                        " WHERE gtin = %s AND lot = %s AND warehouse = %s",
                        (a.quantity, a.quantity, payload.gtin, a.lot, a.warehouse),
                    )
            case SupplierRegistered():
                cur.execute(f"INSERT INTO {self.schema}.suppliers VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.supplier_id, payload.name, payload.credit_code, envelope.time))
            case SupplierQualificationRecorded():
                cur.execute(f"INSERT INTO {self.schema}.supplier_documents VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.supplier_id, payload.document_type, payload.number, payload.valid_from,
                             payload.valid_to))
            case StockMoved() | StockAdjusted() | StockNearingExpiry():
                self.apply_stock_control(cur, payload)
            case _ if isinstance(payload, OUTBOUND_STOCK_EVENTS):  # returns and kits: projections/returns.py
                apply_outbound_stock(cur, self.schema, payload)

    def apply_stock_control(self, cur: Cursor, payload: EventPayload) -> None:
        stock = f"{self.schema}.stock_on_hand"
        match payload:
            case StockMoved() if payload.from_warehouse == payload.to_warehouse:
                cur.execute(f"UPDATE {stock} SET location = %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            (payload.to_location, payload.gtin, payload.lot, payload.from_warehouse))
            case StockMoved():
                cur.execute(f"UPDATE {stock} SET on_hand = on_hand - %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            (payload.quantity, payload.gtin, payload.lot, payload.from_warehouse))
                # Moved stock is available; it keeps the lot's hold and what was reported about its expiry.
                cur.execute(
                    f"INSERT INTO {stock} AS s (gtin, lot, warehouse, expiry, on_hand, allocated, quality, held, location,"
                    " near_expiry, near_expiry_threshold) SELECT gtin, lot, %s, expiry, %s, 0, 'available', held, %s,"
                    f" near_expiry, near_expiry_threshold FROM {stock} WHERE gtin = %s AND lot = %s AND warehouse = %s"
                    " ON CONFLICT (gtin, lot, warehouse) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand,"
                    " location = coalesce(EXCLUDED.location, s.location)",
                    (payload.to_warehouse, payload.quantity, payload.to_location, payload.gtin, payload.lot,
                     payload.from_warehouse),
                )
            case StockAdjusted():
                cur.execute(f"UPDATE {stock} SET on_hand = %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            (payload.on_hand, payload.gtin, payload.lot, payload.warehouse))
            case StockNearingExpiry():
                cur.execute(f"UPDATE {stock} SET near_expiry_threshold = least(near_expiry_threshold, %s)"
                            " WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            (payload.threshold_days, payload.gtin, payload.lot, payload.warehouse))


class ExpiringStockOnHand:
    """The port the near-expiry scan asks (application/__init__.py: ExpiringStockPort)."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.reads = ReadModels(pool, schema)

    def items_expiring_by(self, day: date) -> list[str]:
        rows = self.reads.all("SELECT DISTINCT gtin FROM {schema}.stock_on_hand WHERE on_hand > 0 AND expiry <= %s"
                              " ORDER BY gtin", (day,))
        return [r["gtin"] for r in rows]
