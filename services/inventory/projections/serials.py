"""Where each serialised unit is: received into which lot and warehouse, shipped to whom, returned or scrapped.

One row per (GTIN, serial): a serial number identifies one unit of one device model (UDI-PI), so the latest
event about it says where it is. Moves of a lot within or between warehouses are not per serial and leave
the warehouse as received (a unit's warehouse is where it was last received or returned).
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import LotReceived, ShipmentDispatched, ShipmentReturned
from shared.platform.consumer import Projection


class SerialStock(Projection):
    name = "inventory-serials"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.serials (gtin char(14) NOT NULL, serial text NOT NULL,"
        " lot text NOT NULL, expiry date NOT NULL, status text NOT NULL, warehouse text, shipment_id uuid,"
        " consignee_id uuid, updated_at timestamptz NOT NULL, PRIMARY KEY (gtin, serial))",
        "CREATE INDEX IF NOT EXISTS serials_lot ON {schema}.serials (gtin, lot)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        table = f"{self.schema}.serials"
        match payload:
            case LotReceived() if payload.serials:
                for serial in payload.serials:
                    cur.execute(
                        f"INSERT INTO {table} AS s VALUES (%s, %s, %s, %s, 'in_stock', %s, NULL, NULL, %s)"
                        " ON CONFLICT (gtin, serial) DO UPDATE SET lot = EXCLUDED.lot, expiry = EXCLUDED.expiry,"
                        " status = 'in_stock', warehouse = EXCLUDED.warehouse, shipment_id = NULL,"
                        " consignee_id = NULL, updated_at = EXCLUDED.updated_at",
                        (payload.gtin, serial, payload.lot, payload.expiry, payload.warehouse, envelope.time))
            case ShipmentDispatched():
                for line in payload.lines:
                    for serial in line.serials or ():
                        cur.execute(
                            f"UPDATE {table} SET status = 'shipped', warehouse = NULL, shipment_id = %s,"
                            " consignee_id = %s, updated_at = %s WHERE gtin = %s AND serial = %s",
                            (payload.shipment_id, payload.ship_to_distributor_id or payload.ship_to_hospital_id,
                             envelope.time, line.gtin, serial))
            case ShipmentReturned():
                status = "scrapped" if payload.disposition == "scrap" else "returned"
                for line in payload.lines:
                    for serial in line.serials or ():
                        cur.execute(
                            f"UPDATE {table} SET status = %s, warehouse = %s, updated_at = %s"
                            " WHERE gtin = %s AND serial = %s",
                            (status, None if status == "scrapped" else payload.warehouse, envelope.time,
                             line.gtin, serial))
