"""Rebuild a projection from the start of its topics into new tables, then switch to them atomically.

1. Replay: the same Projection class applies every event into a shadow schema (`<live schema>__rebuild_<name>`)
   under a consumer name of its own, reading the topics from the beginning with manual partition
   assignment (no consumer group to join or rebalance). Its positions are stored in the shadow schema
   with its tables, so a rebuild that is interrupted continues where it stopped when run again.
2. Switch, in one transaction, once the shadow is close to the topic heads: lock the live consumer's
   position rows (the live worker locks the same rows at the start of every batch, so it waits), let the
   shadow catch up to at least the live positions, move the live tables aside and the shadow's tables
   into the live schema under the same names, and give the live consumer the shadow's positions.
   (The shadow and retired schemas belong to the application role, which may drop them; the owner role makes them,
   since the application role may not create schemas: README, "Database roles".)
   Readers waiting on a live table during the switch go on with the new table of the same name (PostgreSQL
   looks the name up again once it has the lock); the live worker goes on with the new tables from the new
   positions and skips what the shadow already applied.
3. The old tables are dropped after the switch has committed.
"""

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import sql

from shared.events import CloudEvent
from shared.platform.catalog import CatalogEntry
from shared.platform.consumer import Delivery, Projection
from shared.platform.db import Roles, create_application_schema, new_pool
from shared.platform.positions import ConsumerPosition, load_positions, save_positions
from shared.platform.settings import Settings

log = logging.getLogger(__name__)

MAX_IDENTIFIER = 63  # PostgreSQL silently truncates longer names
_CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\{schema\}\.(\w+)", re.IGNORECASE)
# The switch waits at most this long for each table lock, then gives up and tries again. It is below
# PostgreSQL's deadlock_timeout (1s), so in a lock cycle with a reader the switch yields, never the reader.
SWITCH_LOCK_TIMEOUT = "500ms"
SWITCH_ATTEMPTS = 20
FETCH_MAX_BYTES = 64 * 1024 * 1024
PARTITION_FETCH_MAX_BYTES = 16 * 1024 * 1024

Progress = Callable[[int, int], None]  # (events applied so far, events to apply in all)


def _schema_name(live_schema: str, tag: str, name: str) -> str:
    candidate = f"{live_schema}__{tag}_{name.replace('-', '_')}"
    if len(candidate) <= MAX_IDENTIFIER:
        return candidate
    digest = hashlib.sha1(candidate.encode()).hexdigest()[:8]
    return f"{candidate[:MAX_IDENTIFIER - 9]}_{digest}"


def shadow_schema(entry: CatalogEntry) -> str:
    return _schema_name(entry.schema, "rebuild", entry.name)


def retired_schema(entry: CatalogEntry) -> str:
    return _schema_name(entry.schema, "retired", entry.name)


def shadow_consumer(entry: CatalogEntry) -> str:
    return f"{entry.name}-rebuild"


def projection_tables(projection: Projection) -> list[str]:
    """The tables a projection creates (its `tables_ddl`); the schema's other tables are shared by its consumers."""
    return sorted({m.group(1) for ddl in projection.tables_ddl for m in _CREATE_TABLE.finditer(ddl)})


def rebuild_in_progress(conn: psycopg.Connection, entry: CatalogEntry) -> bool:
    row = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (shadow_schema(entry),)).fetchone()
    return row is not None


async def topic_partitions(settings: Settings, topics: tuple[str, ...]) -> list[TopicPartition]:
    """Every partition of the topics that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return sorted(
        TopicPartition(t["topic"], p["partition"]) for t in described if t["error_code"] == 0 for p in t["partitions"]
    )


async def topic_heads(settings: Settings, topics: tuple[str, ...]) -> dict[tuple[str, int], int]:
    """The end offset (the offset the next event will get) of every partition of the topics."""
    partitions = await topic_partitions(settings, topics)
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): end for tp, end in ends.items()}


class RebuildAlreadyRunning(RuntimeError):
    pass


class Rebuild:
    def __init__(self, entry: CatalogEntry, settings: Settings, *, batch_size: int = 5000,
                 on_progress: Progress | None = None) -> None:
        self.entry = entry
        self.settings = settings
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda applied, total: None)
        self.shadow_schema = shadow_schema(entry)
        self.roles = Roles.of(settings)

    async def run(self, stop: asyncio.Event | None = None) -> bool:
        """Rebuild and switch. False when stopped first: running it again continues from there."""
        stop = stop or asyncio.Event()
        guard = await asyncio.to_thread(self._exclusive)
        pool = new_pool(self.settings, max_size=2, name=f"rebuild-{self.entry.name}")
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=self.batch_size,
            fetch_max_bytes=FETCH_MAX_BYTES, max_partition_fetch_bytes=PARTITION_FETCH_MAX_BYTES,
        )
        try:
            self.live = self.entry.projection(pool)
            self.shadow = self.entry.projection(pool, self.shadow_schema, name=shadow_consumer(self.entry))
            await asyncio.to_thread(self.live.setup)  # the live positions table must exist to be locked
            await asyncio.to_thread(create_application_schema, self.roles, self.shadow_schema)
            await asyncio.to_thread(self.shadow.setup)
            await consumer.start()
            return await self._rebuild(consumer, stop)
        finally:
            await consumer.stop()
            pool.close()
            guard.close()

    def _exclusive(self) -> psycopg.Connection:
        """A connection holding this projection's rebuild lock: two rebuilds of one projection would race to switch."""
        conn = psycopg.connect(self.settings.database_url, autocommit=True)
        if not conn.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (f"rebuild:{self.shadow_schema}",)).fetchone()[0]:
            conn.close()
            raise RebuildAlreadyRunning(f"a rebuild of {self.entry.name} is already running")
        return conn

    async def _rebuild(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> bool:
        self.partitions = await topic_partitions(self.settings, self.entry.topics)
        consumer.assign(self.partitions)
        stored = await asyncio.to_thread(self.shadow.stored_positions)
        self.applied: dict[TopicPartition, int] = {}
        for tp in self.partitions:
            self.applied[tp] = stored.get((tp.topic, tp.partition), (-1, 0))[0]
            if self.applied[tp] >= 0:
                consumer.seek(tp, self.applied[tp] + 1)
            else:
                await consumer.seek_to_beginning(tp)
        self.started_from = dict(self.applied)

        # Replay to the heads, again while events keep coming, until what is left is small enough to
        # apply while the live worker waits.
        while True:
            self.heads = await consumer.end_offsets(self.partitions)
            self._report()
            await self._replay(consumer, {tp: self.heads[tp] - 1 for tp in self.partitions}, stop)
            if stop.is_set():
                return False
            heads = await consumer.end_offsets(self.partitions)
            if sum(heads[tp] - 1 - self.applied[tp] for tp in self.partitions) <= self.batch_size:
                break

        for attempt in range(1, SWITCH_ATTEMPTS + 1):
            if stop.is_set():
                return False
            if await self._switch(consumer):
                await asyncio.to_thread(self._drop_retired)
                return True
            log.info("switch of %s could not get its locks (attempt %d); trying again", self.entry.name, attempt)
            await asyncio.sleep(0.1 * attempt)
        raise RuntimeError(f"could not switch {self.entry.name} to its rebuilt tables after {SWITCH_ATTEMPTS} attempts")

    async def _replay(self, consumer: AIOKafkaConsumer, targets: dict[TopicPartition, int],
                      stop: asyncio.Event | None = None) -> None:
        """Apply the shadow's events until every partition has reached its target offset (or `stop`).

        Envelopes are parsed here, on the event loop, while the previous batch is being written in a thread.
        """
        fetched = dict(self.applied)
        pending: asyncio.Task | None = None
        try:
            while not (stop and stop.is_set()) and any(fetched[tp] < target for tp, target in targets.items()):
                batches = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                for tp, records in batches.items():
                    deliveries = [Delivery(r.topic, r.partition, r.offset, CloudEvent.from_bytes(r.value)) for r in records]
                    fetched[tp] = records[-1].offset
                    if pending:
                        await pending
                    pending = asyncio.create_task(self._apply(tp, deliveries))
        finally:
            if pending:
                await pending

    async def _apply(self, tp: TopicPartition, deliveries: list[Delivery]) -> None:
        await asyncio.to_thread(self.shadow.handle_batch, deliveries)
        self.applied[tp] = deliveries[-1].offset
        self._report()

    def _report(self) -> None:
        applied = sum(self.applied[tp] - self.started_from[tp] for tp in self.partitions)
        total = sum(max(self.heads[tp] - 1, self.applied[tp]) - self.started_from[tp] for tp in self.partitions)
        self.on_progress(applied, total)

    async def _switch(self, consumer: AIOKafkaConsumer) -> bool:
        await asyncio.to_thread(self._prepare_retired)
        conn = await asyncio.to_thread(psycopg.connect, self.settings.database_url)
        try:
            live = await asyncio.to_thread(self._lock_live_positions, conn)
            # The live worker now waits for us: catch up with what it had applied, which is close by.
            await self._replay(consumer, {tp: live.get((tp.topic, tp.partition), -1) for tp in self.partitions})
            return await asyncio.to_thread(self._move_tables, conn)
        finally:
            await asyncio.to_thread(conn.close)  # rolls back whatever did not commit

    def _lock_live_positions(self, conn: psycopg.Connection) -> dict[tuple[str, int], int]:
        schema = sql.Identifier(self.entry.schema)
        # First a row for every partition, committed: the worker's FOR UPDATE waits only on rows that
        # exist. (-1, 0) means "nothing applied", exactly as a missing row does.
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {}.consumer_positions (consumer, topic, partition, kafka_offset, source_position)"
                        " VALUES (%s, %s, %s, -1, 0) ON CONFLICT DO NOTHING").format(schema),
                [(self.entry.name, tp.topic, tp.partition) for tp in self.partitions],
            )
        rows = conn.execute(
            sql.SQL("SELECT topic, partition, kafka_offset FROM {}.consumer_positions WHERE consumer = %s"
                    " FOR UPDATE").format(schema),
            (self.entry.name,),
        ).fetchall()
        return {(topic, partition): offset for topic, partition, offset in rows}

    def _move_tables(self, conn: psycopg.Connection) -> bool:
        live, shadow, retired = (sql.Identifier(schema) for schema in
                                 (self.entry.schema, self.shadow_schema, retired_schema(self.entry)))
        tables = projection_tables(self.shadow)
        names = [sql.Identifier(t) for t in tables]
        try:
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(SWITCH_LOCK_TIMEOUT)))
            conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                sql.SQL(", ").join([sql.SQL("{}.{}").format(live, n) for n in names] +
                                   [sql.SQL("{}.{}").format(shadow, n) for n in names])))
            for name in names:
                # Moved aside, not dropped: a reader that is still on the old table finishes there.
                conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(live, name, retired))
                conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(shadow, name, live))
            with conn.cursor() as cur:
                rebuilt = load_positions(cur, self.shadow_schema, shadow_consumer(self.entry))
                save_positions(cur, self.entry.schema, [
                    ConsumerPosition(self.entry.name, topic, partition, offset, position)
                    for (topic, partition), (offset, position) in rebuilt.items()
                ])
            # What is left in the shadow schema is its positions: gone in the same transaction, so nothing
            # can mistake it for a rebuild in progress.
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(shadow))
            conn.commit()
        except psycopg.errors.LockNotAvailable:
            conn.rollback()
            return False
        # Readers may see tables of another shape from now on: that is why API pools never prepare statements.
        log.info("%s switched to its rebuilt tables %s", self.entry.name, tables)
        return True

    def _prepare_retired(self) -> None:
        """An empty schema for the live tables the switch moves aside: made before the switch's transaction, by the
        owner role for the application role (which may not create schemas)."""
        self._drop_retired()  # left by a crash after an earlier switch, or by a switch that did not get its locks
        create_application_schema(self.roles, retired_schema(self.entry))

    def _drop_retired(self) -> None:
        with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(retired_schema(self.entry))))
