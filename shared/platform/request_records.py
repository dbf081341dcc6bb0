"""What the write side records beside a command's events, in the same transaction, so that no retry or race can
separate them:

- the Idempotency-Key of the request that caused the events, with a digest of what it asked for
  (idempotency.py answers retries from it);
- unique claims: a value only one aggregate may hold (a hospital's name, a supplier's credit code). Events
  cannot enforce uniqueness across aggregates; this table's primary key can, and a second claim fails the whole
  transaction, so the duplicate's events are never stored.
"""

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID

from psycopg import Cursor, sql


@dataclass(frozen=True)
class IdempotentRequest:
    actor: str
    key: str
    digest: str


@dataclass(frozen=True)
class UniqueClaim:
    kind: str  # e.g. "hospital-name"
    value: str  # normalised, so that variants of the same value collide
    owner: UUID


# The request being served, when it carries an Idempotency-Key: recorded with whatever events it stores.
current_request: ContextVar[IdempotentRequest | None] = ContextVar("idempotent_request", default=None)


def create_request_records_tables(schema: str) -> list[sql.Composable]:
    s = sql.Identifier(schema)
    return [
        sql.SQL("CREATE TABLE IF NOT EXISTS {}.idempotency_keys (actor text NOT NULL, key text NOT NULL,"
                " request_sha256 text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now(),"
                " PRIMARY KEY (actor, key))").format(s),
        sql.SQL("CREATE TABLE IF NOT EXISTS {}.unique_claims (kind text NOT NULL, value text NOT NULL,"
                " owner uuid NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (kind, value))").format(s),
    ]


def record_request(cur: Cursor, schema: str, request: IdempotentRequest) -> None:
    # A request that saves twice records its key once; a different request under the key is refused before.
    cur.execute(sql.SQL("INSERT INTO {}.idempotency_keys (actor, key, request_sha256) VALUES (%s, %s, %s)"
                        " ON CONFLICT (actor, key) DO NOTHING").format(sql.Identifier(schema)),
                (request.actor, request.key, request.digest))


def record_claims(cur: Cursor, schema: str, claims: Iterable[UniqueClaim]) -> None:
    # An owner claiming its own value again changes nothing; another owner's claim violates the primary key.
    statement = sql.SQL("INSERT INTO {0}.unique_claims AS c (kind, value, owner) VALUES (%s, %s, %s)"
                        " ON CONFLICT (kind, value) DO UPDATE SET owner = c.owner WHERE c.owner = EXCLUDED.owner"
                        ).format(sql.Identifier(schema))
    for claim in claims:
        cur.execute(statement, (claim.kind, claim.value, claim.owner))
        if cur.rowcount == 0:
            from psycopg.errors import UniqueViolation

            raise UniqueViolation(f"{claim.kind} {claim.value!r} is already claimed")


def recorded_digest(cur: Cursor, schema: str, actor: str, key: str) -> str | None:
    cur.execute(sql.SQL("SELECT request_sha256 FROM {}.idempotency_keys WHERE actor = %s AND key = %s")
                .format(sql.Identifier(schema)), (actor, key))
    return _first(cur.fetchone())


def claimed_by(cur: Cursor, schema: str, kind: str, value: str) -> UUID | None:
    cur.execute(sql.SQL("SELECT owner FROM {}.unique_claims WHERE kind = %s AND value = %s")
                .format(sql.Identifier(schema)), (kind, value))
    return _first(cur.fetchone())


def _first(row: object) -> object:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
