"""Pipeline benchmark: command latency, end-to-end lag and sustained events per second of the whole system,
against the raw rate of appending events to the PostgreSQL event store measured in the same run.

`make bench-pipeline` works in a namespace of its own (`benchpipe<random>_`, removed at the end):

1. Store only: BENCH_STORE_WORKERS threads (8) place orders straight into the order service's event store
   for BENCH_STORE_SECONDS (10): no HTTP, no relay, no Kafka, no consumers. Events appended per second.
2. The system: all five services as real processes (api, relay, worker each, as `make run` starts them), with
   INVENTORY_PICKING_REQUIRED=false; hospitals, items, a qualified supplier and released stock created through
   the APIs (bench/load.py).
3. Load: BENCH_RATE orders per second (200) for BENCH_SECONDS (20), after BENCH_WARMUP_SECONDS (3) unmeasured,
   over BENCH_HOSPITALS hospitals (100) and BENCH_ITEMS items (100). Each order is dispatched as soon as its
   reservation shows in the order service's read model; billing invoices it, traceability records its lots.
   BENCH_SELLOUT_SHARE (0.2) of the orders are delivered through a distributor, which then reports its sell-out.
4. Drain: until every event stored has been published and applied by every consumer.

Measured: latency per command endpoint; lag from each command's acceptance (its 2xx) to its effect in each
downstream read model (polled every BENCH_POLL_MS, 10); events stored, published and projected per second
(from the event logs and the positions relays and consumers record); `events_per_s`, the sustained end-to-end
rate: events stored during the load / (load time + drain time). Writes bench/results/pipeline.json.
Relay and consumer batch sizes come from RELAY_BATCH_SIZE / CONSUMER_BATCH_SIZE in the environment.
"""

import asyncio
import os
import socket
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bench.common import at_end, in_threads, machine, own_namespace, report
from bench.load import ClientPool, LagWatcher, Traffic, drive, seed
from bench.progress import pipeline_counts, projected_events, wait_until_drained
from services.order.application import OrderApplication
from shared.platform.audit import events_table
from shared.platform.context import acting_as
from shared.platform.settings import SERVICES, Settings
from shared.platform.stack import Stack
from services.order.domain import SalesOrder


def env_number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 1)


def summary(values: list[float]) -> dict:
    return {"count": len(values), "p50_ms": percentile(values, 0.50), "p99_ms": percentile(values, 0.99),
            "max_ms": percentile(values, 1.0)}


# ---------------------------------------------------------------- store-only baseline
def store_only_rate(settings: Settings, workers: int, seconds: float) -> dict:
    """Orders placed straight into the event store by `workers` threads: events appended per second."""
    app = OrderApplication(settings, env={"POSTGRES_POOL_SIZE": str(workers), "POSTGRES_MAX_OVERFLOW": str(workers)})
    hospital = uuid.uuid4()
    lines = [{"gtin": "09506000134352", "quantity": 2, "unit_price": "1280.00"}]
    done = [0] * workers
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        with acting_as(f"user:bench-{n}", correlation_id="bench-store-only"):
            while time.monotonic() < deadline:
                # Plain appends of accepted orders: the baseline is the event store, not the checks before acceptance.
                app.save(SalesOrder.place(uuid.uuid4(), hospital, None, "CNY", lines))
                done[n] += 1

    wall = in_threads(worker, workers)
    try:
        with psycopg.connect(settings.database_url) as conn:
            appended = conn.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
                sql.Identifier(settings.schema_for("order")), sql.Identifier(events_table("order")))).fetchone()[0]
    finally:
        app.close()
    return {"events_per_s": round(appended / wall, 1), "events": appended, "commands": sum(done),
            "workers": workers, "seconds": round(wall, 1)}


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time (user + system) each process of the stack has used so far, plus this process (the load)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = {f"{service}-{role}": p.pid for (service, role), p in stack.processes.items()} | {"load-generator": os.getpid()}
    used = {}
    for name, pid in pids.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


SERVER_ROUTES = {"place_order": ("order", "/orders"), "dispatch": ("inventory", "/fulfilments/{order_id}/dispatch")}


async def server_histograms(http: ClientPool, stack: Stack) -> dict[str, dict[str, float]]:
    """Each command route's latency histogram as its API measured it (`/metrics`): {command: {le: count}}."""
    found: dict[str, dict[str, float]] = {}
    for command, (service, route) in SERVER_ROUTES.items():
        text = (await http.get(f"{stack.url(service)}/metrics")).text
        for line in text.splitlines():
            if line.startswith("erp_http_request_seconds_bucket{") and f'route="{route}"' in line and 'method="POST"' in line:
                le = line.split('le="')[1].split('"')[0]
                found.setdefault(command, {})[le] = float(line.rsplit(" ", 1)[1])
    return found


def server_side(before: dict, after: dict) -> dict:
    """p50/p99 upper bounds (histogram buckets) of the server's own latency over the measured window: what the
    client measures beyond it is queueing in the client or the network stack (or a starved load generator)."""
    result = {}
    for command, buckets in after.items():
        counts = sorted(((float(le), n - before.get(command, {}).get(le, 0)) for le, n in buckets.items()))
        total = counts[-1][1]
        if not total:
            continue
        quantile = lambda q: next(le for le, n in counts if n >= q * total) * 1000  # noqa: E731
        result[command] = {"count": int(total), "p50_ms_at_most": quantile(0.5), "p99_ms_at_most": quantile(0.99)}
    return result


# ---------------------------------------------------------------- the run
async def load_the_system(settings: Settings, stack: Stack, rate: float, seconds: float, warmup: float,
                          hospitals: int, items: int, poll_ms: float, sellout_share: float) -> dict:
    urls = {s: stack.url(s) for s in SERVICES}
    async with ClientPool() as http:
        seeded = await seed(http, urls, settings, hospitals=hospitals, items=items)
        watcher = LagWatcher(settings, poll_seconds=poll_ms / 1000)
        stop = asyncio.Event()
        watching = asyncio.create_task(watcher.run(stop))
        # Clients retry a dropped connection; a share of the orders goes through distributors, who report sell-out.
        traffic = Traffic(http, urls, seeded, watcher, max_attempts=3, sellout_share=sellout_share)
        try:
            warm = await drive(traffic, rate, warmup)
            await wait_until_drained(settings, watcher, timeout=120)
            for measured in (traffic.latencies, traffic.accepted_latencies, traffic.shed_latencies):
                measured.clear()
            watcher.lags.clear()
            before = await asyncio.to_thread(pipeline_counts, settings)
            cpu_before = cpu_seconds(stack)
            histograms_before = await server_histograms(http, stack)
            offered = await drive(traffic, rate, seconds, first=warm["next"])
            at_end_of_load = await asyncio.to_thread(pipeline_counts, settings)
            server = server_side(histograms_before, await server_histograms(http, stack))
            drain_seconds = await wait_until_drained(settings, watcher, timeout=300)
            after = await asyncio.to_thread(pipeline_counts, settings)
            cpu_after = cpu_seconds(stack)
        finally:
            stop.set()
            await watching
    cpu = {name: round(cpu_after[name] - cpu_before.get(name, 0), 1) for name in cpu_after}
    return {"before": before, "at_end_of_load": at_end_of_load, "after": after, "offered": offered, "cpu": cpu, "server": server,
            "drain_seconds": drain_seconds, "traffic": traffic, "watcher": watcher}


def figures(run: dict, store_only: dict, rate: float) -> dict:
    before, end, after = run["before"], run["at_end_of_load"], run["after"]
    window = end["at"] - before["at"]
    stored = sum(after["stored"].values()) - sum(before["stored"].values())
    total = window + run["drain_seconds"]
    traffic, watcher = run["traffic"], run["watcher"]
    all_commands = [v for values in traffic.latencies.values() for v in values]
    all_lags = [v for values in watcher.lags.values() for v in values]
    events_per_s = round(stored / total, 1)
    return {
        "events_per_s": events_per_s,
        "command_p50_ms": percentile(all_commands, 0.50),
        "command_p99_ms": percentile(all_commands, 0.99),
        "lag_p50_ms": percentile(all_lags, 0.50),
        "lag_p99_ms": percentile(all_lags, 0.99),
        "store_only_events_per_s": store_only["events_per_s"],
        "throughput_vs_store_only": round(events_per_s / store_only["events_per_s"], 3),
        # The targets on a 2-core machine: lag p99 under 250 ms at 200 orders/s, sustained throughput at
        # least 60% of the store-only rate. Only meaningful on a quiet machine (see load_average_* under machine).
        "targets": {"lag_p99_under_250_ms": (percentile(all_lags, 0.99) or 0) < 250,
                    "throughput_at_least_60_percent_of_store_only": events_per_s >= 0.6 * store_only["events_per_s"],
                    "at_200_orders_per_s": rate >= 200},
        "orders_per_s_offered": rate,
        # Orders accepted per second of load (a shed attempt that succeeded later counts once).
        "orders_per_s_achieved": round(len(traffic.accepted_latencies.get("place_order", []))
                                       / run["offered"]["offered_seconds"], 1),
        "during_load": {
            "seconds": round(window, 1),
            "stored_events_per_s": round((sum(end["stored"].values()) - sum(before["stored"].values())) / window, 1),
            "published_events_per_s": round((sum(end["published"].values()) - sum(before["published"].values())) / window, 1),
            "projected_events_per_s": round((projected_events(end) - projected_events(before)) / window, 1),
        },
        "drain_seconds": round(run["drain_seconds"], 2),
        "events_stored": stored,
        "events_stored_per_service": {s: after["stored"][s] - before["stored"].get(s, 0) for s in after["stored"]},
        "commands": {name: summary(values) for name, values in sorted(traffic.latencies.items())},
        # Under overload: the accepted commands' latency, and how fast and how often the rest were refused (503).
        "accepted_command_p99_ms": percentile([v for values in traffic.accepted_latencies.values() for v in values],
                                              0.99),
        "commands_accepted": {name: summary(values) for name, values in sorted(traffic.accepted_latencies.items())},
        "commands_shed": {name: summary(values) for name, values in sorted(traffic.shed_latencies.items())},
        "shed_p99_ms": percentile([v for values in traffic.shed_latencies.values() for v in values], 0.99),
        "commands_server_side": run["server"],
        "lag_by_read_model": {name: summary(values) for name, values in sorted(watcher.lags.items())},
        "failures": dict(traffic.failures),
        "lifecycles": run["offered"],
        "watcher_polls": watcher.polls,
        # Where the CPU went from the start of the load to the end of the drain (PostgreSQL and Kafka not included).
        "cpu_seconds_by_process": dict(sorted(run["cpu"].items(), key=lambda kv: -kv[1])),
        "cpu_ms_per_order": round(sum(run["cpu"].values()) * 1000
                                  / max(1, len(traffic.accepted_latencies.get("place_order", []))), 1),
        "store_only": store_only,
    }


def main() -> dict:
    rate = env_number("BENCH_RATE", 200)
    seconds = env_number("BENCH_SECONDS", 20)
    warmup = env_number("BENCH_WARMUP_SECONDS", 3)
    hospitals = int(env_number("BENCH_HOSPITALS", 100))
    items = int(env_number("BENCH_ITEMS", 100))
    poll_ms = env_number("BENCH_POLL_MS", 10)
    store_workers = int(env_number("BENCH_STORE_WORKERS", 8))
    store_seconds = env_number("BENCH_STORE_SECONDS", 10)
    sellout_share = env_number("BENCH_SELLOUT_SHARE", 0.2)

    with own_namespace("benchpipe") as settings:
        namespace = settings.namespace
        facts = machine(settings)
        service_env = {"ERP_ENV": "test", "ERP_NAMESPACE": namespace, "DATABASE_URL": settings.database_url,
                       "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "INVENTORY_PICKING_REQUIRED": "false"}
        log_dir = Path(os.environ.get("BENCH_LOG_DIR", ".local/logs/bench-pipeline"))
        stack = Stack(env=service_env, log_dir=log_dir, ports={s: free_port() for s in SERVICES})
        try:
            print(f"store only: {store_workers} writers for {store_seconds:g}s ...", flush=True)
            store_only = store_only_rate(Settings(ERP_NAMESPACE=f"{namespace}store_", ERP_ENV="test"), store_workers,
                                         store_seconds)
            print(f"  {store_only['events_per_s']} events/s appended", flush=True)
            stack.start_all()
            stack.wait_until_ready()
            print(f"services up; {rate:g} orders/s for {seconds:g}s after {warmup:g}s of warm-up ...", flush=True)
            run = asyncio.run(load_the_system(settings, stack, rate, seconds, warmup, hospitals, items, poll_ms,
                                              sellout_share))
            stack.check_alive()
            result = figures(run, store_only, rate) | {
                "settings": {"BENCH_RATE": rate, "BENCH_SECONDS": seconds, "BENCH_WARMUP_SECONDS": warmup,
                             "BENCH_HOSPITALS": hospitals, "BENCH_ITEMS": items, "BENCH_POLL_MS": poll_ms,
                             "BENCH_SELLOUT_SHARE": sellout_share,
                             "RELAY_BATCH_SIZE": settings.relay_batch_size,
                             "CONSUMER_BATCH_SIZE": settings.consumer_batch_size,
                             "API_MAX_IN_FLIGHT": settings.api_max_in_flight,
                             "POLL_INTERVAL_SECONDS": settings.poll_interval_seconds},
                "machine": at_end(facts),
            }
        finally:
            stack.stop_all()
    return result


if __name__ == "__main__":
    r = main()
    report("pipeline", r, f"pipeline: {r['events_per_s']} events/s sustained ({r['throughput_vs_store_only']:.0%} of"
           f" the store-only {r['store_only_events_per_s']}/s); commands p50 {r['command_p50_ms']} ms, p99"
           f" {r['command_p99_ms']} ms; lag p50 {r['lag_p50_ms']} ms, p99 {r['lag_p99_ms']} ms;"
           f" {r['orders_per_s_achieved']} orders/s achieved; accepted commands p99 {r['accepted_command_p99_ms']} ms,"
           f" {sum(v['count'] for v in r['commands_shed'].values())} refused at a process's bound (p99"
           f" {r['shed_p99_ms']} ms)")
