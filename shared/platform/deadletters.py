"""Dead letters: deliveries a consumer could not apply, set aside so that its partition keeps flowing.

When one event keeps failing (after bounded retries, while the database answers), the consumer records
it in the `dead_letters` table of its schema in the same transaction that moves its position past it,
then copies it to the topic `<namespace><consumer>.deadletters` (the table is the record; the topic
tells anyone who watches). Operators list, retry or skip dead letters with `erp deadletters`.

A skip is a decision two people must answer for: one operator proposes it with a reason
(`DeadLetterSkipProposal`, published as `erp.ops.DeadLetterSkipProposed`), a second one approves it
(`DeadLetterCase.Skipped`, published as `erp.ops.DeadLetterSkipped`), both recorded in the service's own log.
"""

import traceback
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.domain import event
from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool

from shared.events import CloudEvent, EventPayload
from shared.domain.approval import second_person
from shared.events.ops import DeadLetterSkipProposed, DeadLetterSkipped
from shared.platform.aggregate import TracedAggregate
from shared.platform.context import acting_as
from shared.platform.positions import ConsumerPosition
from shared.platform.settings import Settings

STATUSES = ("open", "retried", "skipped")


class NotOpenError(RuntimeError):
    """The dead letter was retried or skipped already (perhaps by someone else just now)."""


class NoProposalError(RuntimeError):
    """Nobody proposed skipping the dead letter: there is nothing to approve."""


def describe(error: BaseException) -> str:
    """The exception's type and message, as an operator needs them to judge a dead letter."""
    return "".join(traceback.format_exception_only(error)).strip()


def dead_letter_id(consumer: str, topic: str, partition: int, offset: int, event_id: str | None) -> UUID:
    # Keyed by the event id, not the offset: a relay resend of the same event is the same dead letter.
    key = event_id or f"{topic}/{partition}/{offset}"
    return uuid5(NAMESPACE_URL, f"erp:deadletter:{consumer}:{key}")


def topic_for(settings: Settings, consumer: str) -> str:
    return f"{settings.namespace}{consumer}.deadletters"


@dataclass(frozen=True)
class DeadLetter:
    id: UUID
    consumer: str
    topic: str
    partition: int
    kafka_offset: int
    source_position: int | None  # None when the record was not an envelope
    event_id: str | None
    event_type: str | None
    envelope: str  # the record's value as received: an envelope's JSON, unless it could not be decoded
    error: str
    attempts: int
    status: str = "open"
    recorded_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    reason: str | None = None

    @classmethod
    def of(cls, consumer: str, topic: str, partition: int, offset: int, value: bytes | str | None,
           envelope: CloudEvent | None, error: BaseException, attempts: int) -> "DeadLetter":
        text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value or ""
        event_id = envelope.id if envelope else None
        return cls(
            id=dead_letter_id(consumer, topic, partition, offset, event_id), consumer=consumer, topic=topic,
            partition=partition, kafka_offset=offset, source_position=envelope.position if envelope else None,
            event_id=event_id, event_type=envelope.type if envelope else None, envelope=text,
            error=describe(error), attempts=attempts,
        )

    def decoded(self) -> CloudEvent | None:
        try:
            return CloudEvent.model_validate_json(self.envelope)
        except ValueError:
            return None

    def position(self) -> ConsumerPosition:
        # An undecodable record has no source position: 0 leaves the stored one as it is (positions only grow).
        return ConsumerPosition(self.consumer, self.topic, self.partition, self.kafka_offset, self.source_position or 0)

    def headers(self) -> list[tuple[str, bytes]]:
        """What a reader of the dead-letter topic needs besides the record itself."""
        values = {"id": self.id, "consumer": self.consumer, "topic": self.topic, "partition": self.partition,
                  "offset": self.kafka_offset, "error": self.error, "attempts": self.attempts,
                  "event_id": self.event_id, "event_type": self.event_type}
        return [(f"deadletter_{k}", str(v).encode()) for k, v in values.items() if v is not None]


# --- the table --------------------------------------------------------------------------------------

_COLUMNS = [f.name for f in fields(DeadLetter)]


def create_dead_letters_table(schema: str) -> list[sql.Composable]:
    return [
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {}.dead_letters ("
            " id uuid PRIMARY KEY, consumer text NOT NULL, topic text NOT NULL, partition int NOT NULL,"
            " kafka_offset bigint NOT NULL, source_position bigint, event_id text, event_type text,"
            " envelope text NOT NULL, error text NOT NULL, attempts int NOT NULL,"
            " status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retried', 'skipped')),"
            " recorded_at timestamptz NOT NULL DEFAULT now(),"
            " resolved_at timestamptz, resolved_by text, reason text,"
            # Set once the copy is on the dead-letter topic: what is still NULL is sent again later.
            " published_at timestamptz)"
        ).format(sql.Identifier(schema)),
    ]


def _table(schema: str) -> sql.Composable:
    return sql.SQL("{}.dead_letters").format(sql.Identifier(schema))


def _letters(cur: Cursor) -> list[DeadLetter]:
    names = [c.name for c in cur.description or []]
    rows = [r if isinstance(r, dict) else dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return [DeadLetter(**{k: row[k] for k in _COLUMNS}) for row in rows]


def record(cur: Cursor, schema: str, letter: DeadLetter) -> None:
    cur.execute(
        sql.SQL("INSERT INTO {} (id, consumer, topic, partition, kafka_offset, source_position, event_id, event_type,"
                " envelope, error, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (id) DO NOTHING").format(_table(schema)),
        (letter.id, letter.consumer, letter.topic, letter.partition, letter.kafka_offset, letter.source_position,
         letter.event_id, letter.event_type, letter.envelope, letter.error, letter.attempts),
    )


def table_exists(cur: Cursor, schema: str) -> bool:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (f'"{schema}".dead_letters',))
    row = cur.fetchone()
    return bool(row["present"] if isinstance(row, dict) else row[0])


def find(cur: Cursor, schema: str, letter_id: UUID, *, lock: bool = False) -> DeadLetter | None:
    query = sql.SQL("SELECT {} FROM {} WHERE id = %s").format(sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
                                                             _table(schema))
    cur.execute(query + sql.SQL(" FOR UPDATE") if lock else query, (letter_id,))
    found = _letters(cur)
    return found[0] if found else None


def select(cur: Cursor, schema: str, status: str | None = None) -> list[DeadLetter]:
    cur.execute(
        sql.SQL("SELECT {} FROM {} WHERE %(status)s::text IS NULL OR status = %(status)s ORDER BY recorded_at, id").format(
            sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)), _table(schema)),
        {"status": status},
    )
    return _letters(cur)


def _resolve(cur: Cursor, schema: str, letter_id: UUID, status: str, actor: str | None, reason: str | None) -> None:
    cur.execute(
        sql.SQL("UPDATE {} SET status = %s, resolved_at = now(), resolved_by = %s, reason = %s"
                " WHERE id = %s AND status = 'open'").format(_table(schema)),
        (status, actor, reason, letter_id),
    )
    if cur.rowcount != 1:
        raise NotOpenError(f"dead letter {letter_id} is not open")


def mark_retried(cur: Cursor, schema: str, letter_id: UUID) -> None:
    """Run in the transaction of the retry's effect: raising here undoes the effect too."""
    _resolve(cur, schema, letter_id, "retried", None, None)


def record_failed_retry(cur: Cursor, schema: str, letter_id: UUID, error: BaseException) -> None:
    cur.execute(sql.SQL("UPDATE {} SET attempts = attempts + 1, error = %s WHERE id = %s AND status = 'open'").format(
        _table(schema)), (describe(error), letter_id))


def unpublished(pool: ConnectionPool, schema: str, consumer: str) -> list[DeadLetter]:
    with pool.connection() as conn, conn.cursor() as cur:
        cur.execute(
            sql.SQL("SELECT {} FROM {} WHERE consumer = %s AND published_at IS NULL ORDER BY recorded_at").format(
                sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)), _table(schema)),
            (consumer,),
        )
        return _letters(cur)


def mark_published(pool: ConnectionPool, schema: str, letter_id: UUID) -> None:
    with pool.connection() as conn:
        conn.execute(sql.SQL("UPDATE {} SET published_at = now() WHERE id = %s").format(_table(schema)), (letter_id,))


# --- skipping: an audited decision ------------------------------------------------------------------

class DeadLetterCase(TracedAggregate):
    """What the operators decided about one dead letter (same id). It comes to exist when someone skips it."""

    @event("Skipped")
    def __init__(self, dead_letter_id: UUID, consumer: str, skipped_event_id: str | None,
                 skipped_event_type: str | None, topic: str, partition: int, offset: int, error: str,
                 reason: str, proposed_by: str | None = None) -> None:
        self.consumer = consumer
        self.skipped_event_id = skipped_event_id
        self.reason = reason
        self.proposed_by = proposed_by  # None for skips recorded before they took four eyes

    @staticmethod
    def create_id(dead_letter_id: UUID) -> UUID:
        return dead_letter_id


class DeadLetterSkipProposal(TracedAggregate):
    """One operator's proposal to skip a dead letter, waiting for a second operator (a later proposal replaces it)."""

    @event("Proposed")
    def __init__(self, dead_letter_id: UUID, consumer: str, reason: str, proposed_by: str) -> None:
        self.dead_letter_id, self.reason, self.proposed_by = dead_letter_id, reason, proposed_by

    @event("ProposedAgain")
    def propose_again(self, dead_letter_id: UUID, consumer: str, reason: str, proposed_by: str) -> None:
        self.reason, self.proposed_by = reason, proposed_by

    @staticmethod
    def create_id(dead_letter_id: UUID) -> UUID:
        return uuid5(dead_letter_id, "skip-proposal")


# Every service's log may hold these (see ServiceApplication.to_payload).
OPS_CONTRACTS: dict[type, type[EventPayload]] = {DeadLetterCase.Skipped: DeadLetterSkipped,
                                                 DeadLetterSkipProposal.Proposed: DeadLetterSkipProposed,
                                                 DeadLetterSkipProposal.ProposedAgain: DeadLetterSkipProposed}


def propose_skip(app: Any, letter_id: UUID, reason: str, actor: str) -> DeadLetterSkipProposal:
    """Proposes giving up on an open dead letter of `app`'s service; a second operator approves (`skip`)."""
    with psycopg.connect(app.settings.database_url) as conn, conn.cursor() as cur:
        letter = find(cur, app.schema, letter_id)
    if letter is None or letter.status != "open":
        raise NotOpenError(f"dead letter {letter_id} is {letter.status if letter else 'unknown'}")
    proposal = app.get_aggregate(DeadLetterSkipProposal.create_id(letter_id), DeadLetterSkipProposal)
    envelope = letter.decoded()
    with acting_as(actor, correlation_id=envelope.correlationid if envelope else None, causation_id=letter.event_id):
        if proposal is None:
            proposal = DeadLetterSkipProposal(dead_letter_id=letter_id, consumer=letter.consumer, reason=reason,
                                              proposed_by=actor)
        elif (proposal.reason, proposal.proposed_by) != (reason, actor):
            proposal.propose_again(dead_letter_id=letter_id, consumer=letter.consumer, reason=reason,
                                   proposed_by=actor)
    app.save(proposal)
    return proposal


def skip(app: Any, letter_id: UUID, actor: str) -> DeadLetterCase:
    """Approves the proposal to give up on an open dead letter of `app`'s service (not its proposer: four eyes):
    records who proposed, who approved and why in its log, then marks it 'skipped'.

    `app` is the service's ServiceApplication; `actor` who approves, e.g. `user:bob`.
    """
    proposal = app.get_aggregate(DeadLetterSkipProposal.create_id(letter_id), DeadLetterSkipProposal)
    with psycopg.connect(app.settings.database_url) as conn, conn.transaction(), conn.cursor() as cur:
        # Locked until marked: a retry of the same letter meanwhile waits, then finds it no longer open.
        letter = find(cur, app.schema, letter_id, lock=True)
        if letter is None or letter.status != "open":
            raise NotOpenError(f"dead letter {letter_id} is {letter.status if letter else 'unknown'}")
        if proposal is None:
            raise NoProposalError(f"no skip of dead letter {letter_id} is proposed: an operator proposes it first")
        second_person(proposal.proposed_by, actor, "skipping this dead letter")
        # The event is saved first, in its own transaction (the event store owns it). Should we stop before
        # marking the letter, a second `skip` finds the case recorded and only marks it.
        case = app.get_aggregate(letter_id, DeadLetterCase)
        if case is None:
            case = _skipped_case(letter, proposal.reason, actor, proposal.proposed_by)
            app.save(case)
        _resolve(cur, app.schema, letter_id, "skipped", actor, proposal.reason)
    return case


def _skipped_case(letter: DeadLetter, reason: str, actor: str, proposed_by: str) -> DeadLetterCase:
    envelope = letter.decoded()
    # Same correlation as the event given up on, so the skip shows in that business flow's history.
    with acting_as(actor, correlation_id=envelope.correlationid if envelope else None,
                   causation_id=letter.event_id):
        return DeadLetterCase(dead_letter_id=letter.id, consumer=letter.consumer, skipped_event_id=letter.event_id,
                              skipped_event_type=letter.event_type, topic=letter.topic, partition=letter.partition,
                              offset=letter.kafka_offset, error=letter.error, reason=reason,
                              proposed_by=proposed_by)
