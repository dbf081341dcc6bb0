"""Stop and restart the Kafka broker under load: commands keep being acknowledged (they only need PostgreSQL:
the outbox), nothing acknowledged is lost, relays and consumers reconnect by themselves (no process is
restarted), and the lag comes back to what it was before the outage. The first outage is a clean stop, the
next (in the long form, FAULTS_ROUNDS >= 4) alternate with SIGKILLs of the broker.

The broker is a throwaway one of this test (tests/faults/servers.py), never the shared one.
"""

import asyncio
import statistics
import time

from bench.load import drive
from bench.progress import wait_until_drained
from shared.platform.namespace import drop_namespace
from tests.faults.system import (acknowledged_but_missing, client, dead_letters, differences_from_rebuilds,
                                 fault_settings, invoices_per_order, new_stack, seeded_traffic)

RATE = 10


def median_lag_ms(lags: list[float]) -> float:
    return statistics.median(lags) * 1000 if lags else float("nan")


def test_broker_stopped_under_load_loses_nothing_and_the_pipeline_recovers_by_itself(infrastructure, own_kafka,
                                                                                     tmp_path, rounds):
    settings = fault_settings(infrastructure.database_url, own_kafka.bootstrap_servers,
                              infrastructure.database_owner_url, infrastructure.auditor_database_url)
    stack = new_stack(settings, tmp_path / "logs")
    outages: list[float] = []
    broker_rounds = max(1, rounds // 2)  # each takes a broker stop and start: ~10-20 s on a busy 2-core machine

    async def scenario():
        async with client() as http:
            traffic = await seeded_traffic(http, stack, settings)
            stop = asyncio.Event()
            watching = asyncio.create_task(traffic.watcher.run(stop))
            try:
                await drive(traffic, RATE, 4)
                await wait_until_drained(settings, traffic.watcher, timeout=60)
                lag_before = median_lag_ms(traffic.watcher.lags["order.order_list"])
                for n in range(broker_rounds):
                    load = asyncio.create_task(drive(traffic, RATE, 9, first=10_000 * (n + 1)))
                    await asyncio.sleep(2)
                    down = time.monotonic()
                    await asyncio.to_thread(own_kafka.stop if n % 2 == 0 else own_kafka.kill)
                    await asyncio.sleep(2)  # orders keep coming while the broker is away
                    await asyncio.to_thread(own_kafka.start)
                    outages.append(time.monotonic() - down)
                    await load
                recovered = time.monotonic()
                await wait_until_drained(settings, traffic.watcher, timeout=120)
                drained_after = time.monotonic() - recovered
                traffic.watcher.lags.clear()
                await drive(traffic, RATE, 4, first=1_000_000)  # normal traffic again
                await wait_until_drained(settings, traffic.watcher, timeout=60)
                lag_after = median_lag_ms(traffic.watcher.lags["order.order_list"])
            finally:
                stop.set()
                await watching
            return traffic, lag_before, lag_after, drained_after

    try:
        stack.start_all()
        stack.wait_until_ready()
        traffic, lag_before, lag_after, drained_after = asyncio.run(scenario())
        stack.check_alive()  # nobody restarted anything: relays and workers recovered in place
        assert len(outages) == broker_rounds
        assert acknowledged_but_missing(settings, traffic) == {}
        # Commands need only PostgreSQL: none was refused while the broker was away.
        assert not [f for f in traffic.failures if not f.endswith("version-conflict-retried")], dict(traffic.failures)
        assert invoices_per_order(settings) == 1
        assert dead_letters(settings) == 0
        # Back to normal: a loaded 2-core machine makes single figures noisy, hence the margin.
        assert lag_after < max(1000.0, 3 * lag_before), (lag_before, lag_after)
        assert asyncio.run(differences_from_rebuilds(settings)) == {}
        print(f"broker outages {[round(o, 1) for o in outages]}s ({own_kafka.timings}); drained {drained_after:.1f}s after the last;"
              f" order_list lag p50 {lag_before:.0f} ms before, {lag_after:.0f} ms after;"
              f" {len(traffic.acknowledged['place_order'])} orders acknowledged")
    finally:
        stack.stop_all()
        asyncio.run(drop_namespace(settings))
