"""SIGKILL the relay and the projection worker in the middle of a stream of events, restart them, and
check every event was applied exactly once: the live read model equals a rebuild from scratch.

The projection's per-province counters are incremented (not recomputed), so a double apply or a
lost event would show as a difference.
"""

import asyncio
import random
import threading
import time

import psycopg

from services.channel.projections.directory import ChannelDirectory
from shared.platform.consumer import ConsumerRunner
from shared.platform.db import new_pool

EVENTS = 400
PROVINCES = ("上海市", "北京市", "广东省", "四川省", "浙江省")


def snapshot(database_url: str, schema: str) -> tuple[list, list]:
    with psycopg.connect(database_url) as conn:
        hospitals = conn.execute(f"SELECT hospital_id, name, province, city, grade FROM {schema}.hospitals ORDER BY hospital_id").fetchall()
        counts = conn.execute(f"SELECT province, hospitals, distributors FROM {schema}.province_counts ORDER BY province").fetchall()
    return hospitals, counts


def applied(database_url: str, schema: str) -> int:
    try:
        with psycopg.connect(database_url) as conn:
            return conn.execute(f"SELECT coalesce(sum(hospitals), 0) FROM {schema}.province_counts").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def test_killed_relay_and_worker_resume_and_apply_every_event_exactly_once(settings, stack, http):
    schema = settings.schema_for("channel")
    for role in ("web", "relay", "worker"):
        stack.start("channel", role)
    stack.wait_until_ready(services=["channel"])
    sent: list[str] = []

    def register_all() -> None:
        for n in range(EVENTS):
            body = {"name": f"Hospital {n:04d}", "province": PROVINCES[n % len(PROVINCES)], "grade": "3B"}
            for _attempt in range(20):  # the API never goes down here; retries cover a slow moment only
                response = http.post(f"{stack.url('channel')}/hospitals", json=body, headers={"Idempotency-Key": f"h-{n}"})
                if response.status_code in (200, 201):
                    sent.append(response.json()["hospital_id"])
                    break
                time.sleep(0.1)

    writer = threading.Thread(target=register_all)
    writer.start()
    rng = random.Random(20261124)
    kills = 0
    while writer.is_alive() and kills < 3:
        time.sleep(rng.uniform(0.3, 0.9))
        for role in ("relay", "worker"):  # SIGKILL mid-stream, then restart
            stack.kill("channel", role)
            time.sleep(rng.uniform(0.05, 0.3))
            stack.start("channel", role)
        kills += 1
    writer.join(timeout=120)
    assert len(sent) == EVENTS
    assert kills >= 2, "the stream ended before the processes could be killed in the middle of it"

    deadline = time.monotonic() + 90
    while applied(settings.database_url, schema) < EVENTS and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # a double apply would land now
    assert applied(settings.database_url, schema) == EVENTS

    rebuilt = rebuild_from_scratch(settings, f"{settings.namespace}rebuild")
    live = snapshot(settings.database_url, schema)
    assert len(live[0]) == EVENTS
    assert live == rebuilt
    assert sorted(str(h[0]) for h in live[0]) == sorted(sent)


def rebuild_from_scratch(settings, schema: str) -> tuple[list, list]:
    pool = new_pool(settings, name="rebuild")
    projection = ChannelDirectory(pool, schema, name="channel-directory-rebuild")

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.ensure_future(ConsumerRunner(projection, settings).run(stop))
        deadline = time.monotonic() + 60
        while await asyncio.to_thread(applied, settings.database_url, schema) < EVENTS and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        stop.set()
        await task

    try:
        asyncio.run(run())
        return snapshot(settings.database_url, schema)
    finally:
        pool.close()
