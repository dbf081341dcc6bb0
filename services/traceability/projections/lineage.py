"""Lot -> consignee lineage, maintained as events arrive (never computed by walking history at query time).

Tables (all indexed for the recall lookup):

* `shipped_lots`: one row per shipped (GTIN, lot) line of a shipment — the shipments a consignee got.
* `lot_consignees`: per (GTIN, lot, consignee) the units shipped and returned (ShipmentReturned, whatever the
  disposition); outstanding = shipped - returned.
* `shipped_serials`: per (GTIN, serial, shipment) the consignee, from ShipmentDispatched line serials; flagged
  returned when a ShipmentReturned line names the serial.
* `lot_links`: component (GTIN, lot) -> kit (GTIN, lot), from KitAssembled. The lookup follows it with a
  recursive CTE (kits of kits) — see services/traceability/queries.py.

Hospital names and regions come from channel events into traceability's own consignee table: a
hospital's region is its province (HospitalRegistered v2), a distributor's its region, so the recall
lookup keeps answering `region` for both.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.events.inventory import KitAssembled, ShipmentDispatched, ShipmentReturned
from shared.platform.consumer import Projection


class ShipmentLineage(Projection):
    name = "traceability-shipment-lineage"
    subscribes_to = ("channel", "inventory")

    @property
    def tables_ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {schema}.consignees (consignee_id uuid PRIMARY KEY, kind text NOT NULL,"
            " name text NOT NULL, region text NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}.shipped_lots (shipment_id uuid NOT NULL, gtin char(14) NOT NULL,"
            " lot text NOT NULL, expiry date NOT NULL, quantity int NOT NULL, consignee_id uuid NOT NULL,"
            " order_id uuid NOT NULL, ship_from text NOT NULL, carrier text NOT NULL, tracking_number text NOT NULL,"
            " dispatched_at timestamptz NOT NULL, PRIMARY KEY (gtin, lot, shipment_id))",
            "CREATE INDEX IF NOT EXISTS shipped_lots_by_lot ON {schema}.shipped_lots (lot)",
            "CREATE TABLE IF NOT EXISTS {schema}.lot_consignees (gtin char(14) NOT NULL, lot text NOT NULL,"
            " consignee_id uuid NOT NULL, expiry date, quantity_shipped int NOT NULL DEFAULT 0,"
            " quantity_returned int NOT NULL DEFAULT 0, PRIMARY KEY (gtin, lot, consignee_id))",
            "CREATE INDEX IF NOT EXISTS lot_consignees_by_lot ON {schema}.lot_consignees (lot)",
            "CREATE TABLE IF NOT EXISTS {schema}.shipped_serials (gtin char(14) NOT NULL, serial text NOT NULL,"
            " shipment_id uuid NOT NULL, lot text NOT NULL, consignee_id uuid NOT NULL,"
            " returned boolean NOT NULL DEFAULT false, PRIMARY KEY (gtin, serial, shipment_id))",
            "CREATE TABLE IF NOT EXISTS {schema}.lot_links (component_gtin char(14) NOT NULL,"
            " component_lot text NOT NULL, kit_gtin char(14) NOT NULL, kit_lot text NOT NULL,"
            " quantity int NOT NULL, PRIMARY KEY (component_gtin, component_lot, kit_gtin, kit_lot))",
            "CREATE INDEX IF NOT EXISTS lot_links_by_component_lot ON {schema}.lot_links (component_lot)",
            "CREATE INDEX IF NOT EXISTS lot_links_by_kit_lot ON {schema}.lot_links (kit_lot)",
        ]

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                self._consignee(cur, payload.hospital_id, "hospital", payload.name, payload.province)
            case DistributorRegistered():
                self._consignee(cur, payload.distributor_id, "distributor", payload.name, payload.region)
            case ShipmentDispatched():
                self._dispatched(cur, payload)
            case ShipmentReturned():
                self._returned(cur, payload)
            case KitAssembled():
                for component in payload.components:
                    cur.execute(
                        f"INSERT INTO {self.schema}.lot_links AS k VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT (component_gtin, component_lot, kit_gtin, kit_lot)"
                        " DO UPDATE SET quantity = k.quantity + EXCLUDED.quantity",
                        (component.gtin, component.lot, payload.gtin, payload.lot, component.quantity),
                    )

    def _dispatched(self, cur: Cursor, payload: ShipmentDispatched) -> None:
        consignee = payload.ship_to_hospital_id
        for line in payload.lines:
            cur.execute(
                f"INSERT INTO {self.schema}.shipped_lots AS s VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (gtin, lot, shipment_id) DO UPDATE SET quantity = s.quantity + EXCLUDED.quantity",
                (payload.shipment_id, line.gtin, line.lot, line.expiry, line.quantity, consignee, payload.order_id,
                 payload.ship_from_warehouse, payload.carrier, payload.tracking_number, payload.dispatched_at),
            )
            cur.execute(
                f"INSERT INTO {self.schema}.lot_consignees AS e (gtin, lot, consignee_id, expiry, quantity_shipped)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin, lot, consignee_id) DO UPDATE SET"
                " quantity_shipped = e.quantity_shipped + EXCLUDED.quantity_shipped,"
                " expiry = coalesce(e.expiry, EXCLUDED.expiry)",
                (line.gtin, line.lot, consignee, line.expiry, line.quantity),
            )
            for serial in line.serials or ():
                cur.execute(
                    f"INSERT INTO {self.schema}.shipped_serials (gtin, serial, shipment_id, lot, consignee_id)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (line.gtin, serial, payload.shipment_id, line.lot, consignee),
                )

    def _returned(self, cur: Cursor, payload: ShipmentReturned) -> None:
        consignee = payload.ship_to_hospital_id
        for line in payload.lines:
            cur.execute(
                f"INSERT INTO {self.schema}.lot_consignees AS e (gtin, lot, consignee_id, expiry, quantity_returned)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin, lot, consignee_id) DO UPDATE SET"
                " quantity_returned = e.quantity_returned + EXCLUDED.quantity_returned",
                (line.gtin, line.lot, consignee, line.expiry, line.quantity),
            )
            if line.serials:
                cur.execute(
                    f"UPDATE {self.schema}.shipped_serials SET returned = true"
                    " WHERE gtin = %s AND serial = ANY(%s) AND shipment_id = %s",
                    (line.gtin, line.serials, payload.shipment_id),
                )

    def _consignee(self, cur: Cursor, consignee_id: object, kind: str, name: str, region: str) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.consignees VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (consignee_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region",
            (consignee_id, kind, name, region),
        )
