"""Order's own copy of the hospitals it may sell to and the distributors it may deliver through, learned from
channel events (never channel's tables)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.platform.consumer import Projection


class KnownHospitals(Projection):
    name = "order-known-hospitals"
    subscribes_to = ("channel",)

    tables_ddl = (
        # `region` holds the province (HospitalRegistered v2); the column kept its v1 name so that
        # existing tables need no migration.
        "CREATE TABLE IF NOT EXISTS {schema}.known_hospitals (hospital_id uuid PRIMARY KEY, name text NOT NULL,"
        " region text NOT NULL, grade text NOT NULL)",
        # Added for pricing (rules may select by city): hospitals registered before show none until a rebuild.
        "ALTER TABLE {schema}.known_hospitals ADD COLUMN IF NOT EXISTS city text",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, HospitalRegistered):
            cur.execute(
                f"INSERT INTO {self.schema}.known_hospitals (hospital_id, name, region, grade, city)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (hospital_id) DO UPDATE SET name = EXCLUDED.name,"
                " region = EXCLUDED.region, grade = EXCLUDED.grade, city = EXCLUDED.city",
                (payload.hospital_id, payload.name, payload.province, payload.grade, payload.city),
            )


class KnownDistributors(Projection):
    """A projection of its own (not a table more in KnownHospitals): its own position starts at the beginning of
    the channel topic, so the distributors registered before orders could name one are learned too."""

    name = "order-known-distributors"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.known_distributors (distributor_id uuid PRIMARY KEY,"
        " name text NOT NULL, region text NOT NULL)",
        # Added for pricing (rules may select by tier): distributors registered before show none until a rebuild.
        "ALTER TABLE {schema}.known_distributors ADD COLUMN IF NOT EXISTS tier text",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, DistributorRegistered):
            cur.execute(
                f"INSERT INTO {self.schema}.known_distributors (distributor_id, name, region, tier)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (distributor_id) DO UPDATE SET name = EXCLUDED.name,"
                " region = EXCLUDED.region, tier = EXCLUDED.tier",
                (payload.distributor_id, payload.name, payload.region, payload.tier),
            )
