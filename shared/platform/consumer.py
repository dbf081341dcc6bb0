"""Consumers that are exactly-once in effect (ARCHITECTURE §3.5), on aiokafka.

A handler receives a batch of deliveries from one partition and must record, in the same
PostgreSQL transaction as its changes, the Kafka offset and the highest source position it has
applied. On assignment the runner seeks to the stored offset + 1; a delivery whose source position
is not above the stored one is a relay resend and is skipped.

Two kinds of handler: `Projection` (read-model tables, one transaction per batch) and
`ProcessManager` (issues commands on its own aggregates; the events and the position are
saved together by the event store's recorder).
"""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import ConsumerRebalanceListener, TopicPartition
from psycopg import Cursor, sql
from psycopg_pool import ConnectionPool

from shared.events import CloudEvent, EventPayload, UnknownEventTypeError, payload_of
from shared.platform.context import acting_as
from shared.platform.db import ddl_lock
from shared.platform.eventstore import IntegrityError, ServiceApplication
from shared.platform.kafka import ensure_topics, new_consumer
from shared.platform.positions import ConsumerPosition, create_positions_tables, load_positions, save_positions
from shared.platform.settings import Settings

log = logging.getLogger(__name__)


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
        with ddl_lock(self.pool.conninfo, self.schema), self.pool.connection() as conn:
            for statement in create_positions_tables(self.schema):
                conn.execute(statement)
            for ddl in self.tables_ddl:
                conn.execute(sql.SQL(ddl).format(schema=sql.Identifier(self.schema)))

    @property
    def tables_ddl(self) -> list[str]:
        """CREATE statements of the handler's own tables; `{schema}` is replaced by its schema."""
        return []

    def stored_positions(self) -> dict[tuple[str, int], tuple[int, int]]:
        with self.pool.connection() as conn, conn.cursor() as cur:
            return load_positions(cur, self.schema, self.name)

    @abstractmethod
    def handle_batch(self, deliveries: list[Delivery]) -> None: ...


class Projection(Handler):
    """A read model: `apply` changes tables; the runner commits the batch and its positions together."""

    def __init__(self, pool: ConnectionPool, schema: str, name: str | None = None) -> None:
        self.pool = pool
        self.schema = schema
        self.name = name or type(self).name


    @abstractmethod
    def apply(self, cur: Cursor, envelope: CloudEvent, payload: EventPayload) -> None: ...

    def handle_batch(self, deliveries: list[Delivery]) -> None:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            filter_ = PositionFilter(self._locked_positions(cur))
            fresh = []
            for delivery in deliveries:
                if not filter_.is_new(delivery):
                    continue
                payload = typed(delivery.envelope)
                if payload is not None:
                    self.apply(cur, delivery.envelope, payload)
                filter_.advance(delivery)
                fresh.append(delivery)
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
        last: dict[tuple[str, int], ConsumerPosition] = {}
        for d in deliveries:
            last[(d.topic, d.partition)] = d.position(self.name)
        return list(last.values())


class ProcessManager(Handler):
    """Reacts to other services' events with commands on its own aggregates.

    `react` returns the aggregates it changed; they are saved together with the consumer position,
    so a redelivered event causes nothing twice. A version conflict (someone else changed the same
    aggregate meanwhile) is retried against fresh state.
    """

    max_conflict_retries = 5

    def __init__(self, app: ServiceApplication, pool: ConnectionPool) -> None:
        self.app = app
        self.pool = pool
        self.schema = app.schema

    @abstractmethod
    def react(self, envelope: CloudEvent, payload: EventPayload) -> list: ...

    def handle_batch(self, deliveries: list[Delivery]) -> None:
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
        envelope = delivery.envelope
        for attempt in range(self.max_conflict_retries):
            with acting_as(f"service:{self.app.service}", envelope.correlationid, causation_id=envelope.id):
                changed = self.react(envelope, payload)
            if not changed:
                return False
            try:
                self.app.save(*changed, consumer_positions=[delivery.position(self.name)])
                return True
            except IntegrityError:
                log.info("version conflict reacting to %s (attempt %d); retrying", envelope.id, attempt + 1)
        raise RuntimeError(f"gave up reacting to {envelope.id} after {self.max_conflict_retries} conflicts")


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
    def __init__(self, handler: Handler, settings: Settings) -> None:
        self.handler = handler
        self.settings = settings
        self.topics = [settings.topic_for(service) for service in handler.subscribes_to]
        self.group_id = f"{settings.namespace}{handler.name}"
        self.applied = 0

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

    async def _handle(self, tp: TopicPartition, records: list) -> None:
        deliveries = [Delivery(r.topic, r.partition, r.offset, CloudEvent.from_bytes(r.value)) for r in records]
        try:
            await asyncio.to_thread(self.handler.handle_batch, deliveries)
        except Exception:
            # Nothing of the batch was kept past what its transactions committed: rewind to the database.
            log.exception("%s failed on %s; rewinding to the stored position", self.handler.name, tp)
            await self.seek_to_stored([tp])
            await asyncio.sleep(1)
            return
        self.applied += len(deliveries)
        # Informational only (lag tools read it); the database position is what we seek to.
        await self.consumer.commit({tp: records[-1].offset + 1})
