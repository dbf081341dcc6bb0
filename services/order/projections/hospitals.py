"""Order's own copy of the hospitals it may sell to, learned from channel events (never channel's tables)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import HospitalRegistered
from shared.platform.consumer import Projection


class KnownHospitals(Projection):
    name = "order-known-hospitals"
    subscribes_to = ("channel",)

    @property
    def tables_ddl(self) -> list[str]:
        return [
            # `region` holds the province (HospitalRegistered v2); the column kept its v1 name so that
            # existing tables need no migration.
            "CREATE TABLE IF NOT EXISTS {schema}.known_hospitals (hospital_id uuid PRIMARY KEY, name text NOT NULL,"
            " region text NOT NULL, grade text NOT NULL)"
        ]

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, HospitalRegistered):
            cur.execute(
                f"INSERT INTO {self.schema}.known_hospitals VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (hospital_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region,"
                " grade = EXCLUDED.grade",
                (payload.hospital_id, payload.name, payload.province, payload.grade),
            )
