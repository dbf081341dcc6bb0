"""What every benchmark shares besides its figures: its command line, the machine it ran on, and where results go."""

import argparse
import asyncio
import gc
import json
import os
import platform
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from shared.platform.namespace import drop_namespace
from shared.platform.settings import Settings
from shared.platform.stack import Stack

RESULTS_DIR = Path(__file__).parent / "results"


@contextmanager
def own_namespace(prefix: str) -> Iterator[Settings]:
    """Settings for a namespace of the benchmark's own (the prefix and six random hex digits), removed on leaving."""
    settings = Settings(ERP_NAMESPACE=f"{prefix}{uuid.uuid4().hex[:6]}_", ERP_ENV="test")
    try:
        yield settings
    finally:
        asyncio.run(drop_namespace(settings))


def machine(settings: Settings) -> dict:
    with psycopg.connect(settings.database_url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gib": round(memory_kb / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version(), "postgresql": postgres,
            "load_average_at_start": os.getloadavg()}


def options(doc: str, **defaults: float) -> argparse.ArgumentParser:
    """A benchmark's command line (described by its docstring's first line): an option --NAME for each default, with
    dashes for underscores, of the default's type; the environment's BENCH_NAME, if set, replaces the default."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in defaults.items():
        kind = type(default)
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind,
                            default=kind(os.environ.get(f"BENCH_{name.upper()}", default)))
    return parser


def at_end(facts: dict) -> dict:
    """The machine's facts (from machine(), at the start) with its load average now, as the measurement ends."""
    return facts | {"load_average_at_end": os.getloadavg()}


def in_threads(worker: Callable[[int], None], workers: int) -> float:
    """worker(0) to worker(workers - 1), each in a thread of its own, started together; the seconds until all ended."""
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def write_result(name: str, result: dict) -> Path:
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {**result, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path.write_text(json.dumps(stamped, indent=2, ensure_ascii=False) + "\n")
    return path


def report(name: str, result: dict, summary: str) -> None:
    """The result written to bench/results/NAME.json, stamped with the time; the summary printed, saying where."""
    print(f"{summary} -> {write_result(name, result)}")


def schema_bytes(settings: Settings, service: str) -> int:
    """The size on disk of the service's tables (with their indexes and TOAST) in the bench's namespace."""
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c"
            " JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = %s AND c.relkind = 'r'",
            (settings.schema_for(service),)).fetchone()[0]


# --- a service's API measured over HTTP ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(settings: Settings, service: str, log_dir: Path) -> Stack:
    """The service's API as its own process, as `make run` starts it (no relay or worker: nothing moves)."""
    env = {"ERP_ENV": settings.environment, "ERP_NAMESPACE": settings.namespace,
           "DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}
    stack = Stack(env=env, log_dir=log_dir, ports={service: free_port()})
    stack.start(service, "web")
    deadline = time.monotonic() + 60
    while True:  # /ready wants the relay and worker too; /health says the API answers
        stack.check_alive()
        try:
            if httpx.get(f"{stack.url(service)}/health", timeout=2).status_code == 200:
                return stack
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def latency_figures(prefix: str, latencies: list[float]) -> dict:
    """`<prefix>_requests`, `_p50_ms`, `_p99_ms` and `_max_ms`."""
    return {f"{prefix}_requests": len(latencies), f"{prefix}_p50_ms": round(percentile(latencies, 50), 2),
            f"{prefix}_p99_ms": round(percentile(latencies, 99), 2), f"{prefix}_max_ms": round(max(latencies), 2)}


def timed_gets(client: httpx.Client, calls: list[tuple[str, dict]], keep: int = 0) -> tuple[list[float], list[dict]]:
    """Latency per request in ms, and the first `keep` answers (only those: fewer live objects, shorter GC
    pauses)."""
    latencies, answers = [], []
    gc.collect()
    for path, params in calls:
        started = time.perf_counter()
        response = client.get(path, params=params)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, f"{path} {params}: {response.status_code} {response.text[:500]}"
        if len(answers) < keep:
            answers.append(response.json())
    return latencies, answers


def timed_baseline(requests: list, recompute: Callable[[Any], dict]) -> tuple[list[float], list[dict]]:
    """Each request answered by the baseline, timed as the API's are: ms per request, and the answers."""
    latencies, answers = [], []
    gc.collect()
    for request in requests:
        started = time.perf_counter()
        answers.append(recompute(request))
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, answers
