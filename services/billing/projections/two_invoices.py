"""The two-invoice chains (两票制): each second invoice a distributor recorded and the first invoice each of its
lines cites, so that an invoice's chain, what was cited of it, and the flagged second invoices per province are
read in one query."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.billing import SecondInvoiceRecorded
from shared.platform.consumer import Projection


class TwoInvoiceChains(Projection):
    name = "billing-two-invoice-chains"
    subscribes_to = ("billing",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.second_invoices (second_invoice_id uuid PRIMARY KEY,"
        " distributor_id uuid NOT NULL, number text NOT NULL, hospital_id uuid NOT NULL, issued_on date NOT NULL,"
        " province text, rule_applies boolean NOT NULL, flagged boolean NOT NULL, recorded_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.second_invoice_lines (second_invoice_id uuid NOT NULL,"
        " line_no int NOT NULL, gtin char(14) NOT NULL, lot text NOT NULL, quantity int NOT NULL,"
        " first_invoice_id uuid, first_invoice_number text, flag text, PRIMARY KEY (second_invoice_id, line_no))",
        "CREATE INDEX IF NOT EXISTS second_invoice_lines_first ON {schema}.second_invoice_lines"
        " (first_invoice_id, gtin, lot)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if not isinstance(payload, SecondInvoiceRecorded):
            return
        flagged = payload.rule_applies and any(line.flag for line in payload.lines)
        cur.execute(f"INSERT INTO {self.schema}.second_invoices VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (payload.second_invoice_id, payload.distributor_id, payload.number, payload.hospital_id,
                     payload.issued_on, payload.province, payload.rule_applies, flagged, envelope.time))
        for line in payload.lines:
            cur.execute(f"INSERT INTO {self.schema}.second_invoice_lines VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING",
                        (payload.second_invoice_id, line.line_no, line.gtin, line.lot, line.quantity,
                         line.first_invoice_id, line.first_invoice_number, line.flag))
