"""Lot -> consignee lineage, maintained as shipments happen (never computed by walking history at query time).

One row per shipped (GTIN, lot) line, indexed by (gtin, lot): a recall lookup is one index range scan.
Hospital names and regions come from channel events into traceability's own consignee table: a
hospital's region is its province (HospitalRegistered v2), a distributor's its region, so the recall
lookup keeps answering `region` for both.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.events.inventory import ShipmentDispatched
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
        ]

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                self._consignee(cur, payload.hospital_id, "hospital", payload.name, payload.province)
            case DistributorRegistered():
                self._consignee(cur, payload.distributor_id, "distributor", payload.name, payload.region)
            case ShipmentDispatched():
                for line in payload.lines:
                    cur.execute(
                        f"INSERT INTO {self.schema}.shipped_lots AS s VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (gtin, lot, shipment_id) DO UPDATE SET quantity = s.quantity + EXCLUDED.quantity",
                        (payload.shipment_id, line.gtin, line.lot, line.expiry, line.quantity,
                         payload.ship_to_hospital_id, payload.order_id, payload.ship_from_warehouse, payload.carrier,
                         payload.tracking_number, payload.dispatched_at),
                    )

    def _consignee(self, cur: Cursor, consignee_id: object, kind: str, name: str, region: str) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.consignees VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (consignee_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region",
            (consignee_id, kind, name, region),
        )
