"""Entry points: run a relay or a set of consumers as a process that stops cleanly on SIGTERM/SIGINT."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable

from shared.platform.consumer import ConsumerRunner, Handler
from shared.platform.eventstore import ServiceApplication
from shared.platform.relay import Relay


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
    _run(lambda stop: Relay(app_factory()).run(stop))


def run_consumers(handlers_factory: Callable[[], list[Handler]]) -> None:
    async def main(stop: asyncio.Event) -> None:
        from shared.platform.settings import get_settings

        settings = get_settings()
        handlers = await asyncio.to_thread(handlers_factory)
        await asyncio.gather(*(ConsumerRunner(h, settings).run(stop) for h in handlers))

    _run(main)
