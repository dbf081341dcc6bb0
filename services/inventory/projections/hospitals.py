"""Inventory's own copy of where each hospital is (its province), learned from channel's events: a regional user's
data scope reaches the fulfilments and returns of the hospitals in its provinces (shared/platform/access.py)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import HospitalRegistered
from shared.platform.consumer import Projection


class HospitalProvinces(Projection):
    name = "inventory-hospital-provinces"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.hospital_provinces (hospital_id uuid PRIMARY KEY,"
        " province text NOT NULL)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, HospitalRegistered):
            cur.execute(f"INSERT INTO {self.schema}.hospital_provinces VALUES (%s, %s)"
                        " ON CONFLICT (hospital_id) DO UPDATE SET province = EXCLUDED.province",
                        (payload.hospital_id, payload.province))
