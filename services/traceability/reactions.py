"""Process manager: units of a recalled lot coming back (an inventory return) count towards that recall.

Open recalls are found through the `recall_scope` list (projections/recalls.py). A return that reaches this
reaction before the case it belongs to reached that list — within a second of the decision — is not counted;
returns of recalled goods come days later, and the lineage still shows the units as returned.
"""

from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ShipmentReturned
from shared.platform.consumer import ProcessManager
from services.traceability.application import TraceabilityApplication


class RecallReturns(ProcessManager):
    name = "traceability-recall-returns"
    subscribes_to = ("inventory",)
    app: TraceabilityApplication

    def react(self, envelope: CloudEvent, payload: EventPayload) -> list:
        if not isinstance(payload, ShipmentReturned):
            return []
        consignee = self._consignee_of(payload)
        changed = {}
        for line in payload.lines:
            for recall_id in self._open_recalls_covering(line.gtin, line.lot, line.serials or []):
                case = changed.get(recall_id) or self.app.get_recall(recall_id)
                if case is not None and case.record_return(consignee, line.gtin, line.lot, line.quantity,
                                                           payload.return_id, envelope.time):
                    changed[recall_id] = case
        return list(changed.values())

    def _open_recalls_covering(self, gtin: str, lot: str, serials: list[str]) -> list:
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT DISTINCT recall_id FROM {self.schema}.recall_scope WHERE open AND gtin = %s"
                " AND (lot = %s OR serial = ANY(%s)) ORDER BY recall_id", (gtin, lot, serials)).fetchall()
        return [r["recall_id"] for r in rows]

    def _consignee_of(self, payload: ShipmentReturned) -> object:
        # The shipment's consignee as the lineage knows it (a distributor, for goods shipped through one).
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT consignee_id FROM {self.schema}.shipped_lots WHERE shipment_id = %s LIMIT 1",
                               (payload.shipment_id,)).fetchone()
        return row["consignee_id"] if row else payload.ship_to_hospital_id
