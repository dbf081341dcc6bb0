"""What every benchmark records besides its figures: the machine it ran on, and where results go."""

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from shared.platform.settings import Settings

RESULTS_DIR = Path(__file__).parent / "results"


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


def write_result(name: str, result: dict) -> Path:
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    stamped = {**result, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path.write_text(json.dumps(stamped, indent=2, ensure_ascii=False) + "\n")
    return path
