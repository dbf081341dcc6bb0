"""Kafka plumbing shared by relays and consumers: topic creation and client construction.

A broker's first minutes have two expected waits that aiokafka reports as ERROR lines if a client runs into them:
a topic just created is not yet in the broker's metadata ("Topic … not found in cluster metadata"), and a new
broker creates `__consumer_offsets` on the first group lookup ("GroupCoordinatorNotAvailableError"). The helpers
here wait those out before any client needs them, and say so once at INFO.
"""

import asyncio
import logging
import os
import socket
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, for_code

from shared.platform.settings import Settings

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36
# Long enough for a broker that is still starting; a caller that gives up retries from its own loop.
READY_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.2


async def ensure_topics(settings: Settings, topics: list[str]) -> None:
    """Create the event topics that are missing, with unlimited retention: the topic is the replayable log.

    Returns once the broker serves every topic (each partition has a leader), so a consumer or producer
    started next finds them in its first metadata.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            await _create(admin, settings, missing)
        await _wait_until_served(admin, topics)
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, settings: Settings, topics: list[str]) -> None:
    response = await admin.create_topics(
        [
            NewTopic(
                name=topic,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                topic_configs={"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"},
            )
            for topic in topics
        ]
    )
    created = []
    for topic, code, *rest in response.topic_errors:
        if code == 0:
            created.append(topic)
        elif code != TOPIC_ALREADY_EXISTS:  # another process won the race: just as good
            raise RuntimeError(f"could not create topic {topic}: error {code} {rest}")
    if created:
        log.info("created topics %s", created)


async def _wait_until_served(admin: AIOKafkaAdminClient, topics: list[str]) -> None:
    """Until the broker's metadata has every topic with a leader for each partition."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    said = False
    while True:
        pending = [t["topic"] for t in await admin.describe_topics(topics)
                   if t["error_code"] != 0 or not t["partitions"]
                   or any(p["leader"] < 0 or p["error_code"] != 0 for p in t["partitions"])]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Kafka does not serve topics {pending} after {READY_TIMEOUT_SECONDS:.0f}s")
        if not said:
            log.info("waiting for Kafka to serve %s (a new topic, or a broker still starting: expected)", pending)
            said = True
        await asyncio.sleep(POLL_SECONDS)


async def wait_for_group_coordinator(settings: Settings, group_id: str) -> None:
    """Until the broker coordinates `group_id`: a new broker creates and loads `__consumer_offsets` first."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    said = False
    try:
        while True:
            try:
                [response] = await admin.describe_consumer_groups([group_id])
                code = response.to_object()["groups"][0]["error_code"]
                if code == 0:
                    return
                error: KafkaError = for_code(code)()
            except KafkaError as e:
                error = e
            if not error.retriable or time.monotonic() > deadline:
                raise error
            if not said:
                log.info("waiting for Kafka's group coordinator for %s (a new broker creates it first: expected): %s",
                         group_id, type(error).__name__)
                said = True
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await admin.close()


def new_producer(settings: Settings) -> AIOKafkaProducer:
    # Idempotent and acks=all: the broker de-duplicates retries within a session and never
    # acknowledges an event that a leader failure could still lose.
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=30000,
    )


class GroupConsumer(AIOKafkaConsumer):
    """A group member that waits for its group's coordinator before joining (see the module's docstring)."""

    def __init__(self, settings: Settings, group_id: str, **config: object) -> None:
        super().__init__(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group_id, **config)
        self._erp_settings, self._erp_group_id = settings, group_id

    async def start(self) -> None:
        await wait_for_group_coordinator(self._erp_settings, self._erp_group_id)
        await super().start()


def member_client_id(group_id: str) -> str:
    """`<group>@<host>/<pid>`: Kafka shows it for each member of a group (kafka-consumer-groups --describe,
    describe_consumer_groups), so it says which process (which pod, in Kubernetes) holds which partitions."""
    return f"{group_id}@{socket.gethostname()}/{os.getpid()}"


def new_consumer(settings: Settings, group_id: str) -> AIOKafkaConsumer:
    # Offsets committed to Kafka are informational only (for lag tools); the database holds the truth.
    return GroupConsumer(
        settings,
        group_id,
        client_id=member_client_id(group_id),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.consumer_batch_size,
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
    )


async def read_whole_topic(settings: Settings, topic: str) -> list:
    """Every record now on the topic, oldest first per partition (no consumer group, nothing committed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - aiokafka learns new topics lazily
            partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        records: list = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()
