"""Distributors' inventory reports (进销存) as reconciliation reads them: each report and its lines; the latest report
(by its day) is the distributor's stock picture, a lot it does not name held at 0."""

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.traceability import ChannelInventoryReported
from shared.platform.consumer import Projection


class ChannelStockReports(Projection):
    name = "traceability-channel-stock"
    subscribes_to = ("traceability",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.channel_stock_reports (report_id uuid PRIMARY KEY,"
        " distributor_id uuid NOT NULL, report_reference text NOT NULL, as_of date NOT NULL,"
        " reported_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS channel_stock_reports_latest ON {schema}.channel_stock_reports"
        " (distributor_id, as_of DESC, reported_at DESC)",
        "CREATE TABLE IF NOT EXISTS {schema}.channel_stock_lines (report_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " lot text NOT NULL, quantity int NOT NULL, PRIMARY KEY (report_id, gtin, lot))",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        if isinstance(payload, ChannelInventoryReported):
            cur.execute(f"INSERT INTO {self.schema}.channel_stock_reports VALUES (%s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING", (payload.report_id, payload.distributor_id,
                                                    payload.report_reference, payload.as_of, envelope.time))
            for line in payload.lines:
                cur.execute(f"INSERT INTO {self.schema}.channel_stock_lines VALUES (%s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING", (payload.report_id, line.gtin, line.lot, line.quantity))
