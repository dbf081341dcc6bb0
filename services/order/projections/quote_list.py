"""Quotes to list and filter (by status, customer), from order's own events. Expiry is read, not recorded: a quote
still open after its `valid_until` lists as expired (queries.py)."""

from decimal import ROUND_HALF_UP, Decimal

from psycopg import Cursor

from shared.events import CloudEvent, EventPayload
from shared.events.order import (
    QuoteAccepted, QuoteApproved, QuoteDrafted, QuoteRejected, QuoteSent, QuoteSubmitted,
)
from shared.platform.consumer import Projection


class QuoteList(Projection):
    name = "order-quote-list"
    subscribes_to = ("order",)

    tables_ddl = (
        "CREATE TABLE IF NOT EXISTS {schema}.quote_list (quote_id uuid PRIMARY KEY, number text NOT NULL,"
        " customer_id uuid NOT NULL, customer_kind text NOT NULL, currency char(3) NOT NULL,"
        " valid_until date NOT NULL, status text NOT NULL, total_gross numeric(18,2) NOT NULL, line_count int NOT NULL,"
        " needs_approval boolean NOT NULL, drafted_by text NOT NULL, drafted_at timestamptz NOT NULL,"
        " updated_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS quote_list_customer ON {schema}.quote_list (customer_id, drafted_at)",
    )

    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None:
        table = f"{self.schema}.quote_list"
        match payload:
            case QuoteDrafted():
                total = sum((line.unit_price * line.quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)
                            for line in payload.lines)
                cur.execute(f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, 'draft', %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT DO NOTHING",
                            (payload.quote_id, payload.number, payload.customer_id, payload.customer_kind,
                             payload.currency, payload.valid_until, total, len(payload.lines),
                             any(line.approval_reason for line in payload.lines), envelope.actor, envelope.time,
                             envelope.time))
            case QuoteSubmitted() | QuoteApproved() | QuoteRejected() | QuoteSent() | QuoteAccepted():
                status = {QuoteApproved: "approved", QuoteRejected: "rejected", QuoteSent: "sent",
                          QuoteAccepted: "accepted"}.get(type(payload))
                if isinstance(payload, QuoteSubmitted):
                    status = "submitted" if payload.approval_required else "approved"
                cur.execute(f"UPDATE {table} SET status = %s, updated_at = %s WHERE quote_id = %s",
                            (status, envelope.time, payload.quote_id))
