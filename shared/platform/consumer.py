"""Consumers that are exactly-once in effect (README, "The event backbone"), on aiokafka.

A handler receives a batch of deliveries from one partition and must record, in the same
PostgreSQL transaction as its changes, the Kafka offset and the highest source position it has
applied. On assignment the runner seeks to the stored offset + 1; a delivery whose source position
is not above the stored one is a relay resend and is skipped.

Two kinds of handler: `Projection` (read-model tables, one transaction per batch) and
`ProcessManager` (issues commands on its own aggregates; the events and the position are
saved together by the event store's recorder).

When a batch fails, the runner retries it a bounded number of times (`RetryPolicy`), then applies its
deliveries one at a time: the good ones go through, and one that still fails is set aside as a dead
letter (see deadletters.py) in the transaction that moves the position past it, so the partition keeps
flowing. A failure that is not the event's fault — the database unreachable, or a handler raising
`RetryLater` — never dead-letters anything: the partition waits, rewinds and retries with backoff.
"""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psycopg
from aiokafka import ConsumerRebalanceListener, TopicPartition
from eventsourcing import persistence as store
from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.events import CloudEvent, EventPayload, UnknownEventTypeError, payload_of
from shared.platform.context import acting_as
from shared.platform import deadletters
from shared.platform.db import ddl_lock, roles_of
from shared.platform.deadletters import DeadLetter
from shared.platform.eventstore import IntegrityError, ServiceApplication
from shared.platform.kafka import ensure_topics, new_consumer, new_producer
from shared.platform.positions import ConsumerPosition, create_positions_tables, load_positions, save_positions
from shared.platform.unit_of_work import UnitOfWork
from shared.platform.settings import Settings

log = logging.getLogger(__name__)


class RetryLater(Exception):  # noqa: N818 - it names what to do, not what went wrong
    """Raised by a handler when an event cannot be applied *yet* (e.g. it arrived before what it depends on).

    The partition waits and retries with backoff for as long as it takes; it is never dead-lettered.
    """


# The database (or the connection to it) failed, not the event: retried for as long as it takes.
_TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError, store.OperationalError, store.InterfaceError)


def is_transient(error: BaseException) -> bool:
    """Whether the failure says nothing about the event, so it must wait rather than be dead-lettered."""
    seen: BaseException | None = error
    while seen is not None:  # also when wrapped, e.g. by the event store or a handler's own exception
        # A pipeline aborts after a statement failed: that failure, not the connection, is the cause.
        if isinstance(seen, RetryLater) or (isinstance(seen, _TRANSIENT)
                                            and not isinstance(seen, psycopg.errors.PipelineAborted)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class RetryPolicy(BaseSettings):
    """How often a failing batch is retried before the runner looks for the delivery to set aside, and the
    backoff between attempts (doubling up to the maximum; also while a partition waits)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    max_attempts: int = Field(3, ge=1, alias="CONSUMER_MAX_ATTEMPTS")
    backoff_seconds: float = Field(0.2, gt=0, alias="CONSUMER_RETRY_BACKOFF_SECONDS")
    max_backoff_seconds: float = Field(5.0, gt=0, alias="CONSUMER_MAX_BACKOFF_SECONDS")

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))


@dataclass(frozen=True)
class Delivery:
    topic: str
    partition: int
    offset: int
    envelope: CloudEvent

    def position(self, consumer: str) -> ConsumerPosition:
        return ConsumerPosition(consumer, self.topic, self.partition, self.offset, self.envelope.position)


class PositionFilter:
    """Tracks the last applied (offset, source position) per partition and says what is new."""

    def __init__(self, stored: dict[tuple[str, int], tuple[int, int]]) -> None:
        self.stored = dict(stored)

    def is_new(self, delivery: Delivery) -> bool:
        offset, position = self.stored.get((delivery.topic, delivery.partition), (-1, 0))
        return delivery.offset > offset and delivery.envelope.position > position

    def advance(self, delivery: Delivery) -> None:
        key = (delivery.topic, delivery.partition)
        offset, position = self.stored.get(key, (-1, 0))
        self.stored[key] = (max(offset, delivery.offset), max(position, delivery.envelope.position))


def typed(envelope: CloudEvent) -> EventPayload | None:
    try:
        return payload_of(envelope)
    except UnknownEventTypeError:
        return None  # a type this build does not know (a newer producer): not ours to apply


class Handler(ABC):
    """Something that consumes `<service>.events` topics. `name` is its consumer group and position key."""

    name: str
    subscribes_to: tuple[str, ...]  # producing services
    schema: str
    pool: ConnectionPool

    def setup(self) -> None:
        # A missing schema is made by the owner role; the tables by the pool's (application) role, which owns them.
        with ddl_lock(roles_of(self.pool), self.schema), self.pool.connection() as conn:
            for statement in [*create_positions_tables(self.schema), *deadletters.create_dead_letters_table(self.schema)]:
                conn.execute(statement)
            for ddl in self.tables_ddl:
                conn.execute(sql.SQL(ddl).format(schema=sql.Identifier(self.schema)))

    # CREATE statements of the handler's own tables; `{schema}` is replaced by its schema.
    tables_ddl: tuple[str, ...] = ()

    def stored_positions(self) -> dict[tuple[str, int], tuple[int, int]]:
        with self.pool.connection() as conn, conn.cursor() as cur:
            return load_positions(cur, self.schema, self.name)

    @abstractmethod
    def handle_batch(self, deliveries: list[Delivery]) -> None: ...

    def reapply(self, delivery: Delivery, mark: Callable[[Cursor], None]) -> None:
        """Apply one delivery again, outside the stream (a dead letter's retry); `mark` records that it was."""
        raise NotImplementedError(f"{type(self).__name__} cannot retry dead letters")

    def set_aside(self, letter: DeadLetter) -> None:
        """Record a dead letter and move this consumer's position past it, in one transaction."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            # Locked as when applying: a consumer that lost the partition in a rebalance must not set aside
            # what the new owner has applied (or set aside) meanwhile.
            cur.execute(sql.SQL("SELECT 1 FROM {}.consumer_positions WHERE consumer = %s FOR UPDATE").format(
                sql.Identifier(self.schema)), (self.name,))
            stored_offset, _ = load_positions(cur, self.schema, self.name).get((letter.topic, letter.partition), (-1, 0))
            if letter.kafka_offset <= stored_offset:
                return
            deadletters.record(cur, self.schema, letter)
            save_positions(cur, self.schema, [letter.position()])


class Projection(Handler):
    """A read model: `apply` changes tables; the runner commits the batch and its positions together."""

    def __init__(self, pool: ConnectionPool, schema: str, name: str | None = None) -> None:
        self.pool = pool
        self.schema = schema
        self.name = name or type(self).name


    @abstractmethod
    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None: ...

    def apply_batch(self, cur: Cursor, events: list[tuple[CloudEvent, EventPayload]]) -> None:
        """Apply a batch's new events, in order, in the batch's transaction.

        The default calls `apply` per event in pipeline mode: statements are sent without waiting for
        each result (several times faster on a replay). A projection may override this with set-based
        SQL (INSERT ... SELECT FROM unnest(...)) when its replay speed matters.
        """
        with cur.connection.pipeline():
            for envelope, payload in events:
                self.apply(cur, envelope, payload)

    def handle_batch(self, deliveries: list[Delivery]) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            # A read model's commit need not wait for its WAL flush: a crash can only lose the batch together
            # with its positions, and the batch is then applied again from Kafka. (Never for event-store
            # writes: what the relay has published must not vanish.) Measured in bench/pipeline.py.
            cur.execute("SET LOCAL synchronous_commit = off")
            filter_ = PositionFilter(self._locked_positions(cur))
            fresh = []
            events = []
            for delivery in deliveries:
                if not filter_.is_new(delivery):
                    continue
                payload = typed(delivery.envelope)
                if payload is not None:
                    events.append((delivery.envelope, payload))
                filter_.advance(delivery)
                fresh.append(delivery)
            if events:
                self.apply_batch(cur, events)
            save_positions(cur, self.schema, self._last_positions(fresh))

    def _locked_positions(self, cur: Cursor) -> dict[tuple[str, int], tuple[int, int]]:
        # FOR UPDATE: a consumer that lost its partition in a rebalance but is still finishing a batch
        # waits here for the new owner's transaction instead of applying the same events alongside it.
        cur.execute(
            sql.SQL("SELECT 1 FROM {}.consumer_positions WHERE consumer = %s FOR UPDATE").format(sql.Identifier(self.schema)),
            (self.name,),
        )
        return load_positions(cur, self.schema, self.name)

    def _last_positions(self, deliveries: Iterable[Delivery]) -> list[ConsumerPosition]:
        last: dict[tuple[str, int], Delivery] = {}
        for d in deliveries:
            last[(d.topic, d.partition)] = d
        return [d.position(self.name) for d in last.values()]

    def reapply(self, delivery: Delivery, mark: Callable[[Cursor], None]) -> None:
        # The position is not touched: it moved past this delivery when it was set aside.
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            payload = typed(delivery.envelope)
            if payload is not None:
                self.apply(cur, delivery.envelope, payload)
            mark(cur)


class ProcessManager(Handler):
    """Reacts to other services' events: each event becomes a command for the service's own handlers.

    `react` runs the handlers in the unit of work it is given; the runner saves what they committed together with
    the consumer position, in one transaction, so a redelivered event causes nothing twice. A version conflict
    (someone else changed the same aggregate meanwhile) is retried against fresh state.
    """

    max_conflict_retries = 5

    def __init__(self, app: ServiceApplication, pool: ConnectionPool,
                 unit_of_work: Callable[[bool], UnitOfWork] | None = None) -> None:
        self.app = app
        self.pool = pool
        self.schema = app.schema
        self.new_unit_of_work = unit_of_work or (lambda deferred: UnitOfWork(app, deferred=deferred))

    @abstractmethod
    def react(self, envelope: CloudEvent, payload: EventPayload, uow: UnitOfWork) -> None: ...

    def handle_batch(self, deliveries: list[Delivery]) -> None:
        if len(deliveries) == 1:
            self._handle_one_at_a_time(deliveries)
            return
        try:
            self._handle_together(deliveries)
        except IntegrityError:  # someone changed one of the aggregates meanwhile; nothing was stored
            # Each half again: a smaller batch is less likely to meet a concurrent change (one at a time at the end).
            log.info("%s: version conflict saving a batch of %d; splitting it", self.name, len(deliveries))
            half = len(deliveries) // 2
            self.handle_batch(deliveries[:half])
            self.handle_batch(deliveries[half:])

    def _react(self, uow: UnitOfWork, delivery: Delivery, payload: EventPayload) -> None:
        envelope = delivery.envelope
        with acting_as(f"service:{self.app.service}", envelope.correlationid, causation_id=envelope.id):
            try:
                self.react(envelope, payload, uow)
            except BaseException:
                uow.rollback()
                raise

    def _handle_together(self, deliveries: list[Delivery]) -> None:
        """React to the whole batch in one unit of work, then save what every reaction committed and the positions
        in one transaction.

        One commit per batch instead of one per event: the event store's commit (its table lock, its WAL flush)
        was most of a process manager's time (profiled under bench/pipeline.py). Later reactions in the batch
        read the aggregates earlier ones changed, through the unit of work.
        """
        filter_ = PositionFilter(self.stored_positions())
        uow = self.new_unit_of_work(True)
        fresh: list[Delivery] = []
        for delivery in deliveries:
            if not filter_.is_new(delivery):
                continue
            payload = typed(delivery.envelope)
            if payload is not None:
                self._react(uow, delivery, payload)
            filter_.advance(delivery)
            fresh.append(delivery)
        last = list({(d.topic, d.partition): d.position(self.name) for d in fresh}.values())
        if not uow.flush(last) and last:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                save_positions(cur, self.schema, last)

    def _handle_one_at_a_time(self, deliveries: list[Delivery]) -> None:
        filter_ = PositionFilter(self.stored_positions())
        unsaved: list[ConsumerPosition] = []
        for delivery in deliveries:
            if not filter_.is_new(delivery):
                continue
            payload = typed(delivery.envelope)
            if payload is not None and self._react_and_save(delivery, payload):
                unsaved.clear()
            else:
                unsaved.append(delivery.position(self.name))
            filter_.advance(delivery)
        if unsaved:
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                save_positions(cur, self.schema, unsaved)

    def _react_and_save(self, delivery: Delivery, payload: EventPayload) -> bool:
        """React and save with the position; False when the reaction changed nothing (the position is the caller's)."""
        for attempt in range(self.max_conflict_retries):
            uow = self.new_unit_of_work(True)
            self._react(uow, delivery, payload)
            try:
                return uow.flush([delivery.position(self.name)])
            except IntegrityError:
                log.info("version conflict reacting to %s (attempt %d); retrying", delivery.envelope.id, attempt + 1)
        raise RuntimeError(f"gave up reacting to {delivery.envelope.id} after {self.max_conflict_retries} conflicts")

    def reapply(self, delivery: Delivery, mark: Callable[[Cursor], None]) -> None:
        payload = typed(delivery.envelope)
        if payload is not None:
            self._react_and_save(delivery, payload)
        # Not in the transaction of the events (the event store's recorder owns it). Should we stop in
        # between, the letter stays open and a second retry changes nothing: reactions look at the
        # aggregates' state first (an order already reserved, an invoice already raised).
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            mark(cur)


class _SeekFromDatabase(ConsumerRebalanceListener):
    def __init__(self, runner: "ConsumerRunner") -> None:
        self.runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        # aiokafka 0.14 installs the assignment before calling us, so getmany() could already return
        # records from Kafka's committed offset while we read the database. Pause first, synchronously,
        # and resume only once every partition is at its stored position.
        self.runner.consumer.pause(*assigned)
        await self.runner.seek_to_stored(assigned)
        self.runner.consumer.resume(*assigned)


class ConsumerRunner:
    def __init__(self, handler: Handler, settings: Settings, retry: RetryPolicy | None = None) -> None:
        self.handler = handler
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.topics = [settings.topic_for(service) for service in handler.subscribes_to]
        self.group_id = f"{settings.namespace}{handler.name}"
        self.applied = 0
        self._waits: dict[TopicPartition, int] = {}  # consecutive waits per partition, for the backoff

    async def seek_to_stored(self, partitions: Iterable[TopicPartition]) -> None:
        stored = await asyncio.to_thread(self.handler.stored_positions)
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                self.consumer.seek(tp, stored[(tp.topic, tp.partition)][0] + 1)
            else:
                await self.consumer.seek_to_beginning(tp)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._consume_until_stopped(stop)
            except Exception:  # broker or database away: start over from the database positions
                log.exception("%s stopped consuming; restarting", self.handler.name)
                await asyncio.sleep(1)

    async def _consume_until_stopped(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.settings, self.topics)
        await asyncio.to_thread(self.handler.setup)
        await self._publish_dead_letters()  # any left unpublished when we last stopped
        self.consumer = new_consumer(self.settings, group_id=self.group_id)
        self.consumer.subscribe(self.topics, listener=_SeekFromDatabase(self))
        await self.consumer.start()
        try:
            while not stop.is_set():
                batches = await self.consumer.getmany(timeout_ms=200, max_records=self.settings.consumer_batch_size)
                for tp, records in batches.items():
                    await self._handle(tp, records)
        finally:
            await self.consumer.stop()

    def _decode(self, record) -> Delivery | DeadLetter:  # noqa: ANN001 - an aiokafka ConsumerRecord
        try:
            return Delivery(record.topic, record.partition, record.offset, CloudEvent.from_bytes(record.value))
        except Exception as error:  # noqa: BLE001 - not an envelope at all: no retry can change that
            return DeadLetter.of(self.handler.name, record.topic, record.partition, record.offset, record.value,
                                 None, error, attempts=1)

    async def _handle(self, tp: TopicPartition, records: list) -> None:
        deliveries: list[Delivery] = []
        for decoded in map(self._decode, records):
            if isinstance(decoded, Delivery):
                deliveries.append(decoded)
                continue
            # Apply what came before the undecodable record, then set it aside at once.
            if not (await self._apply(tp, deliveries) and await self._set_aside(tp, decoded)):
                return
            deliveries = []
        if not await self._apply(tp, deliveries):
            return
        self._waits.pop(tp, None)
        self.applied += len(records)
        # Informational only (lag tools read it); the database position is what we seek to.
        await self.consumer.commit({tp: records[-1].offset + 1})

    async def _apply(self, tp: TopicPartition, deliveries: list[Delivery]) -> bool:
        """Apply the deliveries, setting aside one that keeps failing. False: the partition waits (rewound)."""
        if not deliveries:
            return True
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                await asyncio.to_thread(self.handler.handle_batch, deliveries)
                return True
            except Exception as error:  # noqa: BLE001 - judged below: wait, retry, or set aside
                if is_transient(error):
                    return await self._wait(tp, error)
                failure = error
                log.warning("%s failed on %d deliveries of %s (attempt %d of %d): %s", self.handler.name,
                            len(deliveries), tp, attempt, self.retry.max_attempts, deadletters.describe(error))
                if attempt < self.retry.max_attempts:
                    await asyncio.sleep(self.retry.delay(attempt))
        if len(deliveries) > 1:
            # Some delivery keeps failing: one at a time, the others go through and it alone is set aside.
            for delivery in deliveries:
                if not await self._apply(tp, [delivery]):
                    return False
            return True
        d = deliveries[0]
        letter = DeadLetter.of(self.handler.name, d.topic, d.partition, d.offset, d.envelope.model_dump_json(),
                               d.envelope, failure, self.retry.max_attempts)
        return await self._set_aside(tp, letter, failure)

    async def _wait(self, tp: TopicPartition, error: BaseException) -> bool:
        """Not the event's fault: rewind to the database position and let it come again after a pause."""
        waits = self._waits[tp] = self._waits.get(tp, 0) + 1
        log.warning("%s waits on %s (%d): %s", self.handler.name, tp, waits, deadletters.describe(error))
        await self.seek_to_stored([tp])
        await asyncio.sleep(self.retry.delay(waits))
        return False

    async def _set_aside(self, tp: TopicPartition, letter: DeadLetter, failure: BaseException | None = None) -> bool:
        try:
            await asyncio.to_thread(self.handler.set_aside, letter)
        except Exception as error:
            if is_transient(error):  # the database went away just now: this is no time to judge the event
                return await self._wait(tp, error)
            raise
        log.error("%s set aside %s[%d]@%d (%s) as dead letter %s: %s", self.handler.name, letter.topic,
                  letter.partition, letter.kafka_offset, letter.event_id or "not an envelope", letter.id, letter.error,
                  exc_info=failure)
        await self._publish_dead_letters()
        return True

    async def _publish_dead_letters(self) -> None:
        """Copy dead letters to the dead-letter topic. The table is the record: what fails now goes next time."""
        letters = await asyncio.to_thread(deadletters.unpublished, self.handler.pool, self.handler.schema,
                                          self.handler.name)
        if not letters:
            return
        topic = deadletters.topic_for(self.settings, self.handler.name)
        try:
            await ensure_topics(self.settings, [topic])
            producer = new_producer(self.settings)
            await producer.start()
            try:
                for letter in letters:
                    await producer.send_and_wait(topic, value=letter.envelope.encode(), key=letter.consumer.encode(),
                                                 headers=letter.headers())
                    await asyncio.to_thread(deadletters.mark_published, self.handler.pool, self.handler.schema, letter.id)
            finally:
                await producer.stop()
        except Exception:  # noqa: BLE001 - the broker away must not stop the partition; retried with the next
            log.warning("%s could not publish dead letters to %s yet", self.handler.name, topic, exc_info=True)
