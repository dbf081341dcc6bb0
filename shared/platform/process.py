"""Entry points: run a relay or a set of consumers as a process that stops cleanly on SIGTERM/SIGINT,
beating its heartbeat while it runs (see heartbeat.py)."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import TopicPartition

from shared.platform.consumer import ConsumerRunner, Handler
from shared.platform.eventstore import ServiceApplication
from shared.platform.heartbeat import keep_beating
from shared.platform.relay import Relay
from shared.platform.settings import get_settings


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def _run(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    configure_logging()

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())


def run_relay(app_factory: Callable[[], ServiceApplication]) -> None:
    async def main(stop: asyncio.Event) -> None:
        relay = Relay(await asyncio.to_thread(app_factory))

        async def detail() -> dict[str, Any]:
            return {"active": relay.leadership is not None and not relay.leadership.closed,
                    "published_up_to": relay.published_up_to, "checkpointed_up_to": relay.checkpointed_up_to}

        await asyncio.gather(relay.run(stop), keep_beating(relay.settings, relay.app.schema, "relay", detail, stop))

    _run(main)


async def consumer_lag(runner: ConsumerRunner) -> dict[str, Any]:
    """Events behind the head of each assigned partition (None while the consumer is (re)starting)."""
    consumer = getattr(runner, "consumer", None)
    if consumer is None or not consumer.assignment():
        return {"running": consumer is not None, "lag": None}
    lag = 0
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        try:
            position = await asyncio.wait_for(consumer.position(TopicPartition(tp.topic, tp.partition)), timeout=1)
        except Exception:  # noqa: BLE001 - mid-seek or mid-rebalance: no figure this time
            return {"running": True, "lag": None}
        if highwater is not None:
            lag += max(0, highwater - position)
    return {"running": True, "lag": lag}


def run_consumers(handlers_factory: Callable[[], list[Handler]]) -> None:
    async def main(stop: asyncio.Event) -> None:
        settings = get_settings()
        handlers = await asyncio.to_thread(handlers_factory)
        runners = [ConsumerRunner(h, settings) for h in handlers]

        async def detail() -> dict[str, Any]:
            return {"consumers": {r.handler.name: await consumer_lag(r) for r in runners}}

        await asyncio.gather(*(r.run(stop) for r in runners),
                             keep_beating(settings, handlers[0].schema, "worker", detail, stop))

    _run(main)
