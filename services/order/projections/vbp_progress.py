"""Volume-based procurement (集中带量采购) progress per hospital: the volume each award agreed with each hospital
(约定采购量, from channel's tender prices) and the units ordered at that award price (order lines the award priced),
judged against the time elapsed of the award's period when read (queries.py)."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.channel import TenderPriceRecorded
from shared.events.order import OrderAmended, OrderCancelled, OrderPlaced
from shared.platform.consumer import Projection


class VbpProgress(Projection):
    name = "order-vbp-progress"
    subscribes_to = ("channel", "order")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.vbp_agreed (tender_price_id text NOT NULL, hospital_id uuid NOT NULL,"
        " reference text NOT NULL, gtin char(14) NOT NULL, agreed int NOT NULL, price numeric(18,4) NOT NULL,"
        " valid_from date NOT NULL, valid_to date, PRIMARY KEY (tender_price_id, hospital_id))",
        "CREATE TABLE IF NOT EXISTS {schema}.vbp_ordered (order_id uuid NOT NULL, line_no int NOT NULL,"
        " hospital_id uuid NOT NULL, reference text NOT NULL, gtin char(14) NOT NULL, quantity int NOT NULL,"
        " ordered_on date NOT NULL, PRIMARY KEY (order_id, line_no))",
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
            case OrderCancelled() | OrderAmended():  # a cancelled order takes nothing; an amended one anew
                cur.execute(f"DELETE FROM {self.schema}.vbp_ordered WHERE order_id = %s", (payload.order_id,))
                if isinstance(payload, OrderAmended):
                    self._ordered(cur, envelope, payload)
            case OrderPlaced():
                self._ordered(cur, envelope, payload)

    def _ordered(self, cur: Cursor, envelope: CloudEvent, payload: OrderPlaced | OrderAmended) -> None:
        for line in payload.lines:
            award = (line.price_explanation or {}).get("award")
            if line.price_source == "award" and award:
                cur.execute(f"INSERT INTO {self.schema}.vbp_ordered VALUES (%s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.order_id, line.line_no, payload.hospital_id, award, line.gtin,
                             line.quantity, (payload.requested_delivery_date or envelope.time.date())))
