"""The customers' accounts (应收), from billing's own events: every movement with its effect on the customer's
balance, on one invoice's open amount and on the customer's unapplied cash, dated — so that a balance, a statement
and an aging are answered as of any day by summing — and each invoice's open amount now (the current aging and the
dunning list read only what is open). Disputed statement lines are kept too: dunning leaves them out.

Invoices raised before numbering carry no due date: they are aged from the day they were raised.

An opening receivable (期初应收, an old system's invoice taken over at go-live) is an invoice here, under its old
number, from its own issue and due dates, with no journal lines: the old ledger booked its revenue and VAT, and the
ledger export is of this system's documents. Its movement's kind is `opening_receivable` (a statement shows it as an
invoice), so that credit sales (DSO) count this system's invoices only."""

from decimal import Decimal

from psycopg import Cursor

from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.billing import (
    CreditNoteIssued, InvoiceRaised, OpeningReceivableRecorded, PaymentAllocated, PaymentReceived, PaymentReversed, StatementConfirmed,
    StatementDisputeResolved, StatementIssued, StatementLineDisputed,
)
from shared.platform.consumer import Projection


class Receivables(Projection):
    name = "billing-receivables"
    subscribes_to = ("billing",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.ar_invoices (invoice_id uuid PRIMARY KEY, customer_id uuid NOT NULL,"
        " currency char(3) NOT NULL, number text, issued_on date NOT NULL, due_on date NOT NULL,"
        " gross numeric(18,2) NOT NULL, open numeric(18,2) NOT NULL, hospital_id uuid NOT NULL,"
        " bill_to_distributor_id uuid)",
        "CREATE INDEX IF NOT EXISTS ar_invoices_open ON {schema}.ar_invoices (customer_id, due_on) WHERE open <> 0",
        # The day of the invoice's latest movement: an invoice closed (open 0) with nothing after a day was closed
        # on that day too, so an aging as of a day reads only the invoices open now or moved after it.
        "ALTER TABLE {schema}.ar_invoices ADD COLUMN IF NOT EXISTS last_moved_on date",
        "CREATE INDEX IF NOT EXISTS ar_invoices_moved ON {schema}.ar_invoices (last_moved_on, issued_on)",
        "CREATE INDEX IF NOT EXISTS ar_invoices_customer ON {schema}.ar_invoices (customer_id, issued_on)",
        "CREATE TABLE IF NOT EXISTS {schema}.ar_payments (payment_id uuid PRIMARY KEY, customer_id uuid NOT NULL,"
        " currency char(3) NOT NULL, booked numeric(18,2) NOT NULL, allocated numeric(18,2) NOT NULL,"
        " bank_reference text NOT NULL, payer text NOT NULL, received_on date NOT NULL, reversed boolean NOT NULL)",
        "CREATE INDEX IF NOT EXISTS ar_payments_customer ON {schema}.ar_payments (customer_id, received_on)",
        # One row per movement: its effect on the balance, on an invoice's open amount, on the unapplied cash.
        "CREATE TABLE IF NOT EXISTS {schema}.ar_entries (entry_id text PRIMARY KEY, customer_id uuid NOT NULL,"
        " currency char(3) NOT NULL, kind text NOT NULL, document_id uuid NOT NULL, invoice_id uuid, number text,"
        " on_date date NOT NULL, due_on date, balance_delta numeric(18,2) NOT NULL,"
        " open_delta numeric(18,2) NOT NULL, unapplied_delta numeric(18,2) NOT NULL)",
        "CREATE INDEX IF NOT EXISTS ar_entries_customer ON {schema}.ar_entries (customer_id, on_date)"
        " INCLUDE (currency, balance_delta, unapplied_delta)",
        # The order billing recorded them in (its log's position): a day's statement lines in that order.
        "ALTER TABLE {schema}.ar_entries ADD COLUMN IF NOT EXISTS seq bigint",
        "CREATE INDEX IF NOT EXISTS ar_entries_invoice ON {schema}.ar_entries (invoice_id, on_date)",
        "CREATE TABLE IF NOT EXISTS {schema}.ar_statements (statement_id uuid PRIMARY KEY, customer_id uuid NOT NULL,"
        " period_start date NOT NULL, period_end date NOT NULL, closing_balance numeric(18,2) NOT NULL,"
        " lines int NOT NULL, confirmed_by text, issued_at timestamptz NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.ar_disputes (statement_id uuid NOT NULL, line_no int NOT NULL,"
        " document_id uuid NOT NULL, reason text NOT NULL, status text NOT NULL, outcome text,"
        " PRIMARY KEY (statement_id, line_no))",
        "CREATE INDEX IF NOT EXISTS ar_disputes_open ON {schema}.ar_disputes (document_id) WHERE status = 'open'",
        "CREATE INDEX IF NOT EXISTS ar_statements_customer ON {schema}.ar_statements (customer_id, period_end DESC)",
        "CREATE INDEX IF NOT EXISTS ar_disputes_statement ON {schema}.ar_disputes (statement_id, status)",
        # The journal the ledger export writes: each document's entry lines (account keys, mapped to the chart of
        # accounts when exported). A credit note (红字) and a reversal are written in red: negative on the same side.
        "CREATE TABLE IF NOT EXISTS {schema}.ar_journal (entry_id text NOT NULL, line_no int NOT NULL,"
        " on_date date NOT NULL, kind text NOT NULL, number text, customer_id uuid NOT NULL, account text NOT NULL,"
        " debit numeric(18,2) NOT NULL, credit numeric(18,2) NOT NULL, PRIMARY KEY (entry_id, line_no))",
        "CREATE INDEX IF NOT EXISTS ar_journal_day ON {schema}.ar_journal (on_date)",
        # Each invoice's open amount through time: one row per span of days it stayed the same ([valid_from,
        # valid_to), the last to 9999-12-31: not 'infinity', which Python's date cannot hold), with what an aging
        # groups and ages by, so that an aging as of any day reads the spans containing that day — the invoices open
        # then — instead of summing every movement up to it (bench/ar.py measured both).
        "CREATE TABLE IF NOT EXISTS {schema}.ar_open_spans (invoice_id uuid NOT NULL, valid_from date NOT NULL,"
        " valid_to date NOT NULL, open numeric(18,2) NOT NULL, customer_id uuid NOT NULL, currency char(3) NOT NULL,"
        " issued_on date NOT NULL, due_on date NOT NULL, bill_to_distributor_id uuid,"
        " PRIMARY KEY (invoice_id, valid_from))",
        "CREATE INDEX IF NOT EXISTS ar_open_spans_during ON {schema}.ar_open_spans"
        " USING gist (daterange(valid_from, valid_to)) WHERE open <> 0",
        # Accounts kept before the spans were: made once from the movements (the same sums, day by day).
        "INSERT INTO {schema}.ar_open_spans SELECT e.invoice_id, e.on_date, coalesce(lead(e.on_date) OVER w,"
        " '9999-12-31'), sum(sum(e.open_delta)) OVER w, i.customer_id, i.currency, i.issued_on, i.due_on,"
        " i.bill_to_distributor_id FROM {schema}.ar_entries e JOIN {schema}.ar_invoices i"
        " ON i.invoice_id = e.invoice_id WHERE NOT EXISTS (SELECT 1 FROM {schema}.ar_open_spans)"
        " GROUP BY e.invoice_id, e.on_date, i.invoice_id WINDOW w AS (PARTITION BY e.invoice_id ORDER BY e.on_date)",
        # An opening receivable billed to a distributor has no hospital the goods were for.
        "ALTER TABLE {schema}.ar_invoices ALTER COLUMN hospital_id DROP NOT NULL",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:  # noqa: C901 - one case each
        s = self.schema
        self._position = envelope.position
        match payload:
            case InvoiceRaised():
                customer = payload.bill_to_distributor_id or payload.hospital_id
                issued = payload.issued_on or business_day(envelope.time)
                due = payload.due_on or issued
                cur.execute(f"INSERT INTO {s}.ar_invoices (invoice_id, customer_id, currency, number, issued_on, due_on,"
                            " gross, open, hospital_id, bill_to_distributor_id, last_moved_on)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.invoice_id, customer, payload.currency, payload.number, issued, due,
                             payload.gross_total, payload.gross_total, payload.hospital_id,
                             payload.bill_to_distributor_id, issued))
                self._entry(cur, _key(envelope), customer, payload.currency, "invoice", payload.invoice_id,
                            payload.invoice_id, payload.number, issued, due, payload.gross_total,
                            payload.gross_total, Decimal(0))
                self._journal(cur, _key(envelope), issued, "invoice", payload.number, customer,
                              [("receivable", payload.gross_total, 0), ("revenue", 0, payload.net_total),
                               ("output_vat", 0, payload.vat_total)])
            case OpeningReceivableRecorded():
                distributor = payload.customer_id if payload.customer_kind == "distributor" else None
                hospital = payload.customer_id if payload.customer_kind == "hospital" else None
                cur.execute(f"INSERT INTO {s}.ar_invoices (invoice_id, customer_id, currency, number, issued_on, due_on,"
                            " gross, open, hospital_id, bill_to_distributor_id, last_moved_on)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                            (payload.invoice_id, payload.customer_id, payload.currency, payload.legacy_number,
                             payload.issued_on, payload.due_on, payload.outstanding, payload.outstanding, hospital,
                             distributor, payload.issued_on))
                self._entry(cur, _key(envelope), payload.customer_id, payload.currency, "opening_receivable",
                            payload.invoice_id, payload.invoice_id, payload.legacy_number, payload.issued_on,
                            payload.due_on, payload.outstanding, payload.outstanding, Decimal(0))
            case CreditNoteIssued():
                cur.execute(f"UPDATE {s}.ar_invoices SET open = open + %s, last_moved_on = greatest(last_moved_on, %s)"
                            " WHERE invoice_id = %s RETURNING customer_id, currency",
                            (payload.gross_total, payload.issued_on, payload.invoice_id))
                row = cur.fetchone()
                if row is not None:
                    self._journal(cur, _key(envelope), payload.issued_on, "credit_note", payload.number,
                                  row["customer_id"], [("receivable", payload.gross_total, 0),
                                                       ("revenue", 0, payload.net_total),
                                                       ("output_vat", 0, payload.vat_total)])
                    self._entry(cur, _key(envelope), row["customer_id"], row["currency"], "credit_note", payload.invoice_id,
                                payload.invoice_id, payload.number, payload.issued_on, None, payload.gross_total,
                                payload.gross_total, Decimal(0))
            case PaymentReceived():
                cur.execute(f"INSERT INTO {s}.ar_payments VALUES (%s, %s, %s, %s, 0, %s, %s, %s, false)"
                            " ON CONFLICT DO NOTHING",
                            (payload.payment_id, payload.customer_id, payload.account_currency, payload.booked,
                             payload.bank_reference, payload.payer, payload.received_on))
                self._entry(cur, _key(envelope), payload.customer_id, payload.account_currency, "payment",
                            payload.payment_id, None, payload.bank_reference, payload.received_on, None,
                            -payload.booked, Decimal(0), payload.booked)
                self._journal(cur, _key(envelope), payload.received_on, "payment", payload.bank_reference,
                              payload.customer_id, [("bank", payload.booked, 0), ("receivable", 0, payload.booked)])
            case PaymentAllocated():
                cur.execute(f"UPDATE {s}.ar_payments SET allocated = allocated + %s WHERE payment_id = %s"
                            " RETURNING customer_id, currency, bank_reference", (payload.amount, payload.payment_id))
                row = cur.fetchone()
                cur.execute(f"UPDATE {s}.ar_invoices SET open = open - %s, last_moved_on = greatest(last_moved_on, %s)"
                            " WHERE invoice_id = %s", (payload.amount, payload.allocated_on, payload.invoice_id))
                if row is not None:
                    self._entry(cur, _key(envelope), row["customer_id"], row["currency"], "allocation",
                                payload.payment_id, payload.invoice_id, row["bank_reference"], payload.allocated_on, None, Decimal(0), -payload.amount,
                                -payload.amount)
            case PaymentReversed():
                cur.execute(f"UPDATE {s}.ar_payments SET reversed = true WHERE payment_id = %s AND NOT reversed"
                            " RETURNING customer_id, currency, booked, allocated, bank_reference",
                            (payload.payment_id,))
                row = cur.fetchone()
                if row is None:
                    return
                customer, currency, reference = row["customer_id"], row["currency"], row["bank_reference"]
                booked, allocated = row["booked"], row["allocated"]
                self._entry(cur, _key(envelope), customer, currency, "payment_reversal", payload.payment_id, None,
                            reference, payload.reversed_on, None, booked, Decimal(0), -(booked - allocated))
                self._journal(cur, _key(envelope), payload.reversed_on, "payment_reversal", reference, customer,
                              [("bank", -booked, 0), ("receivable", 0, -booked)])
                for n, back in enumerate(payload.allocations):
                    cur.execute(f"UPDATE {s}.ar_invoices SET open = open + %s,"
                                " last_moved_on = greatest(last_moved_on, %s) WHERE invoice_id = %s",
                                (back.amount, payload.reversed_on, back.invoice_id))
                    self._entry(cur, f"{_key(envelope)}:{n}", customer, currency, "allocation_reversal",
                                payload.payment_id, back.invoice_id, reference, payload.reversed_on, None,
                                Decimal(0), back.amount, Decimal(0))
            case StatementIssued():
                cur.execute(f"INSERT INTO {s}.ar_statements VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.statement_id, payload.customer_id, payload.period_start, payload.period_end,
                             payload.closing_balance, len(payload.lines), envelope.time))
            case StatementConfirmed():
                cur.execute(f"UPDATE {s}.ar_statements SET confirmed_by = %s WHERE statement_id = %s",
                            (payload.confirmed_by, payload.statement_id))
            case StatementLineDisputed():
                cur.execute(f"INSERT INTO {s}.ar_disputes VALUES (%s, %s, %s, %s, 'open', NULL)"
                            " ON CONFLICT (statement_id, line_no) DO UPDATE SET status = 'open',"
                            " reason = EXCLUDED.reason, outcome = NULL",
                            (payload.statement_id, payload.line_no, payload.document_id, payload.reason))
            case StatementDisputeResolved():
                cur.execute(f"UPDATE {s}.ar_disputes SET status = 'resolved', outcome = %s"
                            " WHERE statement_id = %s AND line_no = %s",
                            (payload.outcome, payload.statement_id, payload.line_no))

    def _journal(self, cur: Cursor, entry_id: str, on: object, kind: str, number: str | None, customer: object,
                 lines: list[tuple[str, Decimal | int, Decimal | int]]) -> None:
        for n, (account, debit, credit) in enumerate(lines, start=1):
            cur.execute(f"INSERT INTO {self.schema}.ar_journal VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT DO NOTHING", (entry_id, n, on, kind, number, customer, account, debit, credit))

    def _entry(self, cur: Cursor, entry_id: str, customer: object, currency: str, kind: str, document: object,
               invoice: object, number: str | None, on: object, due: object, balance: Decimal, open_: Decimal,
               unapplied: Decimal) -> None:
        cur.execute(f"INSERT INTO {self.schema}.ar_entries (entry_id, customer_id, currency, kind, document_id,"
                    " invoice_id, number, on_date, due_on, balance_delta, open_delta, unapplied_delta, seq)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                    " RETURNING entry_id", (entry_id, customer, currency, kind, document, invoice, number, on, due,
                                            balance, open_, unapplied, self._position))
        if cur.fetchone() is not None and invoice is not None and open_ != 0:  # new, and it moves an invoice
            self._move_open(cur, invoice, on, open_)

    def _move_open(self, cur: Cursor, invoice: object, day: object, delta: Decimal) -> None:
        """The invoice's open amount changes by `delta` from `day` on, whatever order the movements come in: the
        span containing the day is split there, and every span from the day on moves by the delta."""
        spans = f"{self.schema}.ar_open_spans"
        args = {"invoice": invoice, "day": day, "delta": delta}
        cur.execute(f"INSERT INTO {spans} SELECT invoice_id, %(day)s, valid_to, open, customer_id, currency,"
                    f" issued_on, due_on, bill_to_distributor_id FROM {spans} WHERE invoice_id = %(invoice)s"
                    " AND valid_from < %(day)s AND valid_to > %(day)s", args)
        cur.execute(f"UPDATE {spans} SET valid_to = %(day)s WHERE invoice_id = %(invoice)s AND valid_from < %(day)s"
                    " AND valid_to > %(day)s", args)
        cur.execute(f"UPDATE {spans} SET open = open + %(delta)s WHERE invoice_id = %(invoice)s"
                    " AND valid_from >= %(day)s", args)
        # Nothing before the day (the invoice itself, or a movement dated before its first): a span up to the next.
        cur.execute(f"INSERT INTO {spans} SELECT %(invoice)s, %(day)s, coalesce((SELECT min(valid_from) FROM {spans}"
                    " WHERE invoice_id = %(invoice)s), '9999-12-31'), %(delta)s, customer_id, currency, issued_on,"
                    f" due_on, bill_to_distributor_id FROM {self.schema}.ar_invoices WHERE invoice_id = %(invoice)s"
                    f" AND NOT EXISTS (SELECT 1 FROM {spans} WHERE invoice_id = %(invoice)s"
                    " AND valid_from <= %(day)s)", args)


def _key(envelope: CloudEvent) -> str:
    """An entry's key: its event's aggregate and version, unique in any event store."""
    return f"{envelope.aggregateid}:{envelope.aggregateversion}"
