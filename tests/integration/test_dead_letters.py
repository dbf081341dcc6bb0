"""Poison events on real Kafka and PostgreSQL: set aside after bounded retries while the partition keeps
flowing, transient failures never set aside, and `erp deadletters list|retry|skip` (every skip an audited
event in the service's own log, relayed like any other)."""

import asyncio
import json
import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from typer.testing import CliRunner

from services.channel.application import ChannelApplication
from services.channel.projections.directory import ChannelDirectory
from services.inventory.application import InventoryApplication
from services.inventory.reactions import FulfilmentPlanner
from shared.events import CloudEvent
from shared.events.channel import HospitalRegistered
from shared.platform import deadletters
from shared.platform.cli import app as cli
from shared.platform.consumer import ConsumerRunner, RetryLater, RetryPolicy
from shared.platform.context import acting_as
from shared.platform.deadletters import DeadLetter, DeadLetterCase
from shared.platform.kafka import ensure_topics
from shared.platform.relay import Relay
from tests.conftest import service_env
from tests.contract.golden import golden
from tests.integration.helpers import Running, eventually, read_topic
from tests.parties import register_hospital

POISON = "Poison Hospital"
FAST = RetryPolicy(max_attempts=3, backoff_seconds=0.05, max_backoff_seconds=0.2)


class PoisonedDirectory(ChannelDirectory):
    """The channel directory with a bug: it cannot file one hospital, however often it tries."""

    poison_attempts = 0

    def apply(self, cur, envelope, payload):
        if isinstance(payload, HospitalRegistered) and payload.name == POISON:
            type(self).poison_attempts += 1
            raise ValueError(f"cannot file {payload.name}")
        super().apply(cur, envelope, payload)


class FlakyDirectory(ChannelDirectory):
    """Loses its database connection (the server ends it) the first times it files 'Flaky', and is not
    ready for 'Early' the first times it sees it: more times, both, than a poison is retried."""

    failures = 5

    def __init__(self, pool, schema):
        super().__init__(pool, schema)
        self.seen = {"Flaky": 0, "Early": 0}

    def apply(self, cur, envelope, payload):
        name = getattr(payload, "name", None)
        if name in self.seen and self.seen[name] < self.failures:
            self.seen[name] += 1
            if name == "Flaky":
                cur.execute("SELECT pg_terminate_backend(pg_backend_pid())")
                cur.fetchone()  # raises psycopg.OperationalError (in a pipeline, with the result)
                raise AssertionError("the server should have ended the connection")
            raise RetryLater(f"{name} is not ready yet")
        super().apply(cur, envelope, payload)


@pytest.fixture
def one_partition(settings):
    """One partition, so 'after the poison on the same partition' means every later event."""
    return settings.model_copy(update={"topic_partitions": 1})


@pytest.fixture
def channel(one_partition):
    app = ChannelApplication(one_partition)
    yield app
    app.close()



def register(app: ChannelApplication, *names: str) -> None:
    with acting_as("user:alice", correlation_id="corr-dead-letters"):
        for name in names:
            register_hospital(app, uuid4(), name, "上海市", "3A")


def hospital_names(pool, schema: str) -> set[str]:
    with pool.connection() as conn:
        return {r["name"] for r in conn.execute(f"SELECT name FROM {schema}.hospitals").fetchall()}


def dead_letters(pool, schema: str) -> list[DeadLetter]:
    with pool.connection() as conn, conn.cursor() as cur:
        return deadletters.select(cur, schema) if deadletters.table_exists(cur, schema) else []


def stored_offset(pool, schema: str, consumer: str) -> int:
    with pool.connection() as conn:
        return conn.execute(f"SELECT max(kafka_offset) AS o FROM {schema}.consumer_positions WHERE consumer = %s",
                            (consumer,)).fetchone()["o"]


async def records_on(settings, topic: str, expected: int, timeout: float = 20) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list = []
    try:
        deadline = time.monotonic() + timeout
        while len(found) < expected and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(batch)
    finally:
        await consumer.stop()
    return found


async def erp(settings, *args: str):
    """`erp ...` as an operator runs it, with the test's settings in the environment."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=service_env(settings))


async def set_aside_a_poison(one_partition, channel, pool) -> DeadLetter:
    """Hospitals before and after the poison are filed; the poison is set aside; all consumers stop."""
    register(channel, "Before 1", "Before 2", POISON, "After 1")
    projection = PoisonedDirectory(pool, channel.schema)
    projection.setup()
    running = Running()
    running.start(Relay(channel).run)
    running.start(ConsumerRunner(projection, one_partition, FAST).run)
    await eventually(lambda: hospital_names(pool, channel.schema) == {"Before 1", "Before 2", "After 1"},
                     what="the hospitals around the poison to be filed")
    await eventually(lambda: dead_letters(pool, channel.schema), what="the poison to be set aside")
    register(channel, "Later")
    await eventually(lambda: "Later" in hospital_names(pool, channel.schema), what="a later event to be filed")
    await running.stop()
    [letter] = dead_letters(pool, channel.schema)
    return letter


async def test_a_poison_is_set_aside_after_bounded_retries_and_its_partition_keeps_flowing(one_partition, channel,
                                                                                           pool):
    PoisonedDirectory.poison_attempts = 0
    letter = await set_aside_a_poison(one_partition, channel, pool)

    assert (letter.consumer, letter.topic, letter.partition) == ("channel-directory", channel.topic, 0)
    assert (letter.kafka_offset, letter.source_position, letter.event_id) == (2, 3, "channel-3")
    assert (letter.event_type, letter.status, letter.attempts) == ("erp.channel.HospitalRegistered", "open", 3)
    assert letter.error == f"ValueError: cannot file {POISON}"
    assert json.loads(letter.envelope)["data"]["name"] == POISON
    assert PoisonedDirectory.poison_attempts >= 3  # the batch's attempts, then the poison's own
    assert stored_offset(pool, channel.schema, "channel-directory") == 4  # past the poison, and on

    [record] = await records_on(one_partition, deadletters.topic_for(one_partition, "channel-directory"), 1)
    headers = {k: v.decode() for k, v in record.headers}
    assert CloudEvent.from_bytes(record.value).id == "channel-3"
    assert headers["deadletter_id"] == str(letter.id)
    assert headers["deadletter_error"] == letter.error
    assert (headers["deadletter_offset"], headers["deadletter_attempts"]) == ("2", "3")


def hospital_envelope(position: int, name: str, grade: str = "3A") -> bytes:
    hospital_id = str(uuid4())
    return CloudEvent(id=f"channel-{position}", source="/erp/channel", type="erp.channel.HospitalRegistered",
                      subject=hospital_id, time=datetime.now(UTC), aggregateid=hospital_id, aggregateversion=1,
                      position=position, correlationid="corr-malformed", actor="user:alice", schemaversion=1,
                      data={"hospital_id": hospital_id, "name": name, "region": "上海市", "grade": grade}).to_bytes()


async def test_malformed_records_are_set_aside_and_a_retry_that_still_fails_leaves_them_open(settings, one_partition,
                                                                                            pool):
    """A record that is no envelope at all, and an envelope whose data breaks its contract, from a faulty producer."""
    topic, schema = one_partition.topic_for("channel"), one_partition.schema_for("channel")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    await ensure_topics(one_partition, [topic])
    for value in (hospital_envelope(1, "First"), b"{not an envelope", hospital_envelope(2, "Broken", grade="Z9"),
                  hospital_envelope(3, "Last")):
        await producer.send_and_wait(topic, value)
    await producer.stop()

    projection = ChannelDirectory(pool, schema)
    projection.setup()
    running = Running()
    running.start(ConsumerRunner(projection, one_partition, FAST).run)
    await eventually(lambda: len(dead_letters(pool, schema)) == 2 and "Last" in hospital_names(pool, schema),
                     what="both set aside and the last hospital filed")
    await running.stop()
    assert hospital_names(pool, schema) == {"First", "Last"}
    garbage, broken = sorted(dead_letters(pool, schema), key=lambda d: d.kafka_offset)
    assert (garbage.kafka_offset, garbage.event_id, garbage.envelope, garbage.attempts) == (1, None, "{not an envelope", 1)
    assert garbage.error.startswith("pydantic_core._pydantic_core.ValidationError")
    assert (broken.kafka_offset, broken.event_id, broken.attempts) == (2, "channel-2", 3)
    assert "grade" in broken.error

    result = await erp(settings, "deadletters", "retry", str(garbage.id))
    assert result.exit_code == 1 and "not an envelope" in result.output
    result = await erp(settings, "deadletters", "retry", str(broken.id))
    assert result.exit_code == 1 and "still fails" in result.output
    [_, still_broken] = sorted(dead_letters(pool, schema), key=lambda d: d.kafka_offset)
    assert (still_broken.status, still_broken.attempts) == ("open", 4)


async def test_transient_failures_and_retry_later_wait_and_are_never_set_aside(one_partition, channel, pool):
    register(channel, "Before", "Flaky", "Early", "After")
    projection = FlakyDirectory(pool, channel.schema)
    projection.setup()
    running = Running()
    running.start(Relay(channel).run)
    running.start(ConsumerRunner(projection, one_partition, FAST).run)
    await eventually(lambda: hospital_names(pool, channel.schema) == {"Before", "Flaky", "Early", "After"},
                     what="every hospital filed in the end")
    await running.stop()
    assert projection.seen == {"Flaky": 5, "Early": 5}  # more failures than a poison is allowed
    assert dead_letters(pool, channel.schema) == []


async def test_retry_applies_it_through_the_services_own_consumer_and_marks_it_retried(settings, one_partition,
                                                                                       channel, pool):
    letter = await set_aside_a_poison(one_partition, channel, pool)
    listed = await erp(settings, "deadletters", "list", "channel")
    assert listed.exit_code == 0, listed.output
    assert str(letter.id) in listed.output and "channel-directory" in listed.output and "open" in listed.output

    # The fix is deployed: the service's own ChannelDirectory (no bug) applies it.
    result = await erp(settings, "deadletters", "retry", str(letter.id))
    assert result.exit_code == 0, result.output
    assert POISON in hospital_names(pool, channel.schema)
    [retried] = dead_letters(pool, channel.schema)
    assert retried.status == "retried" and retried.resolved_at is not None
    assert (await erp(settings, "deadletters", "list", "channel")).output.strip() == "no open dead letters"

    again = await erp(settings, "deadletters", "retry", str(letter.id))
    assert again.exit_code == 1 and "retried already" in again.output


async def test_skip_needs_a_reason_and_is_an_audited_event_in_the_services_log_that_reaches_kafka(
        settings, one_partition, channel, pool):
    letter = await set_aside_a_poison(one_partition, channel, pool)
    no_reason = await erp(settings, "deadletters", "skip", str(letter.id), "--actor", "bob")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output

    reason = "duplicate of a hospital registered the same day; the customer confirmed"
    unproposed = await erp(settings, "deadletters", "approve", str(letter.id), "--actor", "bob")
    assert unproposed.exit_code == 1 and "proposes it first" in unproposed.output
    proposed = await erp(settings, "deadletters", "skip", str(letter.id), "--reason", reason, "--actor", "alice")
    assert proposed.exit_code == 0, proposed.output
    assert dead_letters(pool, channel.schema)[0].status == "open"  # a proposal alone skips nothing
    own = await erp(settings, "deadletters", "approve", str(letter.id), "--actor", "alice")
    assert own.exit_code == 1 and "second person" in own.output
    result = await erp(settings, "deadletters", "approve", str(letter.id), "--actor", "bob")
    assert result.exit_code == 0, result.output
    [skipped] = dead_letters(pool, channel.schema)
    assert (skipped.status, skipped.resolved_by, skipped.reason) == ("skipped", "user:bob", reason)
    assert POISON not in hospital_names(pool, channel.schema)

    case = channel.get_aggregate(letter.id, DeadLetterCase)
    assert (case.reason, case.consumer, case.skipped_event_id, case.proposed_by) == (
        reason, "channel-directory", "channel-3", "user:alice")
    [stored] = channel.recorder.select_events(letter.id)
    meta = channel.mapper.to_domain_event(stored).meta
    assert meta == {"actor": "user:bob", "correlation_id": "corr-dead-letters", "causation_id": "channel-3"}

    # The relay publishes it like any event; the channel's own consumer passes over it.
    running = Running()
    running.start(Relay(channel).run)
    running.start(ConsumerRunner(ChannelDirectory(pool, channel.schema), one_partition, FAST).run)
    envelopes = await read_topic(one_partition, channel.topic, expected=7)
    await eventually(lambda: stored_offset(pool, channel.schema, "channel-directory") == 6,
                     what="the consumer to pass over the skip")
    await running.stop()
    [ops] = [e for e in envelopes if e.type == "erp.ops.DeadLetterSkipped"]
    assert (ops.actor, ops.source, ops.subject, ops.causationid) == ("user:bob", "/erp/channel", str(letter.id), "channel-3")
    assert (ops.data["reason"], ops.data["skipped_event_id"], ops.data["offset"]) == (reason, "channel-3", 2)
    [proposal] = [e for e in envelopes if e.type == "erp.ops.DeadLetterSkipProposed"]
    assert (proposal.actor, proposal.data["proposed_by"], ops.data["proposed_by"]) == ("user:alice",) * 3
    assert len(dead_letters(pool, channel.schema)) == 1

    listed = await erp(settings, "deadletters", "list", "--status", "skipped")
    assert str(letter.id) in listed.output and f"by user:bob: {reason}" in listed.output
    again = await erp(settings, "deadletters", "skip", str(letter.id), "--reason", "again", "--actor", "carol")
    assert again.exit_code == 1 and "skipped" in again.output


def test_retry_of_a_process_managers_dead_letter_saves_what_it_reacts_with(settings, pool):
    """A process manager's dead letter: the retry issues its commands as the consumer would have."""
    inventory = InventoryApplication(settings)
    planner = FulfilmentPlanner(inventory, pool)
    planner.setup()
    placed = golden("erp.order.OrderPlaced")
    letter = DeadLetter.of(planner.name, settings.topic_for("order"), 1, 0, placed.to_bytes(), placed,
                           KeyError("gtin"), 3)
    planner.set_aside(letter)
    assert stored_offset(pool, inventory.schema, planner.name) == 0

    result = CliRunner().invoke(cli, ["deadletters", "retry", str(letter.id)], env=service_env(settings))
    assert result.exit_code == 0, result.output
    try:
        fulfilment = inventory.get_fulfilment(UUID(placed.data["order_id"]))
        assert fulfilment.status == "rejected"  # no stock was ever received in this test
    finally:
        inventory.close()
    [retried] = dead_letters(pool, inventory.schema)
    assert retried.status == "retried"
