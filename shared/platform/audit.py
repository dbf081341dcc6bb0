"""The tamper-evident event log (README, "Tamper-evident log").

Every stored event carries a hash over the previous event's hash and the event's canonical bytes,
computed by PostgreSQL as the event is inserted (inserts are serialised by the event store's insert
lock, so the chain follows position order). Stored events can be neither updated, deleted nor
truncated: triggers refuse it for every role, and the application role the services connect as
holds no UPDATE, DELETE or TRUNCATE privilege and does not own the table, so it can neither switch
the triggers off nor drop them (README, "Database roles"). Periodic signed checkpoints (position, head hash,
time), published to a Kafka topic apart from the events, make a consistently rewritten chain
detectable too. `verify` recomputes the chain and checks it against the checkpoints.
"""

import base64
import hashlib
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from psycopg import sql
from pydantic import BaseModel

GENESIS = b""


def hash_chain_statements(schema: str, table: str = "stored_events") -> list[sql.Composable]:
    s, t = sql.Identifier(schema), sql.Identifier(table)
    chain_fn = sql.Identifier(f"{table}_chain")
    forbid_fn = sql.Identifier(f"{table}_immutable")
    return [
        sql.SQL("ALTER TABLE {}.{} ADD COLUMN IF NOT EXISTS hash bytea").format(s, t),
        # The canonical bytes: position, version, aggregate id, then topic (length-prefixed) and state.
        # The functions run as whoever inserts: a fixed search_path, so that no function or operator the application
        # role creates in its own schema (it may create there) can stand in for sha256 and the others.
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.{fn}() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $$"
            " DECLARE previous bytea; topic_bytes bytea := convert_to(coalesce(NEW.topic, ''), 'UTF8');"
            " BEGIN"
            "  SELECT hash INTO previous FROM {s}.{t} WHERE notification_id < NEW.notification_id"
            "   ORDER BY notification_id DESC LIMIT 1;"
            "  NEW.hash := sha256(coalesce(previous, ''::bytea) || int8send(NEW.notification_id)"
            "   || int8send(NEW.originator_version) || uuid_send(NEW.originator_id)"
            "   || int4send(octet_length(topic_bytes)) || topic_bytes || coalesce(NEW.state, ''::bytea));"
            "  RETURN NEW;"
            " END $$"
        ).format(s=s, t=t, fn=chain_fn),
        sql.SQL("CREATE OR REPLACE TRIGGER chain BEFORE INSERT ON {}.{} FOR EACH ROW EXECUTE FUNCTION {}.{}()").format(
            s, t, s, chain_fn),
        sql.SQL(
            "CREATE OR REPLACE FUNCTION {s}.{fn}() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $$"
            " BEGIN RAISE EXCEPTION 'stored events are immutable: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME"
            "  USING ERRCODE = 'insufficient_privilege'; END $$"
        ).format(s=s, fn=forbid_fn),
        sql.SQL("CREATE OR REPLACE TRIGGER immutable_rows BEFORE UPDATE OR DELETE ON {}.{}"
                " FOR EACH ROW EXECUTE FUNCTION {}.{}()").format(s, t, s, forbid_fn),
        sql.SQL("CREATE OR REPLACE TRIGGER immutable_table BEFORE TRUNCATE ON {}.{}"
                " FOR EACH STATEMENT EXECUTE FUNCTION {}.{}()").format(s, t, s, forbid_fn),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {}.{} FROM PUBLIC").format(s, t),
    ]


def grant_event_table(conn: psycopg.Connection, schema: str, table: str, app_role: str, auditor_role: str) -> None:
    """On `conn` (the owner, who just created the table): the application may read and append events, and take
    notification ids from the table's sequence; the auditor may read them. Nothing else: no UPDATE, DELETE or
    TRUNCATE (REVOKEd from PUBLIC above), and without owning the table no ALTER TABLE, DROP or DISABLE TRIGGER."""
    owner = conn.execute("SELECT current_user").fetchone()[0]
    qualified = sql.Identifier(schema, table)
    if app_role != owner:
        actual = conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = %s",
                              (schema, table)).fetchone()
        if actual is None or actual[0] != owner:
            # E.g. made by the application role before the owner got to it: it could switch the triggers off.
            raise RuntimeError(f"{schema}.{table} is owned by {actual[0] if actual else 'nobody'}, not by the owner "
                               f"role {owner}: refusing to store events in it (README, \"Database roles\")")
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(qualified, sql.Identifier(app_role)))
        sequence = conn.execute("SELECT pg_get_serial_sequence(%s, 'notification_id')",
                                (qualified.as_string(conn),)).fetchone()[0]
        conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(sequence), sql.Identifier(app_role)))
    if auditor_role not in (owner, app_role):
        conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(qualified, sql.Identifier(auditor_role)))


def chain_hash(previous: bytes, position: int, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    topic_bytes = topic.encode()
    canonical = (struct.pack(">qq", position, version) + originator_id.bytes + struct.pack(">i", len(topic_bytes))
                 + topic_bytes + state)
    return hashlib.sha256(previous + canonical).digest()


@dataclass(frozen=True)
class StoredRow:
    position: int
    originator_id: UUID
    version: int
    topic: str
    state: bytes
    hash: bytes | None


def events_table(service: str) -> str:
    """The table eventsourcing stores a service's events in (it names it after the application)."""
    return f"{service}_events"


def stored_rows(database_url: str, schema: str, table: str, batch: int = 5000) -> Iterator[StoredRow]:
    """Every stored event in position order, streamed (a server-side cursor)."""
    with psycopg.connect(database_url) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (sql.Identifier(schema, table).as_string(conn),)).fetchone()[0]
    if exists is None:
        return  # the service has never run here: an empty log
    with psycopg.connect(database_url) as conn, conn.cursor(name="audit_scan") as cur:
        cur.itersize = batch
        cur.execute(sql.SQL("SELECT notification_id, originator_id, originator_version, topic, state, hash"
                            " FROM {}.{} ORDER BY notification_id").format(sql.Identifier(schema), sql.Identifier(table)))
        for row in cur:
            yield StoredRow(row[0], row[1], row[2], row[3] or "", bytes(row[4] or b""), bytes(row[5]) if row[5] else None)


class Checkpoint(BaseModel):
    service: str
    position: int
    head_hash: str  # hex
    time: datetime
    signature: str  # base64 Ed25519 over the other fields

    @staticmethod
    def message(service: str, position: int, head_hash: str, time: datetime) -> bytes:
        return f"{service}|{position}|{head_hash}|{time.isoformat()}".encode()


def signing_key(seed_b64: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64))


def public_key_b64(seed_b64: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = signing_key(seed_b64).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign_checkpoint(seed_b64: str, service: str, position: int, head_hash: bytes, time: datetime) -> Checkpoint:
    hex_hash = head_hash.hex()
    signature = signing_key(seed_b64).sign(Checkpoint.message(service, position, hex_hash, time))
    return Checkpoint(service=service, position=position, head_hash=hex_hash, time=time,
                      signature=base64.b64encode(signature).decode())


def signature_is_valid(checkpoint: Checkpoint, public_b64: str) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
    try:
        key.verify(base64.b64decode(checkpoint.signature),
                   Checkpoint.message(checkpoint.service, checkpoint.position, checkpoint.head_hash, checkpoint.time))
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Verdict:
    intact: bool
    checked_up_to: int  # the last position whose hash was confirmed
    events: int
    checkpoints: int
    broken_at: int | None = None
    how: str | None = None

    def __str__(self) -> str:
        if self.intact:
            return (f"intact up to position {self.checked_up_to} ({self.events} events, "
                    f"{self.checkpoints} signed checkpoints confirmed)")
        return f"broken at position {self.broken_at}: {self.how}"


def verify(rows: Iterable[StoredRow], checkpoints: Iterable[Checkpoint], public_b64: str) -> Verdict:
    """Recompute the chain over the rows; every checkpoint must be validly signed and match it."""
    expected: dict[int, Checkpoint] = {}
    for checkpoint in checkpoints:
        if not signature_is_valid(checkpoint, public_b64):
            return Verdict(False, 0, 0, 0, checkpoint.position,
                           f"the checkpoint for position {checkpoint.position} has an invalid signature")
        expected[checkpoint.position] = checkpoint
    previous, last, events, confirmed = GENESIS, 0, 0, 0
    for row in rows:
        computed = chain_hash(previous, row.position, row.originator_id, row.version, row.topic, row.state)
        if row.hash is None:
            return Verdict(False, last, events, confirmed, row.position, "the event has no hash (written outside the chain)")
        if row.hash != computed:
            return Verdict(False, last, events, confirmed, row.position,
                           "its stored hash does not match its content and predecessor: the event was altered, "
                           "or an event before it was removed or reordered")
        for position in [p for p in expected if last < p < row.position]:
            return Verdict(False, last, events, confirmed, position,
                           f"the event at position {position}, covered by a signed checkpoint, is missing")
        checkpoint = expected.get(row.position)
        if checkpoint is not None:
            if checkpoint.head_hash != computed.hex():
                return Verdict(False, last, events, confirmed, row.position,
                               f"the chain was rewritten: the checkpoint signed at {checkpoint.time.isoformat()} "
                               f"has hash {checkpoint.head_hash[:16]}…, the log now gives {computed.hex()[:16]}…")
            confirmed += 1
        previous, last, events = computed, row.position, events + 1
    beyond = [p for p in expected if p > last]
    if beyond:
        return Verdict(False, last, events, confirmed, min(beyond),
                       "events covered by a signed checkpoint are missing from the end of the log")
    return Verdict(True, last, events, confirmed)
