"""The sales read model: one row per invoiced line, credit-note line and 票折 discount (domain/sales.py says what
counts), with the hospital, distributor, channel, product and day it is reported under, and the names and regions
those are shown by.

Fed from four topics in one consumer, so that whichever arrives first, the rows end up the same: an invoice line
is stored with its hospital's id (the hospital's province, city and grade are joined when read, so a hospital
registered after its invoice is read still counts in its province), and its channel is `platform` when the order
line was priced by an award, whether the order's event came before the invoice (looked up on insert) or after it
(the rows are updated then).
"""

from psycopg import Cursor

from services.analytics.domain.sales import channel_of, spread
from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.billing import CreditNoteIssued, InvoiceRaised
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.events.inventory import ItemRegistered, ProductGroupSet
from shared.events.order import OrderAmended, OrderPlaced, OrderReleased
from shared.platform.consumer import Projection

_CHANNEL = ("CASE WHEN EXISTS (SELECT 1 FROM {schema}.sales_award_lines a WHERE a.order_id = %s AND a.gtin = %s)"
            " THEN 'platform' WHEN %s::uuid IS NOT NULL THEN 'distributor' ELSE 'direct' END")


class Sales(Projection):
    name = "analytics-sales"
    subscribes_to = ("billing", "order", "channel", "inventory")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.sales_facts (document_id uuid NOT NULL, line_no int NOT NULL,"
        " kind text NOT NULL, on_date date NOT NULL, invoice_id uuid NOT NULL, order_id uuid NOT NULL,"
        " hospital_id uuid NOT NULL, distributor_id uuid, channel text NOT NULL, gtin text, lot text,"
        " units int NOT NULL, net numeric(18, 2) NOT NULL, gross numeric(18, 2) NOT NULL,"
        " PRIMARY KEY (document_id, line_no))",
        "CREATE INDEX IF NOT EXISTS sales_facts_day ON {schema}.sales_facts (on_date)",
        "CREATE INDEX IF NOT EXISTS sales_facts_hospital ON {schema}.sales_facts (hospital_id, on_date)",
        "CREATE INDEX IF NOT EXISTS sales_facts_distributor ON {schema}.sales_facts (distributor_id, on_date)",
        "CREATE INDEX IF NOT EXISTS sales_facts_order ON {schema}.sales_facts (order_id, gtin)",
        # An invoice's header, for its credit notes (which name only the invoice).
        "CREATE TABLE IF NOT EXISTS {schema}.sales_invoices (invoice_id uuid PRIMARY KEY, order_id uuid NOT NULL,"
        " hospital_id uuid NOT NULL, distributor_id uuid)",
        # The order lines priced by a tender award: what makes a sale a platform sale.
        "CREATE TABLE IF NOT EXISTS {schema}.sales_award_lines (order_id uuid NOT NULL, gtin text NOT NULL,"
        " PRIMARY KEY (order_id, gtin))",
        "CREATE TABLE IF NOT EXISTS {schema}.sales_hospitals (hospital_id uuid PRIMARY KEY, name text NOT NULL,"
        " province text NOT NULL, city text, grade text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.sales_distributors (distributor_id uuid PRIMARY KEY, name text NOT NULL,"
        " region text NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.sales_products (gtin text PRIMARY KEY, name text, product_group text)",
        # The facts summed per day, hospital, distributor and channel: what the groupings that need no product read
        # (a day's lines of a hospital are summed again whenever one of them changes, so the sums are the facts').
        "CREATE TABLE IF NOT EXISTS {schema}.sales_daily (on_date date NOT NULL, hospital_id uuid NOT NULL,"
        " distributor_id uuid, channel text NOT NULL, units int NOT NULL, net numeric(18, 2) NOT NULL,"
        " gross numeric(18, 2) NOT NULL, lines int NOT NULL)",
        "CREATE INDEX IF NOT EXISTS sales_daily_key ON {schema}.sales_daily (hospital_id, on_date)",
        "CREATE INDEX IF NOT EXISTS sales_daily_day ON {schema}.sales_daily (on_date)",
        "CREATE INDEX IF NOT EXISTS sales_daily_distributor ON {schema}.sales_daily (distributor_id, on_date)",
        # Facts kept before the daily sums were: summed once.
        "INSERT INTO {schema}.sales_daily SELECT on_date, hospital_id, distributor_id, channel, sum(units), sum(net),"
        " sum(gross), count(*) FILTER (WHERE kind = 'invoice') FROM {schema}.sales_facts"
        " WHERE NOT EXISTS (SELECT 1 FROM {schema}.sales_daily) GROUP BY 1, 2, 3, 4",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        schema = self.schema
        match payload:
            case InvoiceRaised():
                self._invoice(cur, envelope, payload)
            case CreditNoteIssued():
                self._credit_note(cur, payload)
            case OrderPlaced() | OrderAmended() | OrderReleased():
                awarded = sorted({line.gtin for line in payload.lines if line.price_source == "award"})
                for gtin in awarded:
                    cur.execute(f"INSERT INTO {schema}.sales_award_lines VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                (payload.order_id, gtin))
                if awarded:  # invoiced before the order's event was read here
                    cur.execute(f"UPDATE {schema}.sales_facts SET channel = 'platform' WHERE order_id = %s"
                                " AND gtin = ANY(%s) AND channel <> 'platform'", (payload.order_id, awarded))
                    cur.execute(f"SELECT DISTINCT document_id, invoice_id FROM {schema}.sales_facts"
                                " WHERE order_id = %s AND kind = 'discount'", (payload.order_id,))
                    for row in cur.fetchall():  # their 票折 (and its reversals) follow the lines to the platform
                        self._spread_discounts(cur, row["document_id"], row["invoice_id"])
                    self._sum_days(cur, f"SELECT hospital_id, on_date FROM {schema}.sales_facts WHERE order_id = %s",
                                   (payload.order_id,))
            case HospitalRegistered():
                cur.execute(f"INSERT INTO {schema}.sales_hospitals VALUES (%s, %s, %s, %s, %s) ON CONFLICT"
                            " (hospital_id) DO UPDATE SET name = EXCLUDED.name, province = EXCLUDED.province,"
                            " city = EXCLUDED.city, grade = EXCLUDED.grade",
                            (payload.hospital_id, payload.name, payload.province, payload.city, payload.grade))
            case DistributorRegistered():
                cur.execute(f"INSERT INTO {schema}.sales_distributors VALUES (%s, %s, %s) ON CONFLICT"
                            " (distributor_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region",
                            (payload.distributor_id, payload.name, payload.region))
            case ItemRegistered():
                cur.execute(f"INSERT INTO {schema}.sales_products (gtin, name) VALUES (%s, %s) ON CONFLICT (gtin)"
                            " DO UPDATE SET name = EXCLUDED.name", (payload.gtin, payload.name))
            case ProductGroupSet():
                cur.execute(f"INSERT INTO {schema}.sales_products (gtin, product_group) VALUES (%s, %s) ON CONFLICT"
                            " (gtin) DO UPDATE SET product_group = EXCLUDED.product_group",
                            (payload.gtin, payload.group))

    def _invoice(self, cur: Cursor, envelope: CloudEvent, invoice: InvoiceRaised) -> None:
        schema = self.schema
        day = invoice.issued_on or business_day(envelope.time)  # invoices from before issued_on was recorded
        distributor = invoice.bill_to_distributor_id
        cur.execute(f"INSERT INTO {schema}.sales_invoices VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (invoice.invoice_id, invoice.order_id, invoice.hospital_id, distributor))
        for line_no, line in enumerate(invoice.lines, start=1):
            cur.execute(f"INSERT INTO {schema}.sales_facts VALUES (%s, %s, 'invoice', %s, %s, %s, %s, %s,"
                        f" {_CHANNEL.format(schema=schema)}, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        (invoice.invoice_id, line_no, day, invoice.invoice_id, invoice.order_id, invoice.hospital_id,
                         distributor, invoice.order_id, line.gtin, distributor, line.gtin, line.lot, line.quantity,
                         line.net_amount, line.gross_amount))
        # 票折: after the lines, numbered on; no product, no units; then spread over the lines' channels.
        for offset, discount in enumerate(invoice.discounts, start=len(invoice.lines) + 1):
            cur.execute(f"INSERT INTO {schema}.sales_facts VALUES (%s, %s, 'discount', %s, %s, %s, %s, %s, %s,"
                        " NULL, NULL, 0, %s, %s) ON CONFLICT DO NOTHING",
                        (invoice.invoice_id, offset, day, invoice.invoice_id, invoice.order_id, invoice.hospital_id,
                         distributor, channel_of(distributor, None), discount.net_amount, discount.gross_amount))
        if invoice.discounts:
            self._spread_discounts(cur, invoice.invoice_id, invoice.invoice_id)
        self._sum_days(cur, "SELECT %s::uuid, %s::date", (invoice.hospital_id, day))

    def _spread_discounts(self, cur: Cursor, document_id: object, invoice_id: object) -> None:
        """A document's 票折 rows again (the invoice's discount, or a full credit note's reversal of it): their
        total spread over the invoice's lines' channels by net amount (domain `spread`), one row per channel,
        numbered on from the first discount row. Called again when a line's channel changes (an award read after
        the invoice)."""
        facts = f"{self.schema}.sales_facts"
        cur.execute(f"SELECT min(line_no) AS first, sum(net) AS net, sum(gross) AS gross, min(on_date) AS on_date,"
                    " (array_agg(order_id))[1] AS order_id, (array_agg(hospital_id))[1] AS hospital_id,"
                    " (array_agg(distributor_id))[1] AS distributor_id"
                    f" FROM {facts} WHERE document_id = %s AND kind = 'discount'", (document_id,))
        total = cur.fetchone()
        if total["first"] is None:
            return
        cur.execute(f"SELECT channel, sum(net) AS net FROM {facts} WHERE document_id = %s AND kind = 'invoice'"
                    " GROUP BY channel", (invoice_id,))
        weights = {row["channel"]: row["net"] for row in cur.fetchall()}
        own = channel_of(total["distributor_id"], None)
        nets = spread(total["net"], weights) or {own: total["net"]}
        grosses = spread(total["gross"], weights) or {own: total["gross"]}
        cur.execute(f"DELETE FROM {facts} WHERE document_id = %s AND kind = 'discount'", (document_id,))
        for n, channel in enumerate(sorted(nets)):
            cur.execute(f"INSERT INTO {facts} VALUES (%s, %s, 'discount', %s, %s, %s, %s, %s, %s, NULL, NULL, 0,"
                        " %s, %s)", (document_id, total["first"] + n, total["on_date"], invoice_id, total["order_id"],
                                     total["hospital_id"], total["distributor_id"], channel, nets[channel],
                                     grosses[channel]))

    def _credit_note(self, cur: Cursor, note: CreditNoteIssued) -> None:
        schema = self.schema
        for index, line in enumerate(note.lines, start=1):
            cur.execute(f"INSERT INTO {schema}.sales_facts SELECT %s, %s, 'credit_note', %s, i.invoice_id,"
                        " i.order_id, i.hospital_id, i.distributor_id, CASE WHEN EXISTS (SELECT 1 FROM"
                        f" {schema}.sales_award_lines a WHERE a.order_id = i.order_id AND a.gtin = %s) THEN"
                        " 'platform' WHEN i.distributor_id IS NOT NULL THEN 'distributor' ELSE 'direct' END,"
                        f" %s, %s, %s, %s, %s FROM {schema}.sales_invoices i WHERE i.invoice_id = %s"
                        " ON CONFLICT DO NOTHING",
                        (note.credit_note_id, index, note.issued_on, line.gtin, line.gtin, line.lot, -line.quantity,
                         line.net_amount, line.gross_amount, note.invoice_id))
        # A full credit note gives the invoice's 票折 back: positive rows, spread as the discount was.
        for offset, back in enumerate(note.discounts, start=len(note.lines) + 1):
            cur.execute(f"INSERT INTO {schema}.sales_facts SELECT %s, %s, 'discount', %s, i.invoice_id, i.order_id,"
                        " i.hospital_id, i.distributor_id, CASE WHEN i.distributor_id IS NULL THEN 'direct'"
                        f" ELSE 'distributor' END, NULL, NULL, 0, %s, %s FROM {schema}.sales_invoices i"
                        " WHERE i.invoice_id = %s ON CONFLICT DO NOTHING",
                        (note.credit_note_id, offset, note.issued_on, back.net_amount, back.gross_amount,
                         note.invoice_id))
        if note.discounts:
            self._spread_discounts(cur, note.credit_note_id, note.invoice_id)
        self._sum_days(cur, f"SELECT hospital_id, %s::date FROM {schema}.sales_invoices WHERE invoice_id = %s",
                       (note.issued_on, note.invoice_id))

    def _sum_days(self, cur: Cursor, keys: str, args: tuple) -> None:
        """Sum again the days of hospitals that `keys` (a query of hospital_id, on_date) names."""
        daily, facts = f"{self.schema}.sales_daily", f"{self.schema}.sales_facts"
        cur.execute(f"DELETE FROM {daily} d USING ({keys}) AS k (hospital_id, on_date)"
                    " WHERE d.hospital_id = k.hospital_id AND d.on_date = k.on_date", args)
        cur.execute(f"INSERT INTO {daily} SELECT f.on_date, f.hospital_id, f.distributor_id, f.channel, sum(f.units),"
                    " sum(f.net), sum(f.gross), count(*) FILTER (WHERE f.kind = 'invoice') FROM"
                    f" (SELECT DISTINCT * FROM ({keys}) AS k (hospital_id, on_date)) k JOIN {facts} f"
                    " ON f.hospital_id = k.hospital_id AND f.on_date = k.on_date GROUP BY 1, 2, 3, 4", args)

