"""Order's own copy of the hospitals it may sell to and the distributors it may deliver through, learned from
channel events (never channel's tables)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import (
    DistributorRegistered, DistributorStatusChanged, HospitalLicenceRecorded, HospitalRegistered, HospitalStatusChanged,
)
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
        # Added with customer checks before acceptance: hospitals are active until deactivated.
        "ALTER TABLE {schema}.known_hospitals ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true",
        "CREATE TABLE IF NOT EXISTS {schema}.hospital_licences (hospital_id uuid NOT NULL, document_type text NOT NULL,"
        " number text NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL,"
        " PRIMARY KEY (hospital_id, document_type, number))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.known_hospitals (hospital_id, name, region, grade, city)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (hospital_id) DO UPDATE SET name = EXCLUDED.name,"
                    " region = EXCLUDED.region, grade = EXCLUDED.grade, city = EXCLUDED.city",
                    (payload.hospital_id, payload.name, payload.province, payload.grade, payload.city),
                )
            case HospitalStatusChanged():
                cur.execute(f"UPDATE {self.schema}.known_hospitals SET active = %s WHERE hospital_id = %s",
                            (payload.active, payload.hospital_id))
            case HospitalLicenceRecorded():  # a renewal (same type and number) replaces the document
                cur.execute(
                    f"INSERT INTO {self.schema}.hospital_licences VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT (hospital_id, document_type, number) DO UPDATE SET valid_from = EXCLUDED.valid_from,"
                    " valid_to = EXCLUDED.valid_to",
                    (payload.hospital_id, payload.document_type, payload.number, payload.valid_from, payload.valid_to))


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
        "ALTER TABLE {schema}.known_distributors ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, DistributorStatusChanged):
            cur.execute(f"UPDATE {self.schema}.known_distributors SET active = %s WHERE distributor_id = %s",
                        (payload.active, payload.distributor_id))
        if isinstance(payload, DistributorRegistered):
            cur.execute(
                f"INSERT INTO {self.schema}.known_distributors (distributor_id, name, region, tier)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (distributor_id) DO UPDATE SET name = EXCLUDED.name,"
                " region = EXCLUDED.region, tier = EXCLUDED.tier",
                (payload.distributor_id, payload.name, payload.region, payload.tier),
            )
