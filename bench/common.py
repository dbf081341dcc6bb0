"""What every benchmark shares besides its figures: its command line, the machine it ran on, and where results go."""

import argparse
import asyncio
import json
import os
import platform
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from shared.platform.namespace import drop_namespace
from shared.platform.settings import Settings

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
