"""Billing's own copy of whom it invoices (hospitals and distributors, by name, with the contact finance calls about
what is overdue), learned from channel's events, so that invoice lists and the dunning list show names beside ids."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.channel import (
    DistributorContactChanged, DistributorRegistered, HospitalContactChanged, HospitalRegistered,
)
from services.billing.domain.bank_statement import normalized_name
from shared.platform.consumer import Projection


class KnownParties(Projection):
    name = "billing-known-parties"
    subscribes_to = ("channel",)

    tables_ddl = ("CREATE TABLE IF NOT EXISTS {schema}.known_parties (party_id uuid PRIMARY KEY, kind text NOT NULL,"
                  " name text NOT NULL)",
                  # The province or region scopes a regional user's invoices (shared/platform/access.py); parties
                  # learned before it came have none until the projection is rebuilt, and are then out of such scopes.
                  "ALTER TABLE {schema}.known_parties ADD COLUMN IF NOT EXISTS region text",
                  "ALTER TABLE {schema}.known_parties ADD COLUMN IF NOT EXISTS contact jsonb",
                  # A bank's payer name is matched to the name normalized (domain/bank_statement.py).
                  "ALTER TABLE {schema}.known_parties ADD COLUMN IF NOT EXISTS normalized_name text",
                  "CREATE INDEX IF NOT EXISTS known_parties_normalized ON {schema}.known_parties (normalized_name)")

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                party = (payload.hospital_id, "hospital", payload.name, payload.province, _contact(payload.contact))
            case DistributorRegistered():
                party = (payload.distributor_id, "distributor", payload.name, payload.region,
                         _contact(payload.contact))
            case HospitalContactChanged() | DistributorContactChanged():
                party_id = getattr(payload, "hospital_id", None) or getattr(payload, "distributor_id")
                cur.execute(f"UPDATE {self.schema}.known_parties SET contact = %s WHERE party_id = %s",
                            (_contact(payload.contact), party_id))
                return
            case _:
                return
        cur.execute(f"INSERT INTO {self.schema}.known_parties (party_id, kind, name, region, contact, normalized_name)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (party_id) DO UPDATE SET name = EXCLUDED.name,"
                    " region = EXCLUDED.region, contact = coalesce(EXCLUDED.contact, known_parties.contact),"
                    " normalized_name = EXCLUDED.normalized_name", (*party, normalized_name(party[2])))


def _contact(contact: object) -> Jsonb | None:
    return None if contact is None else Jsonb(contact.model_dump(mode="json"))  # type: ignore[attr-defined]
