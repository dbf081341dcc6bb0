"""The channel directory: hospitals and distributors to list and filter, and counts per province.

The per-province counters are incremented, not recomputed, so applying an event twice would show:
they are what the exactly-once tests compare against a rebuild.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import (
    DistributorLicenceRecorded, DistributorPlaced, DistributorRegistered, DistributorTargetSet, DiversionAlertRaised, DiversionAlertResolved,
    HospitalLicenceRecorded, HospitalRegistered,
)
from shared.platform.consumer import Projection

# Tables built before HospitalRegistered v2 have `region` where v2 has `province`. The v1 -> v2 upcaster
# sets province = region and no city, so renaming the columns in place gives exactly the tables a
# replay would build, and the stored consumer positions stay true: no rebuild needed.
_FROM_REGIONS_TO_PROVINCES = """
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = to_regclass('{schema}.hospitals') AND attname = 'region'
             AND NOT attisdropped) THEN
    ALTER TABLE {schema}.hospitals RENAME COLUMN region TO province;
    ALTER TABLE {schema}.hospitals ADD COLUMN city text;
    ALTER TABLE {schema}.region_counts RENAME COLUMN region TO province;
    ALTER TABLE {schema}.region_counts RENAME TO province_counts;
  END IF;
END $$
"""


class ChannelDirectory(Projection):
    name = "channel-directory"
    subscribes_to = ("channel",)

    tables_ddl = (
        _FROM_REGIONS_TO_PROVINCES,
        "CREATE TABLE IF NOT EXISTS {schema}.hospitals (hospital_id uuid PRIMARY KEY, name text NOT NULL,"
        " province text NOT NULL, city text, grade text NOT NULL, registered_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.distributors (distributor_id uuid PRIMARY KEY, name text NOT NULL,"
        " region text NOT NULL, tier text NOT NULL, registered_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.province_counts (province text PRIMARY KEY,"
        " hospitals int NOT NULL DEFAULT 0, distributors int NOT NULL DEFAULT 0)",
        # Levels, parents and targets came with channel management: no distributor had them before (no rebuild).
        "ALTER TABLE {schema}.distributors ADD COLUMN IF NOT EXISTS level text",
        "ALTER TABLE {schema}.distributors ADD COLUMN IF NOT EXISTS parent_distributor_id uuid",
        "CREATE TABLE IF NOT EXISTS {schema}.distributor_targets (distributor_id uuid NOT NULL, period text NOT NULL,"
        " amount numeric(18,2), units int, PRIMARY KEY (distributor_id, period))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.hospitals (hospital_id, name, province, city, grade, registered_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.hospital_id, payload.name, payload.province, payload.city, payload.grade, envelope.time),
                )
                self._count(cur, payload.province, "hospitals")
            case DistributorRegistered():
                cur.execute(
                    f"INSERT INTO {self.schema}.distributors VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.distributor_id, payload.name, payload.region, payload.tier, envelope.time),
                )
                # A distributor's region names its province (e.g. 江苏省) until its event, too, says province.
                self._count(cur, payload.region, "distributors")
            case DistributorPlaced():
                cur.execute(f"UPDATE {self.schema}.distributors SET level = %s, parent_distributor_id = %s"
                            " WHERE distributor_id = %s",
                            (payload.level, payload.parent_distributor_id, payload.distributor_id))
            case DistributorTargetSet():
                cur.execute(f"INSERT INTO {self.schema}.distributor_targets VALUES (%s, %s, %s, %s)"
                            " ON CONFLICT (distributor_id, period) DO UPDATE SET amount = EXCLUDED.amount,"
                            " units = EXCLUDED.units",
                            (payload.distributor_id, payload.period, payload.amount, payload.units))

    def _count(self, cur: Cursor, province: str, column: str) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.province_counts AS c (province, {column}) VALUES (%s, 1)"
            f" ON CONFLICT (province) DO UPDATE SET {column} = c.{column} + 1",
            (province,),
        )


class Qualifications(Projection):
    """Every hospital's and distributor's qualification documents with their validity (合规准入): what expires soon,
    listed ahead of time for master data to renew, and what has expired (orders through it are refused)."""

    name = "channel-qualifications"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.qualifications (party_id uuid NOT NULL, kind text NOT NULL,"
        " document_type text NOT NULL, number text NOT NULL, valid_from date NOT NULL, valid_to date NOT NULL,"
        " PRIMARY KEY (party_id, document_type, number))",
        "CREATE INDEX IF NOT EXISTS qualifications_valid_to ON {schema}.qualifications (valid_to)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, DistributorLicenceRecorded | HospitalLicenceRecorded):  # a renewal replaces it
            party_id, kind = ((payload.distributor_id, "distributor") if isinstance(payload, DistributorLicenceRecorded)
                              else (payload.hospital_id, "hospital"))
            cur.execute(f"INSERT INTO {self.schema}.qualifications VALUES (%s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (party_id, document_type, number) DO UPDATE SET valid_from = EXCLUDED.valid_from,"
                        " valid_to = EXCLUDED.valid_to",
                        (party_id, kind, payload.document_type, payload.number, payload.valid_from, payload.valid_to))


class DiversionAlerts(Projection):
    """Diversion (窜货) alerts to list and filter: open ones first for the channel manager's worklist."""

    name = "channel-diversion-alerts"
    subscribes_to = ("channel",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.diversion_alerts (alert_id uuid PRIMARY KEY, report_id uuid NOT NULL,"
        " line_no int NOT NULL, report_reference text NOT NULL, distributor_id uuid NOT NULL,"
        " hospital_id uuid NOT NULL, province text NOT NULL, gtin char(14) NOT NULL, lot text NOT NULL,"
        " serials text[], quantity int NOT NULL, sold_at date NOT NULL, authorizations text[] NOT NULL,"
        " problem text NOT NULL, raised_at timestamptz NOT NULL, outcome text, resolution text,"
        " resolved_by text, resolved_at timestamptz)",
        "CREATE INDEX IF NOT EXISTS diversion_alerts_by_distributor ON {schema}.diversion_alerts"
        " (distributor_id, raised_at)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case DiversionAlertRaised():
                cur.execute(
                    f"INSERT INTO {self.schema}.diversion_alerts (alert_id, report_id, line_no, report_reference,"
                    " distributor_id, hospital_id, province, gtin, lot, serials, quantity, sold_at, authorizations,"
                    " problem, raised_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (payload.alert_id, payload.report_id, payload.line_no, payload.report_reference,
                     payload.distributor_id, payload.hospital_id, payload.province, payload.gtin, payload.lot,
                     payload.serials, payload.quantity, payload.sold_at, payload.authorizations, payload.problem,
                     envelope.time))
            case DiversionAlertResolved():
                cur.execute(f"UPDATE {self.schema}.diversion_alerts SET outcome = %s, resolution = %s,"
                            " resolved_by = %s, resolved_at = %s WHERE alert_id = %s",
                            (payload.outcome, payload.resolution, envelope.actor, envelope.time, payload.alert_id))
