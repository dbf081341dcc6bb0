"""The channel directory: hospitals and distributors to list and filter, and counts per region.

The per-region counters are incremented, not recomputed, so applying an event twice would show:
they are what the exactly-once tests compare against a rebuild.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.platform.consumer import Projection


class ChannelDirectory(Projection):
    name = "channel-directory"
    subscribes_to = ("channel",)

    @property
    def tables_ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {schema}.hospitals (hospital_id uuid PRIMARY KEY, name text NOT NULL,"
            " region text NOT NULL, grade text NOT NULL, registered_at timestamptz NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}.distributors (distributor_id uuid PRIMARY KEY, name text NOT NULL,"
            " region text NOT NULL, tier text NOT NULL, registered_at timestamptz NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {schema}.region_counts (region text PRIMARY KEY,"
            " hospitals int NOT NULL DEFAULT 0, distributors int NOT NULL DEFAULT 0)",
        ]

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.hospitals VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.hospital_id, payload.name, payload.region, payload.grade, envelope.time),
                )
                self._count(cur, payload.region, "hospitals")
            case DistributorRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.distributors VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.distributor_id, payload.name, payload.region, payload.tier, envelope.time),
                )
                self._count(cur, payload.region, "distributors")

    def _count(self, cur: Cursor, region: str, column: str) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.region_counts AS c (region, {column}) VALUES (%s, 1)"
            f" ON CONFLICT (region) DO UPDATE SET {column} = c.{column} + 1",
            (region,),
        )
