"""Invoices to list and filter, from billing's own events."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.billing import InvoiceRaised
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
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, InvoiceRaised):
            cur.execute(
                f"INSERT INTO {self.schema}.invoice_list (invoice_id, order_id, shipment_id, hospital_id, currency,"
                " net_total, vat_total, gross_total, raised_at, bill_to_distributor_id)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (payload.invoice_id, payload.order_id, payload.shipment_id, payload.hospital_id, payload.currency,
                 payload.net_total, payload.vat_total, payload.gross_total, envelope.time,
                 payload.bill_to_distributor_id),
            )
