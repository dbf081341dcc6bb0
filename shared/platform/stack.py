"""Start, watch and stop the whole system as processes: five services x (api, relay, worker).

Used by `make run` (through `python -m services.run`) and by the end-to-end tests, so the
tests exercise exactly what a newcomer runs.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.platform.settings import DEFAULT_PORTS, SERVICES

ROLES = ("web", "relay", "worker")


def configured_ports() -> dict[str, int]:
    """ORDER_PORT, CHANNEL_PORT, ... override the defaults (8001-8005)."""
    return {s: int(os.environ.get(f"{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in SERVICES}


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: configured_ports())
    processes: dict[tuple[str, str], subprocess.Popen] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, service: str, role: str) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, f"{service.upper()}_PORT": str(self.ports[service]), "PYTHONUNBUFFERED": "1"}
        log = (self.log_dir / f"{service}-{role}.log").open("ab")
        process = subprocess.Popen([sys.executable, "-m", f"services.{service}.{role}"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[(service, role)] = process
        return process

    def start_all(self) -> None:
        for service in SERVICES:
            for role in ROLES:
                self.start(service, role)

    def kill(self, service: str, role: str) -> None:
        """SIGKILL: the process gets no chance to clean up, as in a crash."""
        process = self.processes.pop((service, role))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def wait_until_ready(self, timeout: float = 120, services: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        pending = set(services or SERVICES)
        while pending and time.monotonic() < deadline:
            self.check_alive()
            for service in sorted(pending):
                try:
                    if httpx.get(f"{self.url(service)}/ready", timeout=2).status_code == 200:
                        pending.discard(service)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        if pending:
            raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}; logs in {self.log_dir}")

    def check_alive(self) -> None:
        for (service, role), process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{service} {role} exited with {process.returncode}; see {self.log_dir}/{service}-{role}.log")

    def stop_all(self, timeout: float = 15) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
