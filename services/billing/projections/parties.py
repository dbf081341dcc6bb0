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
                  " name text NOT NULL)",)

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                party = (payload.hospital_id, "hospital", payload.name)
            case DistributorRegistered():
                party = (payload.distributor_id, "distributor", payload.name)
            case _:
                return
        cur.execute(f"INSERT INTO {self.schema}.known_parties VALUES (%s, %s, %s)"
                    " ON CONFLICT (party_id) DO UPDATE SET name = EXCLUDED.name", party)
