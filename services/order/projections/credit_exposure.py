"""What each customer owes and has committed, for credit control (domain/credit.py): orders and their lines (from
order's events), shipments (inventory's) and invoices with what credit notes and payments settled of them
(billing's), each kept as it arrives and joined when read (queries.py), so that the exposure is right whichever
topic is read first.

The customer of an order is the party billed: the distributor it is delivered through (两票制), else the hospital.
An opening receivable (期初应收, an old system's invoice billing took over at go-live) is an invoice here without a
shipment: what is open of it counts from the first day, and payments settle it as any invoice."""

from collections import Counter
from decimal import Decimal

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.billing import (
    CreditNoteIssued, InvoiceRaised, OpeningReceivableRecorded, PaymentAllocated, PaymentReversed,
)
from shared.events.inventory import ShipmentDispatched
from shared.events.order import CreditLimitSet, OrderAmended, OrderCancelled, OrderPlaced, OrderPriceRejected
from shared.platform.consumer import Projection

DEFAULT_VAT = Decimal("0.13")


class CreditExposure(Projection):
    name = "order-credit-exposure"
    subscribes_to = ("order", "inventory", "billing")

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.credit_orders (order_id uuid PRIMARY KEY, customer_id uuid NOT NULL,"
        " currency char(3) NOT NULL, open boolean NOT NULL, placed_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS credit_orders_customer ON {schema}.credit_orders (customer_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.credit_order_lines (order_id uuid NOT NULL, gtin char(14) NOT NULL,"
        " quantity int NOT NULL, gross_unit_price numeric(18,4) NOT NULL, PRIMARY KEY (order_id, gtin))",
        "CREATE TABLE IF NOT EXISTS {schema}.credit_shipment_lines (shipment_id uuid NOT NULL, order_id uuid NOT NULL,"
        " gtin char(14) NOT NULL, quantity int NOT NULL, PRIMARY KEY (shipment_id, gtin))",
        "CREATE INDEX IF NOT EXISTS credit_shipment_lines_order ON {schema}.credit_shipment_lines (order_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.credit_invoices (invoice_id uuid PRIMARY KEY, shipment_id uuid NOT NULL,"
        " customer_id uuid NOT NULL, currency char(3) NOT NULL, gross_total numeric(18,2) NOT NULL,"
        " raised_on date NOT NULL)",
        "CREATE INDEX IF NOT EXISTS credit_invoices_customer ON {schema}.credit_invoices (customer_id)",
        # What credit notes took back and payments paid of each invoice, and when it falls due (its terms).
        "ALTER TABLE {schema}.credit_invoices ADD COLUMN IF NOT EXISTS settled numeric(18,2) NOT NULL DEFAULT 0",
        "ALTER TABLE {schema}.credit_invoices ADD COLUMN IF NOT EXISTS due_on date",
        # Credit groups (集团授信): which groups each customer's orders are checked against too.
        "CREATE TABLE IF NOT EXISTS {schema}.credit_group_members (group_id uuid NOT NULL, member_id uuid NOT NULL,"
        " PRIMARY KEY (member_id, group_id))",
        # Opening receivables have no shipment.
        "ALTER TABLE {schema}.credit_invoices ALTER COLUMN shipment_id DROP NOT NULL",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        match payload:
            case OrderPlaced():
                # Consigned goods (and their consumption, counted by its invoice) are no open order exposure.
                cur.execute(f"INSERT INTO {self.schema}.credit_orders VALUES (%s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.order_id, payload.ship_to_distributor_id or payload.hospital_id, payload.currency,
                             payload.order_type == "standard", envelope.time))
                self._lines(cur, payload.order_id, payload.lines)
            case OrderAmended():
                cur.execute(f"DELETE FROM {self.schema}.credit_order_lines WHERE order_id = %s", (payload.order_id,))
                self._lines(cur, payload.order_id, payload.lines)
            case OrderPriceRejected() | OrderCancelled():  # nothing more of it ships
                cur.execute(f"UPDATE {self.schema}.credit_orders SET open = false WHERE order_id = %s",
                            (payload.order_id,))
            case ShipmentDispatched() if payload.order_type == "standard":  # consigned: not sold until used
                shipped = Counter[str]()
                for line in payload.lines:
                    shipped[line.gtin] += line.quantity
                for gtin, quantity in shipped.items():
                    cur.execute(f"INSERT INTO {self.schema}.credit_shipment_lines VALUES (%s, %s, %s, %s)"
                                " ON CONFLICT DO NOTHING", (payload.shipment_id, payload.order_id, gtin, quantity))
            case CreditLimitSet() if payload.terms.members is not None:
                cur.execute(f"DELETE FROM {self.schema}.credit_group_members WHERE group_id = %s",
                            (payload.customer_id,))
                for member in payload.terms.members:
                    cur.execute(f"INSERT INTO {self.schema}.credit_group_members VALUES (%s, %s)",
                                (payload.customer_id, member))
            case InvoiceRaised():
                cur.execute(f"INSERT INTO {self.schema}.credit_invoices (invoice_id, shipment_id, customer_id,"
                            " currency, gross_total, raised_on, due_on) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.invoice_id, payload.shipment_id, payload.bill_to_distributor_id or payload.hospital_id,
                             payload.currency, payload.gross_total, envelope.time.date(), payload.due_on))
            case OpeningReceivableRecorded():
                cur.execute(f"INSERT INTO {self.schema}.credit_invoices (invoice_id, customer_id, currency,"
                            " gross_total, raised_on, due_on) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.invoice_id, payload.customer_id, payload.currency, payload.outstanding,
                             payload.issued_on, payload.due_on))
            case CreditNoteIssued():  # negative: what it takes back is settled
                self._settled(cur, payload.invoice_id, -payload.gross_total)
            case PaymentAllocated():
                self._settled(cur, payload.invoice_id, payload.amount)
            case PaymentReversed():
                for back in payload.allocations:
                    self._settled(cur, back.invoice_id, -back.amount)

    def _settled(self, cur: Cursor, invoice_id: object, amount: Decimal) -> None:
        cur.execute(f"UPDATE {self.schema}.credit_invoices SET settled = settled + %s WHERE invoice_id = %s",
                    (amount, invoice_id))

    def _lines(self, cur: Cursor, order_id: object, lines: list) -> None:
        quantities, prices = Counter[str](), {}
        for line in lines:  # orders before system pricing carry the net price only: 13% on it
            quantities[line.gtin] += line.quantity
            prices[line.gtin] = line.gross_unit_price or line.unit_price * (1 + (line.vat_rate or DEFAULT_VAT))
        for gtin, quantity in quantities.items():
            cur.execute(f"INSERT INTO {self.schema}.credit_order_lines VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING", (order_id, gtin, quantity, prices[gtin]))
