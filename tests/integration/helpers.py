"""Small helpers for tests that run relays and consumers in-process against the real servers."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer

from shared.events import CloudEvent
from shared.platform.eventstore import ServiceApplication
from shared.platform.relay import Relay
from shared.platform.settings import Settings


async def eventually(check: Callable[[], object], timeout: float = 30, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await asyncio.to_thread(check)
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def read_topic(settings: Settings, topic: str, expected: int, timeout: float = 30) -> list[CloudEvent]:
    """Every record on the topic from the beginning (a bare consumer, no group)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records = []
    try:
        deadline = time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    records.sort(key=lambda r: (r.partition, r.offset))
    return [CloudEvent.from_bytes(r.value) for r in records]


class Running:
    """Runs coroutines taking a stop event as tasks; `stop()` ends them cleanly."""

    def __init__(self) -> None:
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self, run: Callable[[asyncio.Event], object]) -> None:
        self.tasks.append(asyncio.ensure_future(run(self.stop_event)))

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks), timeout=30)


@asynccontextmanager
async def running(*runs: Callable[[asyncio.Event], object]) -> AsyncIterator[Running]:
    """The coroutines (relays, consumers: each taking a stop event) running as tasks while inside; stopped cleanly on
    leaving."""
    tasks = Running()
    for run in runs:
        tasks.start(run)
    try:
        yield tasks
    finally:
        await tasks.stop()


async def relayed(app: ServiceApplication, expected: int) -> list[CloudEvent]:
    """What the application's relay publishes on its topic, read back until `expected` have come; in position order
    (the topic is keyed by aggregate: in order per partition, not across them)."""
    async with running(Relay(app).run):
        published = await read_topic(app.settings, app.topic, expected=expected)
    published.sort(key=lambda e: e.position)
    return published


def open_recall_register(app, pool):  # noqa: ANN001, ANN201 - an InventoryApplication and a ConnectionPool
    """The register of open recalls dispatch asks (its table, empty unless the test fills it), on the real database."""
    from services.inventory.projections.open_recalls import OpenRecallRegister, OpenRecalls

    OpenRecalls(pool, app.schema).setup()
    return OpenRecallRegister(pool, app.schema)
