"""Throwaway Kafka brokers and PostgreSQL servers for the fault tests, which stop and restart them.

The shared local servers (and anything given by KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL) serve other test runs
at the same time, so they are never stopped: each fault test that takes a server down starts one of its own,
with the project's scripts, on free ports and in a directory of its own, and removes it at the end.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _script_env(**overrides: str) -> dict[str, str]:
    # Without these unset, the scripts would think an external server is meant and start nothing.
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    return {**env, **overrides}


class _Server:
    """A server run by one of the project's scripts from a directory of its own; `with` starts it, and removes it
    (stopped, its directory deleted) on leaving."""

    script: str
    dir: Path

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def _run(self, command: str) -> None:
        started = time.monotonic()
        done = subprocess.run(["bash", str(ROOT / "scripts" / self.script), command], env=self.env,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{self.script} {command} failed:\n{done.stdout}\n{done.stderr}")
        self.timings.append((command, time.monotonic() - started))

    def start(self) -> None:
        self._run("start")

    def stop(self) -> None:
        self._run("stop")

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


class ThrowawayKafka(_Server):
    script = "kafka.sh"

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="erp-faults-kafka-"))
        self.port = free_port()
        self.env = _script_env(KAFKA_PORT=str(self.port), KAFKA_CONTROLLER_PORT=str(free_port()),
                               KAFKA_STATE_DIR=str(self.dir), KAFKA_HEAP_OPTS="-Xms128m -Xmx384m")

    def kill(self) -> None:
        """SIGKILL, as in a crash: the next start recovers its logs."""
        pid = int((self.dir / "kafka.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


class ThrowawayPostgres(_Server):
    script = "postgres.sh"

    def __init__(self) -> None:
        super().__init__()
        # Under /var/tmp, not pytest's tmp_path: the server runs as user postgres, who must reach the directory.
        self.dir = Path(tempfile.mkdtemp(prefix="erp-faults-pg-", dir="/var/tmp"))
        self.dir.chmod(0o755)
        self.port = free_port()
        self.env = _script_env(PGPORT_LOCAL=str(self.port), PG_STATE_DIR=str(self.dir))

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/erp"
