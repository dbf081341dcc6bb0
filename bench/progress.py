"""How far the pipeline has got: events stored and published per service, and what each consumer has applied,
read from the event logs and the positions relays and consumers record. Used by the pipeline benchmark (rates)
and the fault suite (waiting until everything acknowledged has gone all the way through)."""

import asyncio
import time

import psycopg
from psycopg import sql

from bench.load import LagWatcher
from shared.platform.audit import events_table
from shared.platform.rebuild import topic_heads
from shared.platform.settings import SERVICES, Settings


def pipeline_counts(settings: Settings) -> dict:
    """Events stored and published per service; per consumer, the Kafka offsets it has applied up to."""
    stored, published, consumers = {}, {}, {}
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        for service in SERVICES:
            schema = sql.Identifier(settings.schema_for(service))
            try:
                stored[service] = conn.execute(sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}.{}").format(
                    schema, sql.Identifier(events_table(service)))).fetchone()[0]
                published[service] = conn.execute(sql.SQL("SELECT coalesce(max(position), 0) FROM {}.relay_positions")
                                                  .format(schema)).fetchone()[0]
                for consumer, topic, partition, offset in conn.execute(sql.SQL(
                        "SELECT consumer, topic, partition, kafka_offset FROM {}.consumer_positions").format(schema)):
                    consumers.setdefault(f"{service}/{consumer}", {})[(topic, partition)] = offset + 1
            except psycopg.errors.UndefinedTable:
                continue
    return {"stored": stored, "published": published, "consumers": consumers, "at": time.monotonic()}


def projected_events(counts: dict) -> int:
    """Events applied by every consumer of their topic: per topic, the least any of its consumers has applied."""
    per_topic: dict[str, list[int]] = {}
    for offsets in counts["consumers"].values():
        topics: dict[str, int] = {}
        for (topic, _partition), next_offset in offsets.items():
            topics[topic] = topics.get(topic, 0) + next_offset
        for topic, applied in topics.items():
            per_topic.setdefault(topic, []).append(applied)
    return sum(min(applied) for applied in per_topic.values())


async def drained(settings: Settings, counts: dict) -> bool:
    if any(counts["published"].get(s, 0) < stored for s, stored in counts["stored"].items()):
        return False
    heads = await topic_heads(settings, tuple(settings.topic_for(s) for s in SERVICES))
    return all(next_offset >= heads.get(tp, 0) for offsets in counts["consumers"].values()
               for tp, next_offset in offsets.items())


async def wait_until_drained(settings: Settings, watcher: LagWatcher | None, timeout: float) -> float:
    """Seconds until every stored event is published and applied by every consumer (and, with a watcher, every
    accepted command's effect seen); TimeoutError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        counts = await asyncio.to_thread(pipeline_counts, settings)
        if (watcher is None or watcher.outstanding() == 0) and await drained(settings, counts):
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the pipeline did not drain within {timeout}s"
                       f" ({watcher.outstanding() if watcher else '?'} effects unseen)")
