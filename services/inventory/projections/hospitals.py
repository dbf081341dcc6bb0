"""Inventory's own copy of where each hospital is (its province), learned from channel's events: a regional user's
data scope reaches the fulfilments and returns of the hospitals in its provinces (shared/platform/access.py)."""

from uuid import UUID

from psycopg import Cursor
from psycopg_pool import ConnectionPool

from shared.events import CloudEvent, EventPayload
from shared.events.channel import HospitalRegistered
from shared.platform.consumer import Projection
from shared.platform.read_models import ReadModels


class HospitalProvinces(Projection):
    name = "inventory-hospital-provinces"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.hospital_provinces (hospital_id uuid PRIMARY KEY,"
        " province text NOT NULL)",
        # Names came with the warehouse's worklist; hospitals registered before show their id until a rebuild.
        "ALTER TABLE {schema}.hospital_provinces ADD COLUMN IF NOT EXISTS name text",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, HospitalRegistered):
            cur.execute(f"INSERT INTO {self.schema}.hospital_provinces (hospital_id, province, name)"
                        " VALUES (%s, %s, %s) ON CONFLICT (hospital_id) DO UPDATE SET province = EXCLUDED.province,"
                        " name = EXCLUDED.name", (payload.hospital_id, payload.province, payload.name))


class ProvinceOfHospital:
    """The port reservation asks (application/__init__.py: HospitalProvincesPort)."""

    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.reads = ReadModels(pool, schema)

    def province_of(self, hospital_id: UUID) -> str | None:
        row = self.reads.one("SELECT province FROM {schema}.hospital_provinces WHERE hospital_id = %s", (hospital_id,))
        return None if row is None else row["province"]
