"""Fitness test: can faust-streaming run our exactly-once-in-effect consumers? No, and here is the proof.

Our consumers must (README, "The event backbone") (a) store their position per (topic, partition) in PostgreSQL in the
same transaction as the read-model change, (b) on partition assignment seek to the *stored* offset + 1, the
database and not Kafka's committed offset being the truth, and (c) apply events in batches. The issue asks us
to use faust-streaming (>= 0.15.2) unless it cannot meet these rules reliably against Kafka 4.x. These tests
run faust-streaming 0.15.3 (on aiokafka 0.14.0) in-process against the real Kafka 4.1.1 broker.

What works: faust starts and consumes against Kafka 4.1.1 (also with ``auto.create.topics.enable=false`` and
``topic_allow_declare=False``; it only warns that its ``<id>-__assignor-__leader`` topic is missing), and
``stream.take_events(n, within=...)`` hands the agent batches of events with their offsets, so rule (c) alone
is fine.

What does not work is rule (b). Faust owns the consumer position and seeks to *Kafka's* committed offset
after, or concurrently with, every rebalance hook it gives us:

* After an assignment, faust's recovery service (``faust/tables/recovery.py``, ``Recovery._resume_streams``
  lines 306-330, or ``on_recovery_completed`` lines 624-665 when the app has tables) sends the
  ``app.on_rebalance_complete`` signal, *then* calls ``consumer.perform_seek()``
  (``faust/transport/consumer.py`` line 565, "Seek all partitions to their current committed position"),
  *then* resumes the flow. ``perform_seek`` goes through aiokafka's ``seek_to_committed``
  (``aiokafka/consumer/consumer.py`` lines 896-903), which moves every partition that has a committed
  offset > 0 to that offset. There is no hook after it, so a seek to the database offset made in any faust
  hook is silently overwritten whenever the group has a committed offset. (``Consumer.getmany`` does the
  same ``perform_seek`` again if records arrive while the flow is stopped, ``consumer.py`` lines 766-772.)
* The ``app.on_partitions_assigned`` signal (``faust/app/base.py`` line 1900) is sent only after
  ``tables.on_rebalance`` has already started that recovery (``recovery.py`` line 303), and recovery does
  not wait for the signal; aiokafka 0.14 itself hands out records as soon as the assignment is set, before
  its listener has returned (``aiokafka/consumer/group_coordinator.py`` lines 482 and 504). If loading the
  stored offsets takes longer than a fetch (a PostgreSQL query does), the agent already receives events
  from the old position before the seek happens (the second test).
* Kafka's committed offset is faust's own bookkeeping, committed every ``broker_commit_interval``
  for acked events (``consumer.py`` ``_commit_handler``, line 910), never in our database transaction, and
  it runs *ahead* of the database: ``Stream.take_events`` acks its batch in a ``finally`` block
  (``faust/streams.py`` lines 536-541) even when the agent raised because the database transaction
  failed, and after that crash the stream's passive drainer (``streams.py`` lines 847-858), with acks
  re-enabled by ``take_events``' outer ``finally`` (line 554), swallows and acks the events that were
  already buffered, which the restarted agent never sees. On the next start faust seeks to that committed
  offset and the events in between are never applied: lost, not merely redelivered (the first test).
* Turning acks off for the source topic (``app.topic(..., acks=False)``) stops faust committing, and then
  a seek in ``on_rebalance_complete`` does stick (that signal is awaited before ``perform_seek``), but only
  as long as nothing commits an offset for the group: our own ConsumerRunner commits informational offsets
  for lag tools, an operator may run ``kafka-consumer-groups --reset-offsets``, an earlier deployment may
  have committed. Any of those overrides the database again (the third test), and with acks off
  faust also stops waiting for in-flight events on revocation (``stream_wait_empty`` only waits for
  unacked messages). It rests on the order of calls inside faust's recovery code, not on a documented
  contract.

So the consumers stay on aiokafka directly (``shared/platform/consumer.py``), where nothing but our own
code moves the position: its ConsumerRebalanceListener pauses the assigned partitions, seeks them to the
database offset, then resumes them, and no library seek to Kafka's committed offset follows.

Each test uses its own topic and consumer group (deleted afterwards), a dict standing in for the
PostgreSQL ``consumer_positions`` row, and is skipped only if Kafka is unreachable
(``KAFKA_BOOTSTRAP_SERVERS``, default ``127.0.0.1:19092``).
"""

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

pytestmark = [pytest.mark.infra, pytest.mark.timeout(60)]

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
BATCH = 5  # events per take_events batch, i.e. per "database transaction"
WAIT = 15.0  # upper bound for anything we wait for inside one faust run, seconds


# ---------------------------------------------------------------- Kafka plumbing


def _kafka_unreachable_reason() -> str | None:
    for server in BOOTSTRAP.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=2):
                pass
        except OSError as exc:
            return f"Kafka is not reachable at {BOOTSTRAP} ({exc}); start it with `bash scripts/kafka.sh start`"

    async def ping() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, request_timeout_ms=5000)
        await asyncio.wait_for(admin.start(), 10)
        try:
            await asyncio.wait_for(admin.list_topics(), 10)
        finally:
            await admin.close()

    try:
        asyncio.run(ping())
    except Exception as exc:  # noqa: BLE001 - any failure here means "no broker to test against"
        return f"Kafka at {BOOTSTRAP} does not answer ({exc!r}); start it with `bash scripts/kafka.sh start`"
    return None


@pytest.fixture(scope="module")
def kafka() -> str:
    reason = _kafka_unreachable_reason()
    if reason:
        pytest.skip(reason)
    return BOOTSTRAP


@dataclass
class Names:
    run: str
    topic: str
    group: str  # the faust app id is its consumer group id


@pytest.fixture
def names(kafka: str) -> Iterator[Names]:
    run = uuid.uuid4().hex[:10]
    n = Names(run=run, topic=f"test-faustfit-{run}", group=f"test-faustfit-app-{run}")
    yield n
    asyncio.run(_cleanup(n))


async def _cleanup(n: Names) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        # the source topic and anything faust might have declared for this app id
        ours = [t for t in await admin.list_topics() if n.run in t]
        if ours:
            await admin.delete_topics(ours)
        with contextlib.suppress(Exception):  # best effort: aiokafka 0.14 has no public delete_consumer_groups
            from aiokafka.protocol.admin import DeleteGroupsRequest

            coordinator = await admin.find_coordinator(n.group)
            await admin._send_request(DeleteGroupsRequest([n.group]), coordinator)
    finally:
        await admin.close()


async def create_topic(topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        for name, code, *rest in response.topic_errors:
            assert code == 0, f"could not create {name}: error {code} {rest}"
    finally:
        await admin.close()


async def produce(topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        for i in range(count):
            await producer.send_and_wait(topic, f"event-{i}".encode(), partition=0)
    finally:
        await producer.stop()


async def committed_offset(group: str, topic: str) -> int | None:
    """The offset committed in Kafka for (group, topic, 0), None if there is none."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group, partitions=[TopicPartition(topic, 0)])
    finally:
        await admin.close()
    meta = offsets.get(TopicPartition(topic, 0))
    return meta.offset if meta is not None and meta.offset >= 0 else None


async def commit_for_group(group: str, topic: str, offset: int) -> None:
    """Commit an offset for the group the way any other client would (lag reporting, an operator's reset)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.commit({tp: offset})
    finally:
        await consumer.stop()


async def wait_until(condition: Callable[[], Awaitable[bool]], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# ---------------------------------------------------------------- the consumer under test


class DatabaseDown(Exception):
    """The read-model transaction failed; nothing of the batch (events nor position) was committed."""


@dataclass
class Database:
    """Stands for the PostgreSQL read model plus its consumer_positions row (rule (a))."""

    stored: int  # last applied Kafka offset of partition 0, -1 if none: the truth (rule (b))
    applied: list[int] = field(default_factory=list)
    failing_from: int | None = None  # transactions touching an offset >= this fail
    failures: int = 0

    def apply_batch(self, offsets: list[int]) -> None:
        """One transaction: the events' effects and the new position together, or nothing."""
        fresh = [o for o in offsets if o > self.stored]  # the position filter our handlers use
        if self.failing_from is not None and any(o >= self.failing_from for o in fresh):
            self.failures += 1
            raise DatabaseDown(f"transaction for offsets {offsets} rolled back")
        self.applied.extend(fresh)
        if fresh:
            self.stored = max(fresh)


@dataclass
class FaustRun:
    seen: list[list[int]] = field(default_factory=list)  # offsets of each batch the agent received
    seeks: list[int] = field(default_factory=list)  # offsets our hook sought to
    seen_before_seek: list[int] = field(default_factory=list)
    seen_after_seek: list[int] = field(default_factory=list)

    @property
    def offsets(self) -> list[int]:
        return [o for batch in self.seen for o in batch]


SeekHook = Literal["on_rebalance_complete", "on_partitions_assigned"]


async def run_faust(
    names: Names,
    db: Database,
    *,
    hook: SeekHook,
    until: Callable[[FaustRun], Awaitable[bool]],
    hook_delay: float = 0.0,
    acks: bool = True,
    datadir: str,
) -> FaustRun:
    """Run a faust worker in-process with a batching agent that tries to honour the database position."""
    run = FaustRun()
    app = faust.App(
        names.group,
        broker=f"kafka://{BOOTSTRAP}",
        web_enabled=False,
        topic_allow_declare=False,  # our broker has auto.create.topics.enable=false; we create topics ourselves
        topic_disable_leader=True,
        store="memory://",
        datadir=datadir,
        value_serializer="raw",
        key_serializer="raw",
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=0.5,
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
    )
    source = app.topic(names.topic, value_type=bytes, partitions=1, acks=acks)
    partition = TopicPartition(names.topic, 0)

    @app.agent(source)
    async def projection(stream):  # rule (c): many events per database transaction
        async for batch in stream.take_events(BATCH, within=0.2):
            offsets = [event.message.offset for event in batch]
            run.seen.append(offsets)
            (run.seen_after_seek if run.seeks else run.seen_before_seek).extend(offsets)
            db.apply_batch(offsets)

    async def seek_to_database() -> None:
        # The best faust offers: seek_wait runs aiokafka's seek on the consumer thread and waits for it
        # (Consumer.seek would call aiokafka from the wrong thread, faust/transport/drivers/aiokafka.py:1027).
        position = db.stored + 1  # SELECT ... FROM consumer_positions
        if hook_delay:
            await asyncio.sleep(hook_delay)  # the time that query takes to come back
        if partition in app.consumer.assignment():
            await app.consumer.seek_wait({partition: position})
            run.seeks.append(position)

    if hook == "on_rebalance_complete":

        @app.on_rebalance_complete.connect
        async def on_rebalance_complete(sender, **kwargs) -> None:
            await seek_to_database()

    elif hook == "on_partitions_assigned":

        @app.on_partitions_assigned.connect
        async def on_partitions_assigned(sender, assigned, **kwargs) -> None:
            await seek_to_database()

    else:
        raise ValueError(hook)

    starting = asyncio.ensure_future(app.start())
    try:
        reached = await wait_until(lambda: until(run))
        assert reached, f"faust run did not reach its goal within {WAIT}s: saw {run.seen}, sought {run.seeks}"
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(app.stop(), 20)
        starting.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await starting
    return run


def run_async(coro_factory: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro_factory(), 55))


# ---------------------------------------------------------------- the proofs


def test_kafka_committed_offset_overrides_the_database_position(names: Names, tmp_path) -> None:
    """Rule (b) fails: faust resumes at its own committed offset, ahead of the database, and events are lost."""

    async def scenario() -> None:
        await create_topic(names.topic)
        await produce(names.topic, 20)  # offsets 0..19

        # Run 1, a fresh consumer group: the database says offsets 0..4 are applied. The hook's seek is
        # honoured here only because Kafka has no committed offset for the group yet (the control).
        # From offset 12 on the read-model transaction fails (database away), so the database stays
        # at the last good batch, while faust acks the failed batch anyway (take_events acks in
        # `finally`) and commits it to Kafka; we stop once that commit is visible in Kafka.
        db = Database(stored=4, failing_from=12)
        committed: int | None = None

        async def failed_batch_committed(run: FaustRun) -> bool:
            nonlocal committed
            if not db.failures:
                return False
            committed = await committed_offset(names.group, names.topic)
            return committed is not None and committed > db.stored + 1

        first = await run_faust(
            names, db, hook="on_rebalance_complete", until=failed_batch_committed, datadir=str(tmp_path / "1")
        )
        assert first.seeks == [5]
        assert first.offsets[0] == 5, f"with no committed offset the database position is honoured: {first.seen}"
        stored = db.stored
        assert 5 <= stored < 12, db
        committed = await committed_offset(names.group, names.topic)
        assert committed is not None and committed > stored + 1, (
            f"faust committed offset {committed} to Kafka although the database only applied up to {stored}"
        )

        # Run 2, same group, database healthy again, five new events. The hook seeks to the database
        # position, then faust's recovery seeks to Kafka's committed offset and that is where it reads.
        await produce(names.topic, 5)  # offsets 20..24
        db.failing_from = None

        async def caught_up(run: FaustRun) -> bool:
            return 24 in run.offsets

        second = await run_faust(names, db, hook="on_rebalance_complete", until=caught_up, datadir=str(tmp_path / "2"))
        assert second.seeks == [stored + 1]
        assert second.offsets[0] == committed, (
            f"the hook sought to {stored + 1} (database) but faust started at {second.offsets[0]} (Kafka)"
        )
        never_applied = set(range(stored + 1, committed))
        assert never_applied.isdisjoint(second.offsets)
        assert never_applied.isdisjoint(db.applied), f"events {sorted(never_applied)} are lost for good"

    run_async(scenario)


def test_partitions_assigned_hook_is_not_awaited_before_events_flow(names: Names, tmp_path) -> None:
    """A seek in `on_partitions_assigned` races faust's fetcher: events before the stored offset reach the agent."""

    async def scenario() -> None:
        await create_topic(names.topic)
        await produce(names.topic, 20)
        db = Database(stored=9)  # offsets 0..9 already applied; no committed offset in Kafka at all

        async def sought(run: FaustRun) -> bool:
            return bool(run.seeks)

        run = await run_faust(
            names,
            db,
            hook="on_partitions_assigned",
            hook_delay=1.0,  # reading the positions from PostgreSQL is not instantaneous
            until=sought,
            datadir=str(tmp_path / "1"),
        )
        assert run.seeks == [10]
        assert run.seen_before_seek[:1] == [0], (
            f"before the hook's seek to 10 took effect the agent already got offsets {run.seen_before_seek}"
        )
        # only the position filter (offset > stored) kept the read model right
        assert all(o >= 10 for o in db.applied) and len(set(db.applied)) == len(db.applied), db.applied

    run_async(scenario)


def test_disabling_acks_does_not_make_the_database_the_truth(names: Names, tmp_path) -> None:
    """With acks=False faust commits nothing itself, yet any committed offset for the group still wins."""

    async def scenario() -> None:
        await create_topic(names.topic)
        await produce(names.topic, 20)
        # e.g. the informational commit our ConsumerRunner makes for lag tools, or an operator's reset
        await commit_for_group(names.group, names.topic, 15)
        db = Database(stored=9)

        async def caught_up(run: FaustRun) -> bool:
            return 19 in run.offsets

        run = await run_faust(
            names, db, hook="on_rebalance_complete", acks=False, until=caught_up, datadir=str(tmp_path / "1")
        )
        assert run.seeks == [10]
        assert run.offsets[0] == 15, f"the hook sought to 10 (database) but faust started at {run.offsets[0]} (Kafka)"
        assert set(range(10, 15)).isdisjoint(run.offsets)
        assert await committed_offset(names.group, names.topic) == 15  # faust itself committed nothing

    run_async(scenario)
