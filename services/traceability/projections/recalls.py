"""Recall cases and adverse events as lists: what a recall officer pages and filters through.

The detail of one case (its consignees, their notices, effectiveness) is read from the aggregate and the
live lineage instead; these tables answer "which cases are open", "which lots are under recall" (the
return reaction and the lookup use `recall_scope`) and "which adverse event reports are due".

A lot or unit taken out of a case's scope by an approved reduction stays listed in `recall_scope`, no longer open:
`GET /recalls?lot=` still finds the case that once named it, the return reaction no longer counts it.
"""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.traceability import (
    AdverseEventRecallOpened, AdverseEventReported, AdverseEventSubmitted, RecallAcknowledged, RecallClosed,
    RecallConsigneeNotified, RecallOpened, RecallScopeReduced, RecallUnitsReturned,
)
from shared.platform.consumer import Projection


class RecallCases(Projection):
    name = "traceability-recall-cases"
    subscribes_to = ("traceability",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.recall_cases (recall_id uuid PRIMARY KEY, title text NOT NULL,"
        " scheme text NOT NULL, level int NOT NULL, status text NOT NULL, reason text NOT NULL,"
        " decided_at timestamptz NOT NULL, notify_by timestamptz NOT NULL, opened_at timestamptz NOT NULL,"
        " closed_at timestamptz, adverse_event_id uuid, consignees_notified int NOT NULL DEFAULT 0,"
        " consignees_acknowledged int NOT NULL DEFAULT 0, units_returned int NOT NULL DEFAULT 0)",
        "CREATE INDEX IF NOT EXISTS recall_cases_by_decision ON {schema}.recall_cases (decided_at DESC)",
        # Recall numbers came later; the cases before them have none (they are shown by their id).
        "ALTER TABLE {schema}.recall_cases ADD COLUMN IF NOT EXISTS number text",
        "CREATE TABLE IF NOT EXISTS {schema}.recall_scope (recall_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " lot text, serial text, open boolean NOT NULL DEFAULT true)",
        "CREATE INDEX IF NOT EXISTS recall_scope_by_lot ON {schema}.recall_scope (gtin, lot) WHERE open",
        "CREATE INDEX IF NOT EXISTS recall_scope_by_serial ON {schema}.recall_scope (gtin, serial) WHERE open",
        "CREATE TABLE IF NOT EXISTS {schema}.adverse_events (adverse_event_id uuid PRIMARY KEY,"
        " gtin char(14) NOT NULL, lot text, serial text, hospital_id uuid, outcome text NOT NULL,"
        " description text NOT NULL, became_aware_at timestamptz NOT NULL, report_due_at timestamptz,"
        " submitted_at timestamptz, regulator_reference text, recall_id uuid)",
        "CREATE INDEX IF NOT EXISTS adverse_events_due ON {schema}.adverse_events (report_due_at)"
        " WHERE submitted_at IS NULL",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case RecallOpened():
                cur.execute(
                    f"INSERT INTO {self.schema}.recall_cases (recall_id, number, title, scheme, level, status, reason,"
                    " decided_at, notify_by, opened_at, adverse_event_id) VALUES (%s, %s, %s, %s, %s, 'open', %s, %s,"
                    " %s, %s, %s) ON CONFLICT DO NOTHING",
                    (payload.recall_id, payload.number, payload.title, payload.scheme, payload.level, payload.reason,
                     payload.decided_at, payload.notify_by, envelope.time, payload.adverse_event_id))
                cur.executemany(
                    f"INSERT INTO {self.schema}.recall_scope (recall_id, gtin, lot, serial) VALUES (%s, %s, %s, %s)",
                    [(payload.recall_id, r.gtin, r.lot, None) for r in [*payload.lots, *payload.kit_lots]]
                    + [(payload.recall_id, r.gtin, None, r.serial) for r in payload.serials])
            case RecallScopeReduced():
                for r in payload.lots:
                    cur.execute(f"UPDATE {self.schema}.recall_scope SET open = false WHERE recall_id = %s"
                                " AND gtin = %s AND lot = %s", (payload.recall_id, r.gtin, r.lot))
                for r in payload.serials:
                    cur.execute(f"UPDATE {self.schema}.recall_scope SET open = false WHERE recall_id = %s"
                                " AND gtin = %s AND serial = %s", (payload.recall_id, r.gtin, r.serial))
            case RecallConsigneeNotified():
                self._count(cur, payload.recall_id, "consignees_notified", 1)
            case RecallAcknowledged():
                self._count(cur, payload.recall_id, "consignees_acknowledged", 1)
            case RecallUnitsReturned():
                self._count(cur, payload.recall_id, "units_returned", payload.quantity)
            case RecallClosed():
                cur.execute(f"UPDATE {self.schema}.recall_cases SET status = 'closed', closed_at = %s"
                            " WHERE recall_id = %s", (payload.closed_at, payload.recall_id))
                cur.execute(f"UPDATE {self.schema}.recall_scope SET open = false WHERE recall_id = %s",
                            (payload.recall_id,))
            case AdverseEventReported():
                cur.execute(
                    f"INSERT INTO {self.schema}.adverse_events (adverse_event_id, gtin, lot, serial, hospital_id,"
                    " outcome, description, became_aware_at, report_due_at) VALUES (%s, %s, %s, %s, %s, %s, %s,"
                    " %s, %s) ON CONFLICT DO NOTHING",
                    (payload.adverse_event_id, payload.gtin, payload.lot, payload.serial, payload.hospital_id,
                     payload.outcome, payload.description, payload.became_aware_at, payload.report_due_at))
            case AdverseEventSubmitted():
                cur.execute(f"UPDATE {self.schema}.adverse_events SET submitted_at = %s, regulator_reference = %s"
                            " WHERE adverse_event_id = %s",
                            (payload.submitted_at, payload.regulator_reference, payload.adverse_event_id))
            case AdverseEventRecallOpened():
                cur.execute(f"UPDATE {self.schema}.adverse_events SET recall_id = %s WHERE adverse_event_id = %s",
                            (payload.recall_id, payload.adverse_event_id))

    def _count(self, cur: Cursor, recall_id: object, column: str, by: int) -> None:
        cur.execute(f"UPDATE {self.schema}.recall_cases SET {column} = {column} + %s WHERE recall_id = %s",
                    (by, recall_id))
