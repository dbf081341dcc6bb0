"""The recall notices each consignee received, for the portals: a hospital's or a distributor's user reads the notices
addressed to it (and whether it acknowledged them), never the case's other consignees.

A projection of its own (not a table more in RecallCases): its position starts at the beginning of the topic, so
the notices sent before it existed are learned too.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.traceability import RecallAcknowledged, RecallConsigneeNotified
from shared.platform.consumer import Projection


class RecallNotices(Projection):
    name = "traceability-recall-notices"
    subscribes_to = ("traceability",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.recall_notices (recall_id uuid NOT NULL, consignee_id uuid NOT NULL,"
        " notified_at timestamptz NOT NULL, method text NOT NULL, note text, acknowledged_at timestamptz,"
        " acknowledged_by text, PRIMARY KEY (recall_id, consignee_id))",
        "CREATE INDEX IF NOT EXISTS recall_notices_by_consignee ON {schema}.recall_notices (consignee_id)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case RecallConsigneeNotified():
                cur.execute(
                    f"INSERT INTO {self.schema}.recall_notices (recall_id, consignee_id, notified_at, method, note)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.recall_id, payload.consignee_id, payload.notified_at, payload.method, payload.note))
            case RecallAcknowledged():
                cur.execute(f"UPDATE {self.schema}.recall_notices SET acknowledged_at = %s, acknowledged_by = %s"
                            " WHERE recall_id = %s AND consignee_id = %s",
                            (payload.acknowledged_at, payload.acknowledged_by, payload.recall_id,
                             payload.consignee_id))
