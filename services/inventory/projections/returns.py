"""Returns (RMA) by reason, item and lot for analytics, and the stock effects of returns and kits on the
stock-on-hand table (applied by StockOnHand, which owns that table)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ComponentsConsumed, KitAssembled, ShipmentReturned, StockReturned
from shared.platform.consumer import Projection

OUTBOUND_STOCK_EVENTS = (StockReturned, ComponentsConsumed, KitAssembled)


def apply_outbound_stock(cur: Cursor, schema: str, payload: EventPayload) -> None:
    """Returned goods come back into quarantine (scrapped ones do not); kits take components out and a kit lot in."""
    stock = f"{schema}.stock_on_hand"

    def into_quarantine(gtin: str, lot: str, warehouse: str, expiry: object, quantity: int) -> None:
        cur.execute(
            f"INSERT INTO {stock} AS s (gtin, lot, warehouse, expiry, on_hand, allocated, quality, held)"
            " VALUES (%s, %s, %s, %s, %s, 0, 'quarantine',"
            f" EXISTS (SELECT 1 FROM {stock} h WHERE h.gtin = %s AND h.lot = %s AND h.held))"
            " ON CONFLICT (gtin, lot, warehouse) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand",
            (gtin, lot, warehouse, expiry, quantity, gtin, lot))

    match payload:
        case StockReturned() if payload.status == "quarantine":
            into_quarantine(payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity)
        case ComponentsConsumed():
            for c in payload.consumed:
                cur.execute(f"UPDATE {stock} SET on_hand = on_hand - %s WHERE gtin = %s AND lot = %s AND warehouse = %s",
                            (c.quantity, payload.gtin, c.lot, c.warehouse))
        case KitAssembled():
            into_quarantine(payload.gtin, payload.lot, payload.warehouse, payload.expiry, payload.quantity)


class ReturnsByReason(Projection):
    """One row per returned line: GET /returns?reason=&gtin= reads it."""

    name = "inventory-returns"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.returns (return_id uuid NOT NULL, line_no int NOT NULL,"
        " order_id uuid NOT NULL, shipment_id uuid NOT NULL, hospital_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " lot text NOT NULL, expiry date NOT NULL, quantity int NOT NULL, reason text NOT NULL,"
        " disposition text NOT NULL, warehouse text NOT NULL, note text, returned_at timestamptz NOT NULL,"
        " actor text NOT NULL, PRIMARY KEY (return_id, line_no))",
        "CREATE INDEX IF NOT EXISTS returns_reason ON {schema}.returns (reason, gtin)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if not isinstance(payload, ShipmentReturned):
            return
        for n, line in enumerate(payload.lines, start=1):
            cur.execute(
                f"INSERT INTO {self.schema}.returns VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (payload.return_id, n, payload.order_id, payload.shipment_id, payload.ship_to_hospital_id, line.gtin,
                 line.lot, line.expiry, line.quantity, payload.reason, payload.disposition, payload.warehouse,
                 payload.note, envelope.time, envelope.actor))
