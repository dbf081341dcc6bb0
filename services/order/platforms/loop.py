"""The platform sync as a process: `python -m services.order.platforms.loop`, beside the order service's worker.

It runs only when `ORDER_PLATFORM_URL` is set (else it says so and exits 0): the platform's base URL, spoken to by the
reference adapter (simulated.py; a real province gets its own adapter module). `ORDER_PLATFORM_NAME` (default `sim`)
names the platform in order ids, the ledger and the events' actor (`platform:<name>`); every
`ORDER_PLATFORM_INTERVAL_SECONDS` (default 30) it pulls orders and acceptances and sends the outbox
(services/order/platforms/sync.py); while the platform is down it tries again after a growing wait, at most
`ORDER_PLATFORM_RETRY_CAP_SECONDS` (default 600: a platform's maintenance window is hours, not seconds); beside it, a Kafka consumer (callbacks.py) queues the shipments and
invoices of platform orders. The database, Kafka and namespace are the order service's (Settings).
One such process per platform: the outbox has one sender. SIGTERM/SIGINT stop it after the current round.
"""

import asyncio
import logging
import os
import signal
import threading

from psycopg_pool import ConnectionPool

from services.order.application import OrderApplication, OrderUnitOfWork
from services.order.platforms import sync
from services.order.platforms.callbacks import PlatformCallbacks
from services.order.platforms.ledger import PostgresPlatformLedger
from services.order.platforms.simulated import SimulatedPlatformConnector
from shared.platform.consumer import ConsumerRunner
from shared.platform.db import new_pool
from shared.platform.settings import Settings, get_settings

log = logging.getLogger(__name__)


async def _callbacks(settings: Settings, pool: ConnectionPool, schema: str, stop: threading.Event) -> None:
    """Shipments and invoices of platform orders into the outbox (callbacks.py), consumed from Kafka until `stop`."""
    stopped = asyncio.Event()

    async def watch() -> None:
        await asyncio.to_thread(stop.wait)
        stopped.set()

    watcher = asyncio.create_task(watch())
    await ConsumerRunner(PlatformCallbacks(pool, schema), settings).run(stopped)
    await watcher


def main(stop: threading.Event | None = None) -> int:
    url = os.environ.get("ORDER_PLATFORM_URL")
    if not url:
        log.warning("ORDER_PLATFORM_URL is not set: no procurement platform to synchronise with")
        return 0
    name = os.environ.get("ORDER_PLATFORM_NAME", "sim")
    interval = float(os.environ.get("ORDER_PLATFORM_INTERVAL_SECONDS", "30"))
    cap = float(os.environ.get("ORDER_PLATFORM_RETRY_CAP_SECONDS", "600"))
    backoff = sync.Backoff(base=min(sync.Backoff.base, cap), cap=cap)
    settings = get_settings()
    app = OrderApplication(settings)
    pool = new_pool(settings, name=f"order-platform-{name}")
    connector = SimulatedPlatformConnector(url, name=name)
    if stop is None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    consumer: threading.Thread | None = None
    try:
        ledger = PostgresPlatformLedger(pool, app.schema)
        ledger.create_tables()
        consumer = threading.Thread(target=asyncio.run, args=(_callbacks(settings, pool, app.schema, stop),),
                                    name="platform-callbacks", daemon=True)
        consumer.start()
        sync.run(connector, ledger, lambda: OrderUnitOfWork(app, pool), stop, interval=interval, backoff=backoff)
    finally:
        stop.set()
        if consumer is not None:
            consumer.join(30)
        connector.close()
        pool.close()
        app.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(main())
