"""Scale-out benchmark: how long one worker process of a service takes to drain a backlog, against two.

`make bench-scale-out` writes BENCH_EVENTS (default 100,000) channel HospitalRegistered envelopes onto a fresh
namespace's `channel.events` while no worker runs (the bytes the relay publishes: bench/replay.py's producer), then
starts the channel worker (`python -m shared.platform.run worker channel`, as `make run` does) once, or twice as two
replicas in the same consumer groups, and times until every channel consumer of that topic has stored, in
PostgreSQL, positions at the topic's heads. It does so BENCH_ROUNDS (2) times for each count, in the order 1, 2, 2, 1,
... (each in a namespace of its own, removed afterwards), so a change in the machine's load hits both alike, and
writes bench/results/scale_out.json with `ratio` (one worker's median drain time / two workers').

Each time is from starting the processes, so it includes their start (imports, pools, joining the groups): a
replica added to a running Deployment pays it too. `drain_after_first_s` is from the first stored position on.
The CPU seconds each worker process used are recorded with its time: on a machine with few cores, the workers
share them with PostgreSQL and Kafka, and a second process helps only while a core is idle. So is how often a batch
was seen waiting for its consumer's position rows (`position_lock_wait_share`): a projection's batch locks all of
its consumer's rows, so two workers' batches of one projection run one after the other in PostgreSQL.
"""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from bench.common import at_end, free_port, machine, options, own_namespace, report
from bench.replay import produce
from shared.platform.kafka import ensure_topics
from shared.platform.rebuild import topic_heads
from shared.platform.registry import definition
from shared.platform.settings import Settings
from shared.platform.stack import Stack, replica

SERVICE = "channel"
CLK_TCK = 100  # /proc/<pid>/stat's clock ticks per second (sysconf(SC_CLK_TCK), 100 on Linux)


def consumers_of_topic() -> list[str]:
    """The service's consumers that read its own topic: those that must all have applied the backlog."""
    service = definition(SERVICE)
    return sorted(h.name for h in (*service.projections, *service.process_managers) if SERVICE in h.subscribes_to)


def applied(settings: Settings, consumers: list[str]) -> dict[str, dict[int, int]]:
    """Per consumer, the next offset on each partition of the topic it has stored (missing: nothing yet)."""
    schema = sql.Identifier(settings.schema_for(SERVICE))
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        try:
            rows = conn.execute(sql.SQL("SELECT consumer, partition, kafka_offset FROM {}.consumer_positions"
                                        " WHERE topic = %s AND consumer = ANY(%s)").format(schema),
                                (settings.topic_for(SERVICE), consumers)).fetchall()
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
            return {}
    positions: dict[str, dict[int, int]] = {}
    for consumer, partition, offset in rows:
        positions.setdefault(consumer, {})[partition] = offset + 1
    return positions


def waiting_on_positions(settings: Settings) -> int:
    """Worker transactions waiting, now, for a consumer's position rows (Projection._locked_positions locks every
    row of its consumer FOR UPDATE at the start of each batch, so two workers' batches of one consumer queue there)."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                            (f"%{settings.schema_for(SERVICE)}%consumer_positions%FOR UPDATE%",)).fetchone()[0]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


async def drain(settings: Settings, workers: int, events: int, log_dir: Path, timeout: float) -> dict:
    topic = settings.topic_for(SERVICE)
    consumers = consumers_of_topic()
    # Every topic the worker reads, made beforehand: the first start would otherwise make them on the clock.
    service = definition(SERVICE)
    await ensure_topics(settings, sorted({settings.topic_for(s) for h in (*service.projections,
                                                                          *service.process_managers)
                                          for s in h.subscribes_to}))
    await produce(settings, topic, events)
    heads = {partition: end for (t, partition), end in (await topic_heads(settings, (topic,))).items() if t == topic}
    assert sum(heads.values()) == events, f"{sum(heads.values())} records on {topic}, {events} produced"
    env = {"ERP_ENV": settings.environment, "ERP_NAMESPACE": settings.namespace,
           "DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}
    stack = Stack(env=env, log_dir=log_dir, ports={SERVICE: free_port()})
    started = time.perf_counter()
    first = None
    samples = waiting = 0
    try:
        for n in range(1, workers + 1):
            stack.start(SERVICE, replica("worker", n))
        while True:
            stack.check_alive()
            positions = await asyncio.to_thread(applied, settings, consumers)
            now = time.perf_counter()
            if positions and first is None:
                first = now
            if first is not None:
                samples += 1
                waiting += bool(await asyncio.to_thread(waiting_on_positions, settings))
            if all(positions.get(c, {}).get(p, 0) >= end for c in consumers for p, end in heads.items()):
                break
            if now - started > timeout:
                raise TimeoutError(f"{workers} worker(s) did not drain {events} events in {timeout}s: {positions}")
            await asyncio.sleep(0.1)
        seconds = time.perf_counter() - started
        cpu = [round(cpu_seconds(p.pid), 1) for p in stack.processes.values()]
    finally:
        stack.stop_all()
    return {"workers": workers, "seconds": round(seconds, 2), "drain_after_first_s": round(started + seconds - first, 2),
            "events_per_s": round(events / seconds), "worker_cpu_seconds": cpu,
            # The share of samples (every ~0.1 s while draining) in which some batch waited for its consumer's rows.
            "position_lock_wait_share": round(waiting / samples, 2) if samples else None}


def main(events: int, rounds: int, timeout: float) -> dict:
    consumers = consumers_of_topic()
    runs = []
    order = [w for n in range(rounds) for w in ((1, 2) if n % 2 == 0 else (2, 1))]
    facts = None
    with tempfile.TemporaryDirectory(prefix="bench-scale-out-") as logs:
        for k, workers in enumerate(order):
            with own_namespace("bscale") as settings:
                facts = facts or machine(settings)
                print(f"{events:,} events, {workers} worker(s) ...", flush=True)
                run = asyncio.run(drain(settings, workers, events, Path(logs) / f"run{k}", timeout))
                print(f"  {run}", flush=True)
                runs.append(run)
    one = round(statistics.median(r["seconds"] for r in runs if r["workers"] == 1), 2)
    two = round(statistics.median(r["seconds"] for r in runs if r["workers"] == 2), 2)
    # Each round's two runs ran next to each other: their ratio is the least touched by the machine's load changing.
    pairs = [(runs[k], runs[k + 1]) for k in range(0, len(runs), 2)]
    pair_ratios = [round(sorted(p, key=lambda r: r["workers"])[0]["seconds"] /
                         sorted(p, key=lambda r: r["workers"])[1]["seconds"], 3) for p in pairs]
    one_after = statistics.median(r["drain_after_first_s"] for r in runs if r["workers"] == 1)
    two_after = statistics.median(r["drain_after_first_s"] for r in runs if r["workers"] == 2)
    return {
        "events": events,
        "service": SERVICE,
        "consumers_draining": consumers,
        "partitions": Settings().topic_partitions,
        "one_worker_seconds": one,
        "two_workers_seconds": two,
        "ratio": round(one / two, 3),  # > 1: two workers drain faster
        "one_worker_events_per_s": round(events / one),
        "two_workers_events_per_s": round(events / two),
        "ratio_per_round": pair_ratios,
        "ratio_after_first_applied": round(one_after / two_after, 3),
        "runs": runs,
        "machine": at_end(facts),
    }


if __name__ == "__main__":
    args = options(__doc__, events=100_000, rounds=2, timeout=600.0).parse_args()
    result = main(args.events, args.rounds, args.timeout)
    report("scale_out", result, f"{result['events']:,} events: one worker {result['one_worker_seconds']}s,"
           f" two workers {result['two_workers_seconds']}s, ratio {result['ratio']}")
