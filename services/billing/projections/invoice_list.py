"""Invoices to list and filter, from billing's own events: those raised for shipments (`source` shipment) and the
opening receivables taken over at go-live (`source` opening: an old system's invoice under its old number, with no
order, shipment or VAT split)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.billing import InvoiceRaised, OpeningReceivableRecorded
from shared.platform.consumer import Projection


class InvoiceList(Projection):
    name = "billing-invoice-list"
    subscribes_to = ("billing",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.invoice_list (invoice_id uuid PRIMARY KEY, order_id uuid NOT NULL,"
        " shipment_id uuid NOT NULL, hospital_id uuid NOT NULL, currency char(3) NOT NULL,"
        " net_total numeric(18,2) NOT NULL, vat_total numeric(18,2) NOT NULL, gross_total numeric(18,2) NOT NULL,"
        " raised_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS invoice_list_order ON {schema}.invoice_list (order_id)",
        # Invoices to distributors came later; none was raised before, so existing rows need no rebuild.
        "ALTER TABLE {schema}.invoice_list ADD COLUMN IF NOT EXISTS bill_to_distributor_id uuid",
        # Opening receivables came later still: every row before them is a shipment's; they have no order,
        # shipment or VAT split, and one billed to a distributor no hospital. Their number is the old system's
        # (rows listed before the number column have none until the projection is rebuilt).
        "ALTER TABLE {schema}.invoice_list ADD COLUMN IF NOT EXISTS source text NOT NULL DEFAULT 'shipment'",
        "ALTER TABLE {schema}.invoice_list ADD COLUMN IF NOT EXISTS number text",
        *(f"ALTER TABLE {{schema}}.invoice_list ALTER COLUMN {column} DROP NOT NULL"
          for column in ("order_id", "shipment_id", "hospital_id", "net_total", "vat_total")),
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, InvoiceRaised):
            cur.execute(
                f"INSERT INTO {self.schema}.invoice_list (invoice_id, order_id, shipment_id, hospital_id, currency,"
                " net_total, vat_total, gross_total, raised_at, bill_to_distributor_id, number)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (payload.invoice_id, payload.order_id, payload.shipment_id, payload.hospital_id, payload.currency,
                 payload.net_total, payload.vat_total, payload.gross_total, envelope.time,
                 payload.bill_to_distributor_id, payload.number),
            )
        elif isinstance(payload, OpeningReceivableRecorded):
            distributor = payload.customer_id if payload.customer_kind == "distributor" else None
            hospital = payload.customer_id if payload.customer_kind == "hospital" else None
            cur.execute(
                f"INSERT INTO {self.schema}.invoice_list (invoice_id, hospital_id, bill_to_distributor_id, currency,"
                " gross_total, raised_at, source, number) VALUES (%s, %s, %s, %s, %s, %s, 'opening', %s)"
                " ON CONFLICT DO NOTHING",
                (payload.invoice_id, hospital, distributor, payload.currency, payload.outstanding, envelope.time,
                 payload.legacy_number),
            )
