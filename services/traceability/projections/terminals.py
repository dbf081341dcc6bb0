"""The terminal master (终端主数据) as sell-out cleansing reads it: every registered hospital's name and aliases, each
with its normalised form (domain/terminal_matching.py), so that the names a report gives find their candidates
through an index rather than a scan of every hospital."""

from psycopg import Cursor

from services.traceability.domain.terminal_matching import normalized
from shared.events import CloudEvent, EventPayload
from shared.events.channel import HospitalAliasAdded, HospitalRegistered
from shared.platform.consumer import Projection


class TerminalMaster(Projection):
    name = "traceability-terminal-master"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.terminal_names (hospital_id uuid NOT NULL, name text NOT NULL,"
        " is_alias boolean NOT NULL, name_key text NOT NULL,"
        " PRIMARY KEY (hospital_id, name))",
        "CREATE INDEX IF NOT EXISTS terminal_names_by_name ON {schema}.terminal_names (name)",
        "CREATE INDEX IF NOT EXISTS terminal_names_by_key ON {schema}.terminal_names (name_key)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                self._name(cur, payload.hospital_id, payload.name, is_alias=False)
            case HospitalAliasAdded():
                self._name(cur, payload.hospital_id, payload.alias, is_alias=True)

    def _name(self, cur: Cursor, hospital_id: object, name: str, *, is_alias: bool) -> None:
        cur.execute(f"INSERT INTO {self.schema}.terminal_names VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (hospital_id, name, is_alias, normalized(name)))
