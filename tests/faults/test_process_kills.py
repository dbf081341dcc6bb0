"""SIGKILL APIs, relays and consumer workers at random moments under load, restart them, and check that no
acknowledged command was lost and that every read model equals a rebuild from scratch.

Clients retry as real ones do (same Idempotency-Key after a broken connection or a 5xx), so an order whose
first attempt died with the API is placed once. Counters and lists in the read models are incremented by
their projections, so an event applied twice (or lost) by a worker killed mid-batch shows as a difference
from the rebuild; an invoice raised twice by a billing worker killed between saving and recording its
position shows as two invoices for one order.
"""

import asyncio
import random
import time

from bench.load import drive
from bench.progress import wait_until_drained
from tests.faults.system import (acknowledged_but_missing, client, dead_letters, differences_from_rebuilds,
                                 invoices_per_order, seeded_traffic)

RATE = 10  # orders per second: enough to have batches in flight at every moment of a kill
# Whose process each round kills, in turn: the APIs the traffic goes through, every relay, and the workers that
# run process managers (commands from events) first, then those with projections only.
VICTIMS = {"web": ("order", "inventory"),
           "relay": ("order", "inventory", "billing", "channel", "traceability"),
           "worker": ("inventory", "billing", "order", "traceability", "channel")}


def test_sigkilled_processes_lose_no_acknowledged_command_and_read_models_equal_rebuilds(shared_settings, system,
                                                                                          rounds):
    system.start_all()
    system.wait_until_ready()
    rng = random.Random(20261125)
    kills: list[tuple[str, str]] = []

    async def kill_at_random_moments(done: asyncio.Event) -> None:
        # Each round kills one API, one relay and one worker, in random order, at random moments 0.8-2 s apart.
        for n in range(rounds):
            roles = ["web", "relay", "worker"]
            rng.shuffle(roles)
            for role in roles:
                await asyncio.sleep(rng.uniform(0.8, 2.0))
                service = VICTIMS[role][n % len(VICTIMS[role])]
                system.kill(service, role)
                kills.append((service, role))
                await asyncio.sleep(rng.uniform(0.05, 0.5))
                system.start(service, role)
        done.set()

    async def scenario():
        async with client() as http:
            traffic = await seeded_traffic(http, system, shared_settings)
            stop = asyncio.Event()
            watching = asyncio.create_task(traffic.watcher.run(stop))
            kills_done = asyncio.Event()
            killer = asyncio.create_task(kill_at_random_moments(kills_done))
            seconds = rounds * 3 * 2.6 + 2  # the kills' time, and some load after the last
            load = await drive(traffic, RATE, seconds)
            await killer
            try:
                await wait_until_drained(shared_settings, traffic.watcher, timeout=120)
            finally:
                stop.set()
                await watching
            return traffic, load

    started = time.monotonic()
    traffic, load = asyncio.run(scenario())
    system.check_alive()
    assert len(kills) == 3 * rounds
    assert {role for _, role in kills} == {"web", "relay", "worker"}
    assert load["started"] >= RATE * 5 and len(traffic.acknowledged["place_order"]) >= load["started"] * 0.9, (
        f"too few orders acknowledged to prove anything: {dict(traffic.failures)}")
    assert len(traffic.acknowledged["dispatch"]) >= len(traffic.acknowledged["place_order"]) * 0.8
    assert traffic.acknowledged["sellout_report"], "no distributor's sell-out report in the traffic"
    assert acknowledged_but_missing(shared_settings, traffic) == {}
    assert invoices_per_order(shared_settings) == 1
    assert dead_letters(shared_settings) == 0
    assert asyncio.run(differences_from_rebuilds(shared_settings)) == {}
    print(f"{len(kills)} kills {kills}; {len(traffic.acknowledged['place_order'])} orders,"
          f" {len(traffic.acknowledged['dispatch'])} dispatches, {len(traffic.acknowledged['sellout_report'])} sell-out"
          f" reports acknowledged; client-side failures"
          f" {dict(traffic.failures)}; {time.monotonic() - started:.0f}s")
