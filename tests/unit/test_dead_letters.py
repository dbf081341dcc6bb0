"""Dead letters without servers: which failures wait and which are set aside, how a batch is split to find
the poison, and the ops contract every service can publish."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

import jsonschema
import psycopg
import pytest
from aiokafka import TopicPartition
from eventsourcing import persistence
from psycopg_pool import PoolTimeout

from services.billing.application import BillingApplication
from services.channel.application import ChannelApplication
from services.inventory.application import InventoryApplication
from services.order.application import OrderApplication
from services.traceability.application import TraceabilityApplication
from shared.events import CloudEvent
from shared.events.schemas import SCHEMA_DIR
from shared.platform.consumer import ConsumerRunner, RetryLater, RetryPolicy, is_transient
from shared.platform.context import acting_as
from shared.platform.deadletters import DeadLetter, DeadLetterCase, dead_letter_id
from shared.platform.settings import Settings


class TermsNotYetKnown(RetryLater):
    pass


def wrapped(error: Exception) -> Exception:
    try:
        raise ValueError("handler gave up") from error
    except ValueError as outer:
        return outer


@pytest.mark.parametrize("error", [
    psycopg.OperationalError("connection refused"), PoolTimeout("no connection in 5s"),
    persistence.OperationalError("server closed the connection"), psycopg.InterfaceError("connection is closed"),
    TermsNotYetKnown("order 1"), wrapped(psycopg.OperationalError("connection refused")),
], ids=type)
def test_failures_that_are_not_the_events_fault_wait(error):
    assert is_transient(error)


@pytest.mark.parametrize("error", [
    ValueError("bad grade"), KeyError("gtin"), psycopg.errors.UniqueViolation("duplicate key"),
    psycopg.errors.PipelineAborted("pipeline aborted"), wrapped(KeyError("gtin")),
], ids=type)
def test_failures_of_the_event_itself_are_retried_then_set_aside(error):
    assert not is_transient(error)


def test_the_backoff_doubles_up_to_its_maximum_and_the_environment_sets_it(monkeypatch):
    policy = RetryPolicy(max_attempts=3, backoff_seconds=0.2, max_backoff_seconds=1)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.2, 0.4, 0.8, 1, 1]
    monkeypatch.setenv("CONSUMER_MAX_ATTEMPTS", "5")
    assert RetryPolicy().max_attempts == 5


def envelope(position: int) -> CloudEvent:
    subject = str(uuid4())
    return CloudEvent(id=f"channel-{position}", source="/erp/channel", type="erp.channel.DistributorRegistered",
                      subject=subject, time=datetime.now(UTC), aggregateid=subject, aggregateversion=1,
                      position=position, correlationid="corr", actor="user:alice", schemaversion=1,
                      data={"distributor_id": subject, "name": "D", "region": "江苏省", "tier": "gold"})


def test_a_dead_letter_is_keyed_by_the_event_so_a_resend_is_the_same_letter():
    e = envelope(7)
    first = DeadLetter.of("channel-directory", "channel.events", 0, 6, e.to_bytes(), e, ValueError("bad"), 3)
    resent = DeadLetter.of("channel-directory", "channel.events", 0, 40, e.to_bytes(), e, ValueError("bad"), 3)
    assert first.id == resent.id == dead_letter_id("channel-directory", "channel.events", 0, 6, "channel-7")
    assert (first.error, first.event_type, first.source_position) == ("ValueError: bad", e.type, 7)
    assert first.decoded() == e
    headers = dict(first.headers())
    assert headers["deadletter_error"] == b"ValueError: bad" and headers["deadletter_event_id"] == b"channel-7"


def test_a_record_that_is_no_envelope_is_keyed_by_its_offset_and_keeps_the_stored_source_position():
    letter = DeadLetter.of("channel-directory", "channel.events", 2, 9, b"\xff{oops", None, ValueError("not JSON"), 1)
    assert letter.event_id is None and letter.decoded() is None
    assert letter.id == dead_letter_id("channel-directory", "channel.events", 2, 9, None)
    assert letter.position().source_position == 0  # positions only grow: 0 changes nothing
    assert letter.envelope == "\ufffd{oops"


@pytest.mark.parametrize("app_class", [ChannelApplication, OrderApplication, InventoryApplication, BillingApplication,
                                       TraceabilityApplication])
def test_every_service_publishes_a_skip_as_the_ops_contract(app_class):
    with acting_as("user:bob"):
        case = DeadLetterCase(dead_letter_id=uuid4(), consumer="c", skipped_event_id="order-3",
                              skipped_event_type="erp.order.OrderPlaced", topic="order.events", partition=1, offset=2,
                              error="ValueError: bad", reason="duplicate order, cancelled with the customer")
    [skipped] = case.collect_events()
    payload = app_class.to_payload(skipped)
    assert payload.event_type() == "erp.ops.DeadLetterSkipped"
    assert payload.dead_letter_id == case.id and payload.reason.startswith("duplicate")
    schema = json.loads((SCHEMA_DIR / "erp.ops.DeadLetterSkipped.v1.json").read_text())
    jsonschema.validate(payload.model_dump(mode="json"), schema)


# --- how the runner splits a failing batch, with a handler and a consumer that live in memory ---------------

@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes


@dataclass
class FakeHandler:
    """Fails every batch holding the poison position with `error`; remembers what it applied and set aside."""

    error: Exception
    poison: int = 3
    name: str = "fake"
    subscribes_to: tuple[str, ...] = ("channel",)
    applied: list[int] = field(default_factory=list)
    set_aside_letters: list[DeadLetter] = field(default_factory=list)
    calls: int = 0

    def handle_batch(self, deliveries):
        self.calls += 1
        if any(d.envelope.position == self.poison for d in deliveries):
            raise self.error
        self.applied.extend(d.envelope.position for d in deliveries)

    def set_aside(self, letter):
        self.set_aside_letters.append(letter)

    def stored_positions(self):
        return {}


class FakeConsumer:
    def __init__(self) -> None:
        self.seeks, self.commits = [], []

    def seek(self, tp, offset):
        self.seeks.append((tp, offset))

    async def seek_to_beginning(self, tp):
        self.seeks.append((tp, 0))

    async def commit(self, offsets):
        self.commits.append(offsets)


async def run_batch(handler: FakeHandler, records: list[Record]) -> tuple[ConsumerRunner, FakeConsumer]:
    runner = ConsumerRunner(handler, Settings(), RetryPolicy(max_attempts=3, backoff_seconds=0.001))
    runner.consumer = consumer = FakeConsumer()

    async def nothing_to_publish() -> None:
        pass

    runner._publish_dead_letters = nothing_to_publish
    await runner._handle(TP, records)
    return runner, consumer


TP = TopicPartition("channel.events", 0)


def records(*positions: int | None) -> list[Record]:
    return [Record("channel.events", 0, offset, envelope(p).to_bytes() if p else b"garbage")
            for offset, p in enumerate(positions)]


async def test_the_poison_alone_is_set_aside_and_the_rest_of_the_batch_is_applied():
    handler = FakeHandler(ValueError("cannot apply"))
    _, consumer = await run_batch(handler, records(1, 2, 3, 4, 5))
    assert handler.applied == [1, 2, 4, 5]
    [letter] = handler.set_aside_letters
    assert (letter.event_id, letter.kafka_offset, letter.attempts) == ("channel-3", 2, 3)
    assert handler.calls == 3 + 2 + 3 + 2  # the batch 3 times, then one at a time (the poison 3 times)
    assert consumer.commits == [{TP: 5}]


async def test_a_transient_failure_rewinds_and_sets_nothing_aside():
    handler = FakeHandler(psycopg.OperationalError("the database is restarting"))
    _, consumer = await run_batch(handler, records(1, 2, 3, 4))
    assert handler.calls == 1 and handler.applied == [] and handler.set_aside_letters == []
    assert consumer.seeks == [(TP, 0)] and consumer.commits == []


async def test_a_record_that_is_no_envelope_is_set_aside_at_once_between_the_others():
    handler = FakeHandler(ValueError("unused"), poison=99)
    await run_batch(handler, records(1, None, 2))
    assert handler.applied == [1, 2]
    [letter] = handler.set_aside_letters
    assert (letter.kafka_offset, letter.attempts, letter.envelope) == (1, 1, "garbage")
    assert "ValidationError" in letter.error
