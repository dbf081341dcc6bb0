"""Volume-based procurement (集中带量采购) progress per hospital: the volume each award agreed with each hospital
(约定采购量, from channel's tender prices) and the units ordered at that award price (order lines the award priced),
judged against the time elapsed of the award's period when read (queries.py)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import TenderPriceRecorded
from shared.events.inventory import ShipmentDispatched
from shared.events.order import OrderAmended, OrderCancelled, OrderPlaced
from shared.platform.consumer import Projection


class VbpProgress(Projection):
    name = "order-vbp-progress"
    subscribes_to = ("channel", "order", "inventory")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.vbp_agreed (tender_price_id text NOT NULL, hospital_id uuid NOT NULL,"
        " reference text NOT NULL, gtin char(14) NOT NULL, agreed int NOT NULL, price numeric(18,4) NOT NULL,"
        " valid_from date NOT NULL, valid_to date, PRIMARY KEY (tender_price_id, hospital_id))",
        "CREATE TABLE IF NOT EXISTS {schema}.vbp_ordered (order_id uuid NOT NULL, line_no int NOT NULL,"
        " hospital_id uuid NOT NULL, reference text NOT NULL, gtin char(14) NOT NULL, quantity int NOT NULL,"
        " ordered_on date NOT NULL, PRIMARY KEY (order_id, line_no))",
        # Added with partial deliveries: what of each line has shipped, which an order closed early keeps.
        "ALTER TABLE {schema}.vbp_ordered ADD COLUMN IF NOT EXISTS shipped int NOT NULL DEFAULT 0",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case TenderPriceRecorded() if payload.kind == "award":
                # A re-recorded award replaces its agreed volumes.
                cur.execute(f"DELETE FROM {self.schema}.vbp_agreed WHERE tender_price_id = %s",
                            (payload.tender_price_id,))
                for hospital_id, agreed in payload.agreed_volumes.items():
                    cur.execute(f"INSERT INTO {self.schema}.vbp_agreed VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                                (payload.tender_price_id, hospital_id, payload.reference, payload.gtin, agreed,
                                 payload.price, payload.valid_from, payload.valid_to))
            case OrderCancelled():  # a cancelled order takes nothing; one closed early what it shipped
                cur.execute(f"UPDATE {self.schema}.vbp_ordered SET quantity = shipped WHERE order_id = %s",
                            (payload.order_id,))
                cur.execute(f"DELETE FROM {self.schema}.vbp_ordered WHERE order_id = %s AND quantity = 0",
                            (payload.order_id,))
            case OrderAmended():  # its lines anew (what they shipped stays counted)
                cur.execute(f"DELETE FROM {self.schema}.vbp_ordered WHERE order_id = %s AND NOT line_no = ANY(%s)",
                            (payload.order_id, [line.line_no for line in payload.lines if line.price_source == "award"]))
                self._ordered(cur, envelope, payload)
            case ShipmentDispatched():
                for line in payload.lines:
                    if line.line_no is not None:
                        cur.execute(f"UPDATE {self.schema}.vbp_ordered SET shipped = shipped + %s"
                                    " WHERE order_id = %s AND line_no = %s", (line.quantity, payload.order_id,
                                                                              line.line_no))
            case OrderPlaced():
                self._ordered(cur, envelope, payload)

    def _ordered(self, cur: Cursor, envelope: CloudEvent, payload: OrderPlaced | OrderAmended) -> None:
        for line in payload.lines:
            award = (line.price_explanation or {}).get("award")
            if line.price_source == "award" and award:
                cur.execute(f"INSERT INTO {self.schema}.vbp_ordered VALUES (%s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT (order_id, line_no) DO UPDATE SET quantity = EXCLUDED.quantity,"
                            " gtin = EXCLUDED.gtin, reference = EXCLUDED.reference",
                            (payload.order_id, line.line_no, payload.hospital_id, award, line.gtin,
                             line.quantity, (payload.requested_delivery_date or envelope.time.date())))
