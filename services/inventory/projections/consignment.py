"""Consignment stock per location (寄售 at a consignee, or one loaner set 跟台), per lot with expiry and serials:
what the manufacturer owns at hospitals and distributors, from the locations' events."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import (
    ConsignmentLocationOpened, ConsignmentStockPlaced, ConsignmentStockReturned, ConsignmentUsed,
)
from shared.platform.consumer import Projection


class ConsignmentStock(Projection):
    name = "inventory-consignment-stock"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.consignment_locations (location_id uuid PRIMARY KEY, kind text NOT NULL,"
        " consignee_id uuid NOT NULL, hospital_id uuid NOT NULL, loaner_order_id uuid)",
        "CREATE TABLE IF NOT EXISTS {schema}.consignment_stock (location_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " lot text NOT NULL, expiry date NOT NULL, quantity int NOT NULL, serials text[] NOT NULL DEFAULT '{{}}',"
        " PRIMARY KEY (location_id, gtin, lot))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case ConsignmentLocationOpened():
                cur.execute(f"INSERT INTO {self.schema}.consignment_locations VALUES (%s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING", (payload.location_id, payload.kind, payload.consignee_id,
                                                        payload.hospital_id, payload.loaner_order_id))
            case ConsignmentStockPlaced():
                for line in payload.lines:
                    cur.execute(
                        f"INSERT INTO {self.schema}.consignment_stock VALUES (%s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (location_id, gtin, lot) DO UPDATE SET quantity ="
                        f" {self.schema}.consignment_stock.quantity + EXCLUDED.quantity, serials = ARRAY(SELECT"
                        f" DISTINCT unnest({self.schema}.consignment_stock.serials || EXCLUDED.serials) ORDER BY 1)",
                        (payload.location_id, line.gtin, line.lot, line.expiry, line.quantity, line.serials or []))
            case ConsignmentUsed() | ConsignmentStockReturned():
                for line in payload.lines:
                    cur.execute(f"UPDATE {self.schema}.consignment_stock SET quantity = quantity - %s,"
                                " serials = ARRAY(SELECT s FROM unnest(serials) s WHERE NOT s = ANY(%s) ORDER BY 1)"
                                " WHERE location_id = %s AND gtin = %s AND lot = %s",
                                (line.quantity, line.serials or [], payload.location_id, line.gtin, line.lot))
                cur.execute(f"DELETE FROM {self.schema}.consignment_stock WHERE location_id = %s AND quantity <= 0",
                            (payload.location_id,))
