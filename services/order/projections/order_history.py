"""What became of each order after it was placed, for the order 360 (GET /orders/{id}): its shipments with lots,
expiry and serials, their delivery and acceptance (验收), returns (inventory's events), and the invoices raised for
them (billing's). Payments are billing's to record (not yet): the invoices say what is owed."""

from psycopg import Cursor
from psycopg.types.json import Jsonb

from shared.events import CloudEvent, EventPayload
from shared.events.billing import InvoiceRaised
from shared.events.inventory import ShipmentAccepted, ShipmentDelivered, ShipmentDispatched, ShipmentReturned
from shared.platform.consumer import Projection


class OrderHistory(Projection):
    name = "order-history"
    subscribes_to = ("inventory", "billing")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.order_shipments (shipment_id uuid PRIMARY KEY, order_id uuid NOT NULL,"
        " warehouse text NOT NULL, carrier text NOT NULL, tracking_number text NOT NULL,"
        " dispatched_at timestamptz NOT NULL, lines jsonb NOT NULL, delivered_at timestamptz, received_by text,"
        " accepted_at timestamptz, accepted_by text, discrepancies jsonb)",
        "CREATE INDEX IF NOT EXISTS order_shipments_order ON {schema}.order_shipments (order_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.order_invoices (invoice_id uuid PRIMARY KEY, order_id uuid NOT NULL,"
        " shipment_id uuid NOT NULL, bill_to_distributor_id uuid, currency char(3) NOT NULL,"
        " net_total numeric(18,2) NOT NULL, vat_total numeric(18,2) NOT NULL, gross_total numeric(18,2) NOT NULL,"
        " raised_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS order_invoices_order ON {schema}.order_invoices (order_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.order_returns (return_id uuid PRIMARY KEY, order_id uuid NOT NULL,"
        " shipment_id uuid NOT NULL, reason text NOT NULL, disposition text NOT NULL, lines jsonb NOT NULL,"
        " returned_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS order_returns_order ON {schema}.order_returns (order_id)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case ShipmentDispatched():
                cur.execute(f"INSERT INTO {self.schema}.order_shipments (shipment_id, order_id, warehouse, carrier,"
                            " tracking_number, dispatched_at, lines) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.shipment_id, payload.order_id, payload.ship_from_warehouse, payload.carrier,
                             payload.tracking_number, payload.dispatched_at,
                             Jsonb([line.model_dump(mode="json", exclude_none=True) for line in payload.lines])))
            case ShipmentDelivered():
                cur.execute(f"UPDATE {self.schema}.order_shipments SET delivered_at = %s, received_by = %s"
                            " WHERE shipment_id = %s", (payload.delivered_at, payload.received_by, payload.shipment_id))
            case ShipmentAccepted():
                cur.execute(f"UPDATE {self.schema}.order_shipments SET accepted_at = %s, accepted_by = %s,"
                            " discrepancies = %s WHERE shipment_id = %s",
                            (payload.accepted_at, payload.accepted_by,
                             Jsonb([d.model_dump(mode="json") for d in payload.discrepancies]), payload.shipment_id))
            case ShipmentReturned():
                cur.execute(f"INSERT INTO {self.schema}.order_returns VALUES (%s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.return_id, payload.order_id, payload.shipment_id, payload.reason,
                             payload.disposition, Jsonb([line.model_dump(mode="json") for line in payload.lines]),
                             envelope.time))
            case InvoiceRaised():
                cur.execute(f"INSERT INTO {self.schema}.order_invoices VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.invoice_id, payload.order_id, payload.shipment_id, payload.bill_to_distributor_id,
                             payload.currency, payload.net_total, payload.vat_total, payload.gross_total,
                             envelope.time))
