"""What rebates and scorecards are computed from, learned from other services' events, one row per fact:

* `rebate_basis`: sell-in (billing's InvoiceRaised billed to a distributor: one row per invoice line, net of VAT,
  dated by the invoice's day in China) and sell-through (traceability's sell-out lines whose hospital is known —
  reported by id or matched by cleansing — counting only the units the distributor had received: an over-report's
  excess is not volume);
* `rebate_returns`: goods returned from a shipment (inventory's ShipmentReturned). A return claws back the sell-in
  of the shipment it came from, at that invoice's price and in that invoice's period; the two are joined when read,
  so it does not matter which of the two events a worker meets first (they come on different topics).

Only facts are stored; accruals are computed from them when asked (services/channel/application/rebates.py), so a
programme created later sees the volume from before it too, and a rebuild gives the same rows.
"""

from psycopg import Cursor

from shared.domain.business_day import CHINA
from shared.events import CloudEvent, EventPayload
from shared.events.billing import InvoiceRaised
from shared.events.inventory import ShipmentReturned
from shared.events.traceability import SellOutLine, SellOutLineMatched, SellOutReported
from shared.platform.consumer import Projection


class RebateBasis(Projection):
    name = "channel-rebate-basis"
    subscribes_to = ("billing", "inventory", "traceability")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.rebate_basis (source text NOT NULL, item int NOT NULL,"
        " distributor_id uuid NOT NULL, basis text NOT NULL, gtin char(14) NOT NULL, day date NOT NULL,"
        " units int NOT NULL, amount numeric(18,2), shipment_id uuid, hospital_id uuid, reference text NOT NULL,"
        " recorded_at timestamptz NOT NULL, PRIMARY KEY (source, item))",
        "CREATE INDEX IF NOT EXISTS rebate_basis_by_distributor ON {schema}.rebate_basis (distributor_id, basis, day)",
        "CREATE INDEX IF NOT EXISTS rebate_basis_by_shipment ON {schema}.rebate_basis (shipment_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.rebate_returns (return_id uuid NOT NULL, item int NOT NULL,"
        " shipment_id uuid NOT NULL, gtin char(14) NOT NULL, quantity int NOT NULL, returned_at timestamptz NOT NULL,"
        " PRIMARY KEY (return_id, item))",
        "CREATE INDEX IF NOT EXISTS rebate_returns_by_shipment ON {schema}.rebate_returns (shipment_id)",
        # When each sell-out report arrived, against the period it covers: scorecards' reporting timeliness.
        "CREATE TABLE IF NOT EXISTS {schema}.sellout_receipts (report_id uuid PRIMARY KEY, distributor_id uuid NOT NULL,"
        " period_start date NOT NULL, period_end date NOT NULL, received_at timestamptz NOT NULL)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case InvoiceRaised() if payload.bill_to_distributor_id is not None:
                day = envelope.time.astimezone(CHINA).date()
                for n, line in enumerate(payload.lines):
                    self._row(cur, envelope, f"invoice:{payload.invoice_id}", n, payload.bill_to_distributor_id,
                              "sell_in", line.gtin, day, line.quantity, line.net_amount, payload.shipment_id,
                              payload.hospital_id, str(payload.invoice_id))
            case ShipmentReturned():
                for n, line in enumerate(payload.lines):
                    cur.execute(f"INSERT INTO {self.schema}.rebate_returns VALUES (%s, %s, %s, %s, %s, %s)"
                                " ON CONFLICT DO NOTHING", (payload.return_id, n, payload.shipment_id, line.gtin,
                                                            line.quantity, envelope.time))
            case SellOutReported():
                cur.execute(f"INSERT INTO {self.schema}.sellout_receipts VALUES (%s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING", (payload.report_id, payload.distributor_id,
                                                        payload.period.start, payload.period.end, envelope.time))
                for line in payload.lines:
                    self._sold(cur, envelope, payload, line)
            case SellOutLineMatched():
                self._sold(cur, envelope, payload, payload.line)

    def _sold(self, cur: Cursor, envelope: CloudEvent, report: SellOutReported | SellOutLineMatched,
              line: SellOutLine) -> None:
        units = line.quantity - line.excess
        if line.unknown_hospital or units <= 0:
            return
        self._row(cur, envelope, f"sellout:{report.report_id}", line.line_no, report.distributor_id, "sell_through",
                  line.gtin, line.sold_at, units, None, None, line.hospital_id, report.report_reference)

    def _row(self, cur: Cursor, envelope: CloudEvent, source: str, item: int, distributor_id: object, basis: str,
             gtin: str, day: object, units: int, amount: object, shipment_id: object, hospital_id: object,
             reference: str) -> None:
        cur.execute(f"INSERT INTO {self.schema}.rebate_basis VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING", (source, item, distributor_id, basis, gtin, day, units, amount,
                                                shipment_id, hospital_id, reference, envelope.time))
