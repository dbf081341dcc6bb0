"""What the platform must be told after an order is placed: each shipment (配送确认) and each invoice (发票推送) of a
platform order, learned from inventory's ShipmentDispatched and billing's InvoiceRaised and queued in the platform
outbox IN THE SAME TRANSACTION as this consumer's positions (Projection.handle_batch): an event applied is a message
queued, an event not applied (a crash) is applied again from Kafka, and the message's id is deterministic (platform,
kind, order, shipment or invoice number), so a replay queues nothing twice.

It keeps no read model of its own: it writes the platform ledger's tables (services/order/platforms/ledger.py), so it
is not listed with the worker's projections (a rebuild would replay it into a shadow schema without the ledger) but
run by the platform process (loop.py) beside the sync.
"""

from psycopg import Cursor

from services.order.platforms import sync
from services.order.platforms import DeliveredLine, DeliveryConfirmation, PlatformInvoice
from services.order.platforms.ledger import PostgresPlatformLedger, enqueue
from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.billing import InvoiceRaised
from shared.events.inventory import ShipmentDispatched
from shared.platform.consumer import Projection


class PlatformCallbacks(Projection):
    name = "order-platform-callbacks"
    subscribes_to = ("inventory", "billing")

    def setup(self) -> None:
        super().setup()
        PostgresPlatformLedger(self.pool, self.schema).create_tables()

    def _platform_order(self, cur: Cursor, order_id: object) -> tuple[str, str, list[dict]] | None:
        cur.execute(f"SELECT platform, platform_order_id, lines FROM {self.schema}.platform_orders"
                    " WHERE order_id = %s AND status = 'placed'", (order_id,))
        row = cur.fetchone()
        return None if row is None else (row["platform"], row["platform_order_id"], row["lines"])

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case ShipmentDispatched():
                found = self._platform_order(cur, payload.order_id)
                if found is None:
                    return
                platform, platform_order_id, lines = found

                def platform_line(line_no: int | None) -> dict:  # order line n was the platform's n-th line
                    return lines[line_no - 1] if line_no is not None and 0 < line_no <= len(lines) else {}

                enqueue(cur, self.schema, [sync.delivery_message(platform, DeliveryConfirmation(
                    request_id="", platform_order_id=platform_order_id, delivery_no=str(payload.shipment_id),
                    shipped_at=payload.dispatched_at, lines=tuple(DeliveredLine(
                        line_no=platform_line(line.line_no).get("line_no"),
                        product_code=platform_line(line.line_no).get("product_code"), udi_di=line.gtin, lot=line.lot,
                        expiry=line.expiry, quantity=line.quantity) for line in payload.lines)))])
            case InvoiceRaised():
                found = self._platform_order(cur, payload.order_id)
                if found is None:
                    return
                platform, platform_order_id, _ = found
                enqueue(cur, self.schema, [sync.invoice_message(platform, PlatformInvoice(
                    request_id="", platform_order_id=platform_order_id,
                    invoice_no=payload.number or str(payload.invoice_id),
                    invoiced_on=payload.issued_on or business_day(envelope.time), amount=payload.gross_total,
                    tax_amount=payload.vat_total, delivery_no=str(payload.shipment_id)))])
