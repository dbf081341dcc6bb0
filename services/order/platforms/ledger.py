"""The platform ledger (services/order/platforms/sync.py's PlatformLedger) in PostgreSQL, in the order
service's schema: the feeds' cursors, the platform's codes of our hospitals and distributors, what became of each
platform order (placed or refused, with the rule), the hospitals' acceptances, and the outbox of calls to make.

`record_batch` writes a batch's records, outbox messages and acceptances and moves the cursor in ONE transaction;
everything is keyed (platform + platform order id, message id, acceptance id) and inserted with ON CONFLICT DO NOTHING,
so a batch pulled again after a crash records nothing twice. `enqueue(messages, cur=...)` writes messages with a
caller's open cursor, in the transaction of what caused them. One sender per platform at a time: `due` is meant for the
one sync loop of the order worker (a second loop would send a message twice; the platform de-duplicates on its id).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from services.order.platforms.sync import AcceptanceRecord, OutboxMessage, PlatformOrderRecord

TABLES = (
    "CREATE TABLE IF NOT EXISTS {schema}.platform_cursors (platform text NOT NULL, feed text NOT NULL, cursor text,"
    " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (platform, feed))",
    "CREATE TABLE IF NOT EXISTS {schema}.platform_parties (platform text NOT NULL, kind text NOT NULL,"
    " code text NOT NULL, party_id uuid NOT NULL, PRIMARY KEY (platform, kind, code))",
    # Who mapped a code, when and why: the mapping decides which hospital the platform's next orders are placed for.
    "ALTER TABLE {schema}.platform_parties ADD COLUMN IF NOT EXISTS mapped_by text",
    "ALTER TABLE {schema}.platform_parties ADD COLUMN IF NOT EXISTS reason text",
    "ALTER TABLE {schema}.platform_parties ADD COLUMN IF NOT EXISTS mapped_at timestamptz NOT NULL DEFAULT now()",
    "CREATE TABLE IF NOT EXISTS {schema}.platform_orders (platform text NOT NULL, platform_order_id text NOT NULL,"
    " status text NOT NULL, order_id uuid, hospital_code text, rule text, field text, detail text,"
    " received jsonb NOT NULL DEFAULT '{{}}', lines jsonb NOT NULL DEFAULT '[]', platform_order jsonb,"
    " recorded_at timestamptz NOT NULL DEFAULT now(),"
    " PRIMARY KEY (platform, platform_order_id))",
    "CREATE TABLE IF NOT EXISTS {schema}.platform_acceptances (platform text NOT NULL, acceptance_id text NOT NULL,"
    " platform_order_id text NOT NULL, order_id uuid NOT NULL, accepted_at timestamptz NOT NULL, delivery_no text,"
    " quantity integer, rejected_quantity integer NOT NULL DEFAULT 0, PRIMARY KEY (platform, acceptance_id))",
    "CREATE TABLE IF NOT EXISTS {schema}.platform_outbox (message_id text PRIMARY KEY, seq bigserial,"
    " platform text NOT NULL, kind text NOT NULL, payload jsonb NOT NULL, status text NOT NULL DEFAULT 'pending',"
    " attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(), last_error text,"
    " created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)",
    "CREATE INDEX IF NOT EXISTS platform_outbox_due ON {schema}.platform_outbox (platform, next_attempt_at)"
    " WHERE status = 'pending'",
)


def enqueue(cur: Cursor, schema: str, messages: Iterable[OutboxMessage]) -> None:
    """Queue messages with the caller's cursor (its transaction): the same message id again is ignored."""
    for message in messages:
        cur.execute(f"INSERT INTO {schema}.platform_outbox (message_id, platform, kind, payload)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (message_id) DO NOTHING",
                    (message.message_id, message.platform, message.kind, Jsonb(message.payload)))


def _message(row: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(message_id=row["message_id"], platform=row["platform"], kind=row["kind"],
                         payload=row["payload"], attempts=row["attempts"], next_attempt_at=row["next_attempt_at"],
                         status=row["status"], last_error=row["last_error"])


def _record(row: dict[str, Any]) -> PlatformOrderRecord:
    return PlatformOrderRecord(platform=row["platform"], platform_order_id=row["platform_order_id"],
                               status=row["status"], order_id=row["order_id"], hospital_code=row["hospital_code"],
                               rule=row["rule"], field=row["field"], detail=row["detail"], received=row["received"],
                               lines=tuple(row["lines"]), order=row["platform_order"], recorded_at=row["recorded_at"])


class PostgresPlatformLedger:
    def __init__(self, pool: ConnectionPool, schema: str) -> None:
        self.pool, self.schema = pool, schema

    def create_tables(self) -> None:
        with self.pool.connection() as conn:
            for statement in TABLES:
                conn.execute(statement.format(schema=self.schema))

    def cursor(self, platform: str, feed: str) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT cursor FROM {self.schema}.platform_cursors WHERE platform = %s AND feed = %s",
                               (platform, feed)).fetchone()
        return row["cursor"] if row else None

    def party_for(self, platform: str, kind: str, code: str) -> UUID | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT party_id FROM {self.schema}.platform_parties WHERE platform = %s AND kind = %s"
                               " AND code = %s", (platform, kind, code)).fetchone()
        return row["party_id"] if row else None

    def map_party(self, platform: str, kind: str, code: str, party_id: UUID, *, by: str | None = None,
                  reason: str | None = None) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"INSERT INTO {self.schema}.platform_parties (platform, kind, code, party_id, mapped_by,"
                         " reason) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (platform, kind, code) DO UPDATE"
                         " SET party_id = EXCLUDED.party_id, mapped_by = EXCLUDED.mapped_by,"
                         " reason = EXCLUDED.reason, mapped_at = now()", (platform, kind, code, party_id, by, reason))

    def recorded(self, platform: str, platform_order_ids: Iterable[str]) -> dict[str, str]:
        ids = list(platform_order_ids)
        if not ids:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(f"SELECT platform_order_id, status FROM {self.schema}.platform_orders"
                                " WHERE platform = %s AND platform_order_id = ANY(%s)", (platform, ids)).fetchall()
        return {row["platform_order_id"]: row["status"] for row in rows}

    def record_batch(self, platform: str, feed: str, cursor: str | None, records: list[PlatformOrderRecord],
                     messages: list[OutboxMessage], acceptances: list[AcceptanceRecord] = ()) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            for r in records:
                cur.execute(f"INSERT INTO {self.schema}.platform_orders (platform, platform_order_id, status,"
                            " order_id, hospital_code, rule, field, detail, received, lines, platform_order)"
                            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT (platform, platform_order_id) DO NOTHING",
                            (platform, r.platform_order_id, r.status, r.order_id, r.hospital_code, r.rule, r.field,
                             r.detail, Jsonb(r.received), Jsonb(list(r.lines)),
                             None if r.order is None else Jsonb(r.order)))
            enqueue(cur, self.schema, messages)
            for a in acceptances:
                cur.execute(f"INSERT INTO {self.schema}.platform_acceptances VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                            " ON CONFLICT (platform, acceptance_id) DO NOTHING",
                            (platform, a.acceptance_id, a.platform_order_id, a.order_id, a.accepted_at,
                             a.delivery_no, a.quantity, a.rejected_quantity))
            cur.execute(f"INSERT INTO {self.schema}.platform_cursors (platform, feed, cursor) VALUES (%s, %s, %s)"
                        " ON CONFLICT (platform, feed) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()",
                        (platform, feed, cursor))

    def enqueue(self, messages: list[OutboxMessage]) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            enqueue(cur, self.schema, messages)

    def resolve(self, record: PlatformOrderRecord, messages: list[OutboxMessage]) -> bool:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute(f"UPDATE {self.schema}.platform_orders SET status = %s, order_id = %s, rule = %s, field = %s,"
                        " detail = %s, recorded_at = now() WHERE platform = %s AND platform_order_id = %s"
                        " AND status = 'refused'", (record.status, record.order_id, record.rule, record.field,
                                                    record.detail, record.platform, record.platform_order_id))
            if cur.rowcount != 1:
                return False
            enqueue(cur, self.schema, messages)
            return True

    def due(self, platform: str, now: datetime, limit: int) -> list[OutboxMessage]:
        with self.pool.connection() as conn:
            rows = conn.execute(f"SELECT * FROM {self.schema}.platform_outbox WHERE platform = %s"
                                " AND status = 'pending' AND next_attempt_at <= %s ORDER BY seq LIMIT %s",
                                (platform, now, limit)).fetchall()
        return [_message(row) for row in rows]

    def mark_sent(self, message_id: str, at: datetime) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"UPDATE {self.schema}.platform_outbox SET status = 'sent', sent_at = %s,"
                         " attempts = attempts + 1 WHERE message_id = %s", (at, message_id))

    def mark_failed(self, message_id: str, attempts: int, next_attempt_at: datetime | None, error: str,
                    dead: bool) -> None:
        with self.pool.connection() as conn:
            conn.execute(f"UPDATE {self.schema}.platform_outbox SET attempts = %s, last_error = %s,"
                         " next_attempt_at = COALESCE(%s, next_attempt_at), status = %s WHERE message_id = %s",
                         (attempts, error[:2000], next_attempt_at, "dead" if dead else "pending", message_id))

    def orders(self, platform: str, status: str | None = None) -> list[PlatformOrderRecord]:
        with self.pool.connection() as conn:
            rows = conn.execute(f"SELECT * FROM {self.schema}.platform_orders WHERE platform = %s"
                                " AND (%s::text IS NULL OR status = %s) ORDER BY recorded_at, platform_order_id",
                                (platform, status, status)).fetchall()
        return [_record(row) for row in rows]

    def order(self, platform: str, platform_order_id: str) -> PlatformOrderRecord | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT * FROM {self.schema}.platform_orders WHERE platform = %s"
                               " AND platform_order_id = %s", (platform, platform_order_id)).fetchone()
        return None if row is None else _record(row)

    def outbox(self, platform: str) -> list[OutboxMessage]:
        with self.pool.connection() as conn:
            rows = conn.execute(f"SELECT * FROM {self.schema}.platform_outbox WHERE platform = %s ORDER BY seq",
                                (platform,)).fetchall()
        return [_message(row) for row in rows]

    def acceptances(self, platform: str) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return conn.execute(f"SELECT * FROM {self.schema}.platform_acceptances WHERE platform = %s"
                                " ORDER BY accepted_at", (platform,)).fetchall()


__all__ = ["TABLES", "PostgresPlatformLedger", "enqueue"]
