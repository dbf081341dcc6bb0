"""The event backbone on real PostgreSQL and Kafka: relay, envelope, exactly-once consumers."""

import asyncio
from uuid import uuid4

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.channel.application import ChannelApplication
from services.channel.projections.directory import ChannelDirectory
from shared.events.channel import HospitalRegistered
from shared.platform.consumer import ConsumerRunner
from shared.platform.context import acting_as
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually, read_topic

import threading
from tests.parties import register_hospital

PROVINCES = ("上海市", "北京市", "广东省")


_numbered: dict[str, int] = {}  # per test namespace (schema): how many hospitals were named so far
_numbering = threading.Lock()


def register_hospitals(app: ChannelApplication, count: int, actor: str = "user:alice") -> list:
    """Hospitals 0, 1, 2 … numbered on from earlier calls in the test's namespace (names are unique)."""
    with _numbering:
        first = _numbered.get(app.schema, 0)
        _numbered[app.schema] = first + count
    ids = []
    with acting_as(actor, correlation_id="corr-backbone"):
        for n in range(first, first + count):
            hospital, _ = register_hospital(app, uuid4(), f"Hospital {n}", PROVINCES[n % 3], "3A")
            ids.append(hospital.id)
    return ids


def province_counts(pool, schema: str) -> dict[str, int]:
    with pool.connection() as conn:
        return {r["province"]: r["hospitals"] for r in conn.execute(f"SELECT * FROM {schema}.province_counts").fetchall()}


async def test_relay_publishes_every_event_once_in_position_order_as_cloudevents(settings, channel):
    ids = register_hospitals(channel, 12)
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    await eventually(lambda: relay.published_up_to == 12, what="the relay to publish 12 events")
    await running.stop()

    envelopes = await read_topic(settings, channel.topic, expected=12)
    assert sorted(e.position for e in envelopes) == list(range(1, 13))
    assert {e.aggregateid for e in envelopes} == {str(i) for i in ids}
    first = min(envelopes, key=lambda e: e.position)
    assert (first.specversion, first.type, first.source) == ("1.0", "erp.channel.HospitalRegistered", "/erp/channel")
    assert (first.actor, first.correlationid, first.schemaversion, first.aggregateversion) == ("user:alice", "corr-backbone", 2, 1)
    assert first.time.tzinfo is not None
    assert HospitalRegistered.model_validate(first.data).name == "Hospital 0"
    assert HospitalRegistered.model_validate(first.data).province == "上海市"
    assert len({e.id for e in envelopes}) == 12


async def test_a_resent_stream_is_applied_once(settings, channel, pool):
    """After a relay crash between publishing and recording its position, it resends: consumers skip."""
    register_hospitals(channel, 30)
    running = Running()
    relay = Relay(channel)
    projection = ChannelDirectory(pool, channel.schema)
    projection.setup()
    running.start(relay.run)
    running.start(ConsumerRunner(projection, settings).run)
    await eventually(lambda: sum(province_counts(pool, channel.schema).values()) == 30, what="30 applied")
    await running.stop()

    with psycopg.connect(settings.database_url) as conn:  # forget how far the relay got, as a crash would
        conn.execute(f"UPDATE {channel.schema}.relay_positions SET position = 0")
    register_hospitals(channel, 3)
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    running.start(ConsumerRunner(projection, settings).run)
    await eventually(lambda: sum(province_counts(pool, channel.schema).values()) == 33, what="33 applied")
    await asyncio.sleep(1)  # give any double-apply time to show
    await running.stop()

    assert len(await read_topic(settings, channel.topic, expected=63)) == 63  # 30 resent on the wire...
    assert province_counts(pool, channel.schema) == {"上海市": 11, "北京市": 11, "广东省": 11}  # ...applied once


async def test_consumer_seeks_to_the_database_position_not_kafkas_committed_offset(settings, channel, pool):
    register_hospitals(channel, 9)
    running = Running()
    projection = ChannelDirectory(pool, channel.schema)
    projection.setup()
    running.start(Relay(channel).run)
    running.start(ConsumerRunner(projection, settings).run)
    await eventually(lambda: sum(province_counts(pool, channel.schema).values()) == 9, what="9 applied")
    await running.stop()

    # Rewind the group's committed offsets in Kafka to 0: a consumer trusting Kafka would re-apply all.
    group = f"{settings.namespace}{projection.name}"
    rewind = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False)
    await rewind.start()
    partitions = [TopicPartition(channel.topic, p) for p in range(settings.topic_partitions)]
    rewind.assign(partitions)
    await rewind.commit({tp: 0 for tp in partitions})
    await rewind.stop()

    register_hospitals(channel, 3)
    running = Running()
    running.start(Relay(channel).run)
    running.start(ConsumerRunner(projection, settings).run)
    await eventually(lambda: sum(province_counts(pool, channel.schema).values()) >= 12, what="12 applied")
    await asyncio.sleep(1)
    await running.stop()
    assert province_counts(pool, channel.schema) == {"上海市": 4, "北京市": 4, "广东省": 4}


async def test_only_one_relay_per_service_is_active(settings, channel):
    register_hospitals(channel, 2)
    running = Running()
    active, standby = Relay(channel), Relay(ChannelApplication(settings))
    running.start(active.run)
    await eventually(lambda: active.published_up_to == 2, what="the first relay to publish")
    running.start(standby.run)
    register_hospitals(channel, 2)
    await eventually(lambda: active.published_up_to == 4, what="the active relay to publish the rest")
    await asyncio.sleep(0.5)
    assert standby.published_up_to == 0  # it waited for the lock and published nothing
    await running.stop()
    assert len(await read_topic(settings, channel.topic, expected=4, timeout=5)) == 4


async def test_a_kafka_offset_ahead_of_the_database_loses_nothing(settings, channel, pool):
    """Regression: the consumer must not apply records from Kafka's committed offset while it is still
    reading its stored positions (it pauses the partitions until it has sought to them)."""
    register_hospitals(channel, 30)
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    await eventually(lambda: relay.published_up_to == 30, what="30 published")
    await running.stop()

    # The group has committed the middle of every partition (as after a restore), the database nothing.
    projection = ChannelDirectory(pool, channel.schema)
    group = f"{settings.namespace}{projection.name}"
    committer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False)
    await committer.start()
    partitions = [TopicPartition(channel.topic, p) for p in range(settings.topic_partitions)]
    committer.assign(partitions)
    ends = await committer.end_offsets(partitions)
    await committer.commit({tp: ends[tp] // 2 for tp in partitions if ends[tp] > 1})
    await committer.stop()

    projection.setup()
    running = Running()
    running.start(ConsumerRunner(projection, settings).run)
    await eventually(lambda: sum(province_counts(pool, channel.schema).values()) >= 30, what="all 30 applied", timeout=20)
    await running.stop()
    assert province_counts(pool, channel.schema) == {"上海市": 10, "北京市": 10, "广东省": 10}


async def test_the_relay_wins_its_lock_again_after_losing_its_database_connection(settings, channel):
    register_hospitals(channel, 3)
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    await eventually(lambda: relay.published_up_to == 3, what="3 published")
    with psycopg.connect(settings.database_url, autocommit=True) as admin:  # as if PostgreSQL restarted under it
        terminated = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchall()
    assert terminated, "the relay held no advisory lock"
    register_hospitals(channel, 2)
    await eventually(lambda: relay.published_up_to == 5, what="the relay to recover and publish 2 more", timeout=20)
    await running.stop()
    # Resends are allowed on the wire, gaps are not.
    assert {e.position for e in await read_topic(settings, channel.topic, expected=5)} == {1, 2, 3, 4, 5}
