"""Replay benchmark: how fast a projection is rebuilt from its topic, against reading the same topic raw.

`make bench-replay` loads BENCH_EVENTS (default 1,000,000) channel HospitalRegistered envelopes into a fresh
namespace's topic, reads them all with a bare aiokafka consumer (no parsing, no database: the ceiling),
then times `erp projections rebuild channel-directory` on them (Rebuild from shared/platform/rebuild.py,
the same code path), and writes bench/results/replay.json. Topics and schemas are removed at the end.

The events go straight to the topic with a batching producer: appending a million events through the
event store is not what is measured here. Each is a copy of an envelope the channel service itself made
(ServiceApplication.envelope) for a hospital registered through it, with a new hospital id, name and
position, so the bytes are what the relay publishes.
"""

import asyncio
import time
import uuid

import psycopg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from bench.common import at_end, machine, options, report
from services.channel.application import ChannelApplication
from shared.events import CloudEvent, payload_of
from shared.platform.catalog import find
from shared.platform.context import acting_as
from shared.platform.kafka import ensure_topics, new_producer
from shared.platform.namespace import drop_namespace
from shared.platform.rebuild import FETCH_MAX_BYTES, PARTITION_FETCH_MAX_BYTES, Rebuild
from shared.platform.settings import Settings
from services.channel.application import parties
from shared.platform.unit_of_work import UnitOfWork

PROVINCES = ("上海市", "北京市", "广东省", "四川省", "浙江省")


def templates(settings: Settings) -> list[CloudEvent]:
    """One envelope per province, made by the channel service from hospitals registered through it."""
    app = ChannelApplication(settings)
    try:
        with acting_as("user:bench", correlation_id="bench-replay"):
            for n, province in enumerate(PROVINCES):
                parties.register_hospital(parties.RegisterHospital(
                    hospital_id=uuid.uuid4(), name=f"Template {n}", province=province, grade="3A"), UnitOfWork(app))
        return [app.envelope(n) for n in app.recorder.select_notifications(start=1, limit=len(PROVINCES))]
    finally:
        app.close()


def envelope(template: CloudEvent, position: int) -> CloudEvent:
    hospital_id = str(uuid.uuid4())
    data = {**template.data, "hospital_id": hospital_id, "name": f"Hospital {position:07d}"}
    return template.model_copy(update={"id": f"channel-{position}", "subject": hospital_id, "aggregateid": hospital_id,
                                       "position": position, "data": data})


async def produce(settings: Settings, topic: str, events: int) -> float:
    """Positions 1..events onto the topic, keyed by hospital as the relay does, in producer batches."""
    made = templates(settings)
    producer = new_producer(settings)
    await producer.start()
    started = time.perf_counter()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        choose = DefaultPartitioner()
        batches = {p: producer.create_batch() for p in partitions}
        acks = []
        for position in range(1, events + 1):
            event = envelope(made[position % len(made)], position)
            key = event.aggregateid.encode()
            partition = choose(key, partitions, partitions)
            while batches[partition].append(key=key, value=event.to_bytes(), timestamp=None) is None:  # full: send it
                acks.append(await producer.send_batch(batches[partition], topic, partition=partition))
                batches[partition] = producer.create_batch()
        for partition, batch in batches.items():
            if batch.record_count():
                acks.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*acks)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def raw_consume(settings: Settings, topic: str, events: int, batch_size: int,
                      parse: bool = False) -> tuple[float, int]:
    """Every record from the beginning with a bare consumer, fetch settings as the rebuild's. No parsing,
    unless `parse`: then each envelope and its payload are validated as a rebuild does, but nothing is written."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                max_poll_records=batch_size, fetch_max_bytes=FETCH_MAX_BYTES,
                                max_partition_fetch_bytes=PARTITION_FETCH_MAX_BYTES)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or
                                                              await _partitions(settings, topic))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        count = size = 0
        started = time.perf_counter()
        while count < events:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=batch_size)).values():
                count += len(records)
                size += sum(len(r.value) for r in records)
                if parse:
                    for r in records:
                        payload_of(CloudEvent.from_bytes(r.value))
        return time.perf_counter() - started, size
    finally:
        await consumer.stop()


async def _partitions(settings: Settings, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        return [p["partition"] for t in await admin.describe_topics([topic]) for p in t["partitions"]]
    finally:
        await admin.close()


async def rebuild(settings: Settings, batch_size: int) -> float:
    started = time.perf_counter()
    assert await Rebuild(find(settings, "channel-directory"), settings, batch_size=batch_size).run()
    return time.perf_counter() - started


def applied(settings: Settings) -> int:
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(f"SELECT count(*) FROM {settings.schema_for('channel')}.hospitals").fetchone()[0]


async def main(events: int, batch_size: int) -> dict:
    settings = Settings(ERP_NAMESPACE=f"bench{uuid.uuid4().hex[:6]}_", ERP_ENV="test")
    topic = settings.topic_for("channel")
    try:
        await ensure_topics(settings, [topic])
        facts = machine(settings)
        print(f"producing {events:,} events to {topic} ...", flush=True)
        produce_s = await produce(settings, topic, events)
        print(f"  {produce_s:.1f}s; reading them raw ...", flush=True)
        raw_s, size = await raw_consume(settings, topic, events, batch_size)
        print(f"  {raw_s:.1f}s; reading and validating them (no database) ...", flush=True)
        parse_s, _ = await raw_consume(settings, topic, events, batch_size, parse=True)
        print(f"  {parse_s:.1f}s; rebuilding channel-directory from them ...", flush=True)
        rebuild_s = await rebuild(settings, batch_size)
        rows = applied(settings)
        assert rows == events, f"the rebuild applied {rows} events of {events}"
        result = {
            "events": events,
            "rebuild_eps": round(events / rebuild_s),
            "raw_consume_eps": round(events / raw_s),
            "ratio": round(raw_s / rebuild_s, 3),
            # Reading plus validating each envelope and payload, writing nothing: the most a rebuild in
            # one Python process could reach before any database work.
            "consume_and_validate_eps": round(events / parse_s),
            "rebuild_seconds": round(rebuild_s, 2),
            "raw_consume_seconds": round(raw_s, 2),
            "consume_and_validate_seconds": round(parse_s, 2),
            "produce_seconds": round(produce_s, 2),
            "projection": "channel-directory",
            "event_type": "erp.channel.HospitalRegistered",
            "mean_event_bytes": round(size / events),
            "partitions": settings.topic_partitions,
            "batch_size": batch_size,
            "fetch_max_bytes": FETCH_MAX_BYTES,
            "max_partition_fetch_bytes": PARTITION_FETCH_MAX_BYTES,
            "machine": at_end(facts),
        }
    finally:
        await drop_namespace(settings)
    return result


if __name__ == "__main__":
    args = options(__doc__, events=1_000_000, batch_size=5000).parse_args()
    result = asyncio.run(main(args.events, args.batch_size))
    report("replay", result, f"rebuild {result['rebuild_eps']:,} events/s, raw consume {result['raw_consume_eps']:,}"
           f" events/s: {result['ratio']:.2f} of the raw rate ({result['events']:,} events)")
