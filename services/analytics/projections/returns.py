"""The returns read model: one row per returned line (ShipmentReturned), with why it came back, what became of it
and where from, for the analysis of return reasons by product, lot, hospital and province. The hospital's province is
joined when read, from the sales read model's hospitals (services/analytics/projections/sales.py)."""

from psycopg import Cursor

from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ShipmentReturned
from shared.platform.consumer import Projection


class Returns(Projection):
    name = "analytics-returns"
    subscribes_to = ("inventory",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.return_lines (return_id uuid NOT NULL, line_no int NOT NULL,"
        " on_date date NOT NULL, order_id uuid NOT NULL, hospital_id uuid NOT NULL, reason text NOT NULL,"
        " disposition text NOT NULL, credited boolean NOT NULL, gtin text NOT NULL, lot text NOT NULL,"
        " expiry date NOT NULL, units int NOT NULL, PRIMARY KEY (return_id, line_no))",
        "CREATE INDEX IF NOT EXISTS return_lines_day ON {schema}.return_lines (on_date)",
        "CREATE INDEX IF NOT EXISTS return_lines_hospital ON {schema}.return_lines (hospital_id, on_date)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if not isinstance(payload, ShipmentReturned):
            return
        day = business_day(envelope.time)  # the day in China it was recorded
        for line_no, line in enumerate(payload.lines, start=1):
            cur.execute(f"INSERT INTO {self.schema}.return_lines VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                        " %s) ON CONFLICT DO NOTHING",
                        (payload.return_id, line_no, day, payload.order_id, payload.ship_to_hospital_id,
                         payload.reason, payload.disposition, payload.credit, line.gtin, line.lot, line.expiry,
                         line.quantity))
