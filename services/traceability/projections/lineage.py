"""Lot -> consignee lineage, maintained as events arrive (never computed by walking history at query time).

Tables (all indexed for the recall lookup):

* `shipped_lots`: one row per shipped (GTIN, lot) line of a shipment — the shipments a consignee got.
* `lot_consignees`: per (GTIN, lot, consignee) the units shipped and returned (ShipmentReturned, whatever the
  disposition); outstanding = shipped - returned.
* `shipped_serials`: per (GTIN, serial, shipment) the consignee, from ShipmentDispatched line serials; flagged
  returned when a ShipmentReturned line names the serial.
* `lot_links`: component (GTIN, lot) -> kit (GTIN, lot), from KitAssembled. The lookup follows it with a
  recursive CTE (kits of kits) — see services/traceability/queries/reach.py.

A shipment's consignee is the distributor it went to (`ship_to_distributor_id`, an order delivered through a
distributor) or else the hospital. A return is credited to the consignee of the shipment it came back from (as
`shipped_lots` has it), whatever hospital the return names.

The distributor leg, from traceability's own SellOutReported events (sell-out / 流向 reports):

* `sellout_reports`, `sellout_lines`: each report and its lines with their flags (over-reported, unknown hospital).
* `sold_on`: per (GTIN, lot, distributor, hospital) the units the distributor reported delivering.
* `sold_serials`: per (GTIN, serial, report) the distributor and hospital, when the report named serials.

Hospital names and regions come from channel events into traceability's own consignee table: a
hospital's region is its province (HospitalRegistered v2), a distributor's its region, so the recall
lookup keeps answering `region` for both.
"""

from uuid import UUID

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.channel import (
    Contact, DistributorContactChanged, DistributorRegistered, HospitalContactChanged, HospitalRegistered,
)
from shared.events.inventory import KitAssembled, ShipmentDispatched, ShipmentReturned
from shared.events.traceability import HistoricalShipmentImported, SellOutLine, SellOutLineMatched, SellOutReported
from shared.platform.consumer import Projection

SELL_OUT_DDL = [
    "CREATE TABLE IF NOT EXISTS {schema}.sellout_reports (report_id uuid PRIMARY KEY, distributor_id uuid NOT NULL,"
    " report_reference text NOT NULL, period_start date NOT NULL, period_end date NOT NULL, source text NOT NULL,"
    " line_count int NOT NULL, units int NOT NULL, flagged_lines int NOT NULL, reported_at timestamptz NOT NULL)",
    "CREATE INDEX IF NOT EXISTS sellout_reports_by_distributor ON {schema}.sellout_reports (distributor_id, reported_at)",
    "CREATE TABLE IF NOT EXISTS {schema}.sellout_lines (report_id uuid NOT NULL, line_no int NOT NULL,"
    " report_reference text NOT NULL, distributor_id uuid NOT NULL, hospital_id uuid NOT NULL, gtin char(14) NOT NULL,"
    " lot text NOT NULL, quantity int NOT NULL, sold_at date NOT NULL, serials text[], received int NOT NULL,"
    " over_reported boolean NOT NULL, excess int NOT NULL, unknown_hospital boolean NOT NULL,"
    " reported_at timestamptz NOT NULL, PRIMARY KEY (report_id, line_no))",
    "CREATE INDEX IF NOT EXISTS sellout_lines_by_lot ON {schema}.sellout_lines (gtin, lot)",
    "CREATE INDEX IF NOT EXISTS sellout_lines_by_distributor ON {schema}.sellout_lines (distributor_id, reported_at)",
    "CREATE TABLE IF NOT EXISTS {schema}.sold_on (gtin char(14) NOT NULL, lot text NOT NULL,"
    " distributor_id uuid NOT NULL, hospital_id uuid NOT NULL, quantity int NOT NULL,"
    " PRIMARY KEY (gtin, lot, distributor_id, hospital_id))",
    "CREATE INDEX IF NOT EXISTS sold_on_by_lot ON {schema}.sold_on (lot)",
    "CREATE TABLE IF NOT EXISTS {schema}.sold_serials (gtin char(14) NOT NULL, serial text NOT NULL,"
    " report_id uuid NOT NULL, line_no int NOT NULL, lot text NOT NULL, distributor_id uuid NOT NULL,"
    " hospital_id uuid NOT NULL, PRIMARY KEY (gtin, serial, report_id, line_no))",
    # Cleansing (流向清洗) came later: lines reported by a hospital name keep it and how it was matched; the lines it
    # could not match wait in the review queue (sellout_unmatched) until a person matches them.
    "ALTER TABLE {schema}.sellout_lines ADD COLUMN IF NOT EXISTS reported_hospital text",
    "ALTER TABLE {schema}.sellout_lines ADD COLUMN IF NOT EXISTS matched_by text",
    "CREATE TABLE IF NOT EXISTS {schema}.sellout_unmatched (report_id uuid NOT NULL, line_no int NOT NULL,"
    " report_reference text NOT NULL, distributor_id uuid NOT NULL, reported_hospital text NOT NULL,"
    " gtin char(14) NOT NULL, lot text NOT NULL, quantity int NOT NULL, sold_at date NOT NULL, serials text[],"
    " candidates uuid[] NOT NULL, reported_at timestamptz NOT NULL, PRIMARY KEY (report_id, line_no))",
]


class ShipmentLineage(Projection):
    name = "traceability-shipment-lineage"
    subscribes_to = ("channel", "inventory", "traceability")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.consignees (consignee_id uuid PRIMARY KEY, kind text NOT NULL,"
        " name text NOT NULL, region text NOT NULL)",
        # Contacts came later; no party had one before, so existing rows need no rebuild.
        "ALTER TABLE {schema}.consignees ADD COLUMN IF NOT EXISTS contact jsonb",
        "CREATE TABLE IF NOT EXISTS {schema}.shipped_lots (shipment_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " lot text NOT NULL, expiry date NOT NULL, quantity int NOT NULL, consignee_id uuid NOT NULL,"
        " order_id uuid NOT NULL, ship_from text NOT NULL, carrier text NOT NULL, tracking_number text NOT NULL,"
        " dispatched_at timestamptz NOT NULL, PRIMARY KEY (gtin, lot, shipment_id))",
        "CREATE INDEX IF NOT EXISTS shipped_lots_by_lot ON {schema}.shipped_lots (lot)",
        "CREATE TABLE IF NOT EXISTS {schema}.lot_consignees (gtin char(14) NOT NULL, lot text NOT NULL,"
        " consignee_id uuid NOT NULL, expiry date, quantity_shipped int NOT NULL DEFAULT 0,"
        " quantity_returned int NOT NULL DEFAULT 0, PRIMARY KEY (gtin, lot, consignee_id))",
        "CREATE INDEX IF NOT EXISTS lot_consignees_by_lot ON {schema}.lot_consignees (lot)",
        "CREATE TABLE IF NOT EXISTS {schema}.shipped_serials (gtin char(14) NOT NULL, serial text NOT NULL,"
        " shipment_id uuid NOT NULL, lot text NOT NULL, consignee_id uuid NOT NULL,"
        " returned boolean NOT NULL DEFAULT false, PRIMARY KEY (gtin, serial, shipment_id))",
        "CREATE TABLE IF NOT EXISTS {schema}.lot_links (component_gtin char(14) NOT NULL,"
        " component_lot text NOT NULL, kit_gtin char(14) NOT NULL, kit_lot text NOT NULL,"
        " quantity int NOT NULL, PRIMARY KEY (component_gtin, component_lot, kit_gtin, kit_lot))",
        "CREATE INDEX IF NOT EXISTS lot_links_by_component_lot ON {schema}.lot_links (component_lot)",
        "CREATE INDEX IF NOT EXISTS lot_links_by_kit_lot ON {schema}.lot_links (kit_lot)",
        *SELL_OUT_DDL,
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case HospitalRegistered():
                self._consignee(cur, payload.hospital_id, "hospital", payload.name, payload.province, payload.contact)
            case DistributorRegistered():
                self._consignee(cur, payload.distributor_id, "distributor", payload.name, payload.region,
                                payload.contact)
            case HospitalContactChanged() | DistributorContactChanged():
                cur.execute(f"UPDATE {self.schema}.consignees SET contact = %s WHERE consignee_id = %s",
                            (Jsonb(payload.contact.model_dump(mode="json")), getattr(payload, payload.subject_field)))
            case ShipmentDispatched():
                self._dispatched(cur, payload)
            case HistoricalShipmentImported():
                self._historical(cur, payload)
            case ShipmentReturned():
                self._returned(cur, payload)
            case SellOutReported():
                self._sold_on(cur, envelope, payload)
            case SellOutLineMatched():
                cur.execute(f"DELETE FROM {self.schema}.sellout_unmatched WHERE report_id = %s AND line_no = %s",
                            (payload.report_id, payload.line.line_no))
                cur.execute(f"UPDATE {self.schema}.sellout_reports SET line_count = line_count + 1,"
                            " units = units + %s, flagged_lines = flagged_lines + %s WHERE report_id = %s",
                            (payload.line.quantity, int(payload.line.over_reported), payload.report_id))
                self._sold_line(cur, envelope, payload.report_id, payload.report_reference, payload.distributor_id,
                                payload.line)
            case KitAssembled():
                for component in payload.components:
                    cur.execute(
                        f"INSERT INTO {self.schema}.lot_links AS k VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT (component_gtin, component_lot, kit_gtin, kit_lot)"
                        " DO UPDATE SET quantity = k.quantity + EXCLUDED.quantity",
                        (component.gtin, component.lot, payload.gtin, payload.lot, component.quantity),
                    )

    def _dispatched(self, cur: Cursor, payload: ShipmentDispatched) -> None:
        consignee = payload.ship_to_distributor_id or payload.ship_to_hospital_id
        for line in payload.lines:
            cur.execute(
                f"INSERT INTO {self.schema}.shipped_lots AS s VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (gtin, lot, shipment_id) DO UPDATE SET quantity = s.quantity + EXCLUDED.quantity",
                (payload.shipment_id, line.gtin, line.lot, line.expiry, line.quantity, consignee, payload.order_id,
                 payload.ship_from_warehouse, payload.carrier, payload.tracking_number, payload.dispatched_at),
            )
            self._consignee_holds(cur, consignee, payload.shipment_id, line.gtin, line.lot, line.expiry,
                                  line.quantity, line.serials)

    def _historical(self, cur: Cursor, payload: HistoricalShipmentImported) -> None:
        """A shipment from before go-live, as the company's records have it: the line is its own shipment (its
        order unknown: the line's id stands in for it), the old delivery note number its tracking number."""
        consignee = payload.distributor_id or payload.hospital_id
        cur.execute(
            f"INSERT INTO {self.schema}.shipped_lots VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (gtin, lot, shipment_id) DO NOTHING RETURNING shipment_id",
            (payload.shipment_line_id, payload.gtin, payload.lot, payload.expiry, payload.quantity,
             consignee, payload.shipment_line_id, payload.ship_from or "", "imported", payload.shipment_reference,
             payload.shipped_at),
        )
        if cur.fetchone() is None:
            return  # applied before (a dead letter retried)
        self._consignee_holds(cur, consignee, payload.shipment_line_id, payload.gtin, payload.lot, payload.expiry,
                              payload.quantity, payload.serials)

    def _consignee_holds(self, cur: Cursor, consignee: object, shipment_id: object, gtin: str, lot: str,
                         expiry: object, quantity: int, serials: list[str] | None) -> None:
        """What a shipment line (live or imported) put at its consignee: the lot's units, and each serial."""
        cur.execute(
            f"INSERT INTO {self.schema}.lot_consignees AS e (gtin, lot, consignee_id, expiry, quantity_shipped)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (gtin, lot, consignee_id) DO UPDATE SET"
            " quantity_shipped = e.quantity_shipped + EXCLUDED.quantity_shipped,"
            " expiry = coalesce(e.expiry, EXCLUDED.expiry)",
            (gtin, lot, consignee, expiry, quantity),
        )
        for serial in serials or ():
            cur.execute(
                f"INSERT INTO {self.schema}.shipped_serials (gtin, serial, shipment_id, lot, consignee_id)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (gtin, serial, shipment_id, lot, consignee),
            )

    def _returned(self, cur: Cursor, payload: ShipmentReturned) -> None:
        for line in payload.lines:
            # The shipment's own consignee (a distributor, for an order delivered through one); the hospital the
            # return names only when the shipment is unknown here.
            cur.execute(
                f"INSERT INTO {self.schema}.lot_consignees AS e (gtin, lot, consignee_id, expiry, quantity_returned)"
                f" VALUES (%s, %s, coalesce((SELECT s.consignee_id FROM {self.schema}.shipped_lots s"
                " WHERE s.gtin = %s AND s.lot = %s AND s.shipment_id = %s), %s), %s, %s)"
                " ON CONFLICT (gtin, lot, consignee_id) DO UPDATE SET"
                " quantity_returned = e.quantity_returned + EXCLUDED.quantity_returned",
                (line.gtin, line.lot, line.gtin, line.lot, payload.shipment_id, payload.ship_to_hospital_id,
                 line.expiry, line.quantity),
            )
            if line.serials:
                cur.execute(
                    f"UPDATE {self.schema}.shipped_serials SET returned = true"
                    " WHERE gtin = %s AND serial = ANY(%s) AND shipment_id = %s",
                    (line.gtin, line.serials, payload.shipment_id),
                )

    def _sold_on(self, cur: Cursor, envelope: CloudEvent, payload: SellOutReported) -> None:
        flagged = sum(1 for line in payload.lines if line.over_reported or line.unknown_hospital)
        cur.execute(
            f"INSERT INTO {self.schema}.sellout_reports VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (report_id) DO NOTHING",
            (payload.report_id, payload.distributor_id, payload.report_reference, payload.period.start,
             payload.period.end, payload.source, len(payload.lines), sum(line.quantity for line in payload.lines),
             flagged, envelope.time),
        )
        for line in payload.lines:
            self._sold_line(cur, envelope, payload.report_id, payload.report_reference, payload.distributor_id, line)
        for waiting in payload.unmatched:
            cur.execute(
                f"INSERT INTO {self.schema}.sellout_unmatched VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (payload.report_id, waiting.line_no, payload.report_reference, payload.distributor_id,
                 waiting.reported_hospital, waiting.gtin, waiting.lot, waiting.quantity, waiting.sold_at,
                 waiting.serials, waiting.candidates, envelope.time))

    def _sold_line(self, cur: Cursor, envelope: CloudEvent, report_id: UUID, report_reference: str,
                   distributor_id: UUID, line: SellOutLine) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.sellout_lines (report_id, line_no, report_reference, distributor_id,"
            " hospital_id, gtin, lot, quantity, sold_at, serials, received, over_reported, excess, unknown_hospital,"
            " reported_at, reported_hospital, matched_by) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (report_id, line.line_no, report_reference, distributor_id, line.hospital_id, line.gtin, line.lot,
             line.quantity, line.sold_at, line.serials, line.received, line.over_reported, line.excess,
             line.unknown_hospital, envelope.time, line.reported_hospital, line.matched_by),
        )
        cur.execute(
            f"INSERT INTO {self.schema}.sold_on AS s VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (gtin, lot, distributor_id, hospital_id)"
            " DO UPDATE SET quantity = s.quantity + EXCLUDED.quantity",
            (line.gtin, line.lot, distributor_id, line.hospital_id, line.quantity),
        )
        for serial in line.serials or ():
            cur.execute(
                f"INSERT INTO {self.schema}.sold_serials VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (line.gtin, serial, report_id, line.line_no, line.lot, distributor_id, line.hospital_id),
            )

    def _consignee(self, cur: Cursor, consignee_id: object, kind: str, name: str, region: str,
                   contact: Contact | None) -> None:
        cur.execute(
            f"INSERT INTO {self.schema}.consignees (consignee_id, kind, name, region, contact)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (consignee_id) DO UPDATE SET name = EXCLUDED.name,"
            " region = EXCLUDED.region, contact = coalesce(EXCLUDED.contact, consignees.contact)",
            (consignee_id, kind, name, region, Jsonb(contact.model_dump(mode="json")) if contact else None),
        )
