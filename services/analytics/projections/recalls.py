"""Recall and adverse-event status for the dashboards: per recall its level, deadline and how far it got (consignees
notified and acknowledged, units back, closed with its effectiveness); per adverse event its outcome, reporting
deadline and whether it was submitted. From traceability's events only; the live consignee list of a case is
traceability's own (GET /recalls/{id}/consignees)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.traceability import (
    AdverseEventRecallOpened, AdverseEventReported, AdverseEventSubmitted, RecallAcknowledged, RecallClosed,
    RecallClosureRequested, RecallConsigneeNotified, RecallOpened, RecallUnitsReturned,
)
from shared.platform.consumer import Projection


class RecallStatus(Projection):
    name = "analytics-recall-status"
    subscribes_to = ("traceability",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.recall_status (recall_id uuid PRIMARY KEY, number text, title text NOT"
        " NULL, scheme text NOT NULL, level int NOT NULL, decided_at timestamptz NOT NULL, notify_by timestamptz NOT"
        " NULL, status text NOT NULL, closed_at timestamptz, units_returned int NOT NULL DEFAULT 0,"
        " consignees_to_notify int, units_to_recover int)",
        "CREATE TABLE IF NOT EXISTS {schema}.recall_consignees (recall_id uuid NOT NULL, consignee_id uuid NOT NULL,"
        " notified_at timestamptz, acknowledged_at timestamptz, PRIMARY KEY (recall_id, consignee_id))",
        "CREATE TABLE IF NOT EXISTS {schema}.adverse_status (adverse_event_id uuid PRIMARY KEY, gtin text NOT NULL,"
        " lot text, hospital_id uuid, outcome text NOT NULL, became_aware_at timestamptz NOT NULL,"
        " report_due_at timestamptz, submitted_at timestamptz, recall_id uuid)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        s = self.schema
        match payload:
            case RecallOpened():
                cur.execute(f"INSERT INTO {s}.recall_status (recall_id, number, title, scheme, level, decided_at,"
                            " notify_by, status) VALUES (%s, %s, %s, %s, %s, %s, %s, 'open') ON CONFLICT DO NOTHING",
                            (payload.recall_id, payload.number, payload.title, payload.scheme, payload.level,
                             payload.decided_at, payload.notify_by))
            case RecallConsigneeNotified():
                cur.execute(f"INSERT INTO {s}.recall_consignees AS c VALUES (%s, %s, %s, NULL) ON CONFLICT"
                            " (recall_id, consignee_id) DO UPDATE SET notified_at = least(c.notified_at,"
                            " EXCLUDED.notified_at)", (payload.recall_id, payload.consignee_id, payload.notified_at))
            case RecallAcknowledged():
                cur.execute(f"INSERT INTO {s}.recall_consignees AS c VALUES (%s, %s, NULL, %s) ON CONFLICT"
                            " (recall_id, consignee_id) DO UPDATE SET acknowledged_at = least(c.acknowledged_at,"
                            " EXCLUDED.acknowledged_at)",
                            (payload.recall_id, payload.consignee_id, payload.acknowledged_at))
            case RecallUnitsReturned():
                cur.execute(f"UPDATE {s}.recall_status SET units_returned = units_returned + %s WHERE recall_id = %s",
                            (payload.quantity, payload.recall_id))
            case RecallClosureRequested():
                cur.execute(f"UPDATE {s}.recall_status SET status = 'closure_requested' WHERE recall_id = %s"
                            " AND status = 'open'", (payload.recall_id,))
            case RecallClosed():
                e = payload.effectiveness
                cur.execute(f"UPDATE {s}.recall_status SET status = 'closed', closed_at = %s,"
                            " consignees_to_notify = %s, units_to_recover = %s WHERE recall_id = %s",
                            (payload.closed_at, e.consignees_to_notify, e.units_to_recover, payload.recall_id))
            case AdverseEventReported():
                cur.execute(f"INSERT INTO {s}.adverse_status (adverse_event_id, gtin, lot, hospital_id, outcome,"
                            " became_aware_at, report_due_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.adverse_event_id, payload.gtin, payload.lot, payload.hospital_id,
                             payload.outcome, payload.became_aware_at, payload.report_due_at))
            case AdverseEventSubmitted():
                cur.execute(f"UPDATE {s}.adverse_status SET submitted_at = %s WHERE adverse_event_id = %s",
                            (payload.submitted_at, payload.adverse_event_id))
            case AdverseEventRecallOpened():
                cur.execute(f"UPDATE {s}.adverse_status SET recall_id = %s WHERE adverse_event_id = %s",
                            (payload.recall_id, payload.adverse_event_id))
