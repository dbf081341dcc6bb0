"""Billing's own copy of whom it invoices (hospitals and distributors, by name), learned from channel's events, so
that invoice lists show names beside ids."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.platform.consumer import Projection


class KnownParties(Projection):
    name = "billing-known-parties"
    subscribes_to = ("channel",)

    tables_ddl = ("CREATE TABLE IF NOT EXISTS {schema}.known_parties (party_id uuid PRIMARY KEY, kind text NOT NULL,"
                  " name text NOT NULL)",
                  # The province or region scopes a regional user's invoices (shared/platform/access.py); parties
                  # learned before it came have none until the projection is rebuilt, and are then out of such scopes.
                  "ALTER TABLE {schema}.known_parties ADD COLUMN IF NOT EXISTS region text")

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                party = (payload.hospital_id, "hospital", payload.name, payload.province)
            case DistributorRegistered():
                party = (payload.distributor_id, "distributor", payload.name, payload.region)
            case _:
                return
        cur.execute(f"INSERT INTO {self.schema}.known_parties (party_id, kind, name, region) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (party_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region", party)
