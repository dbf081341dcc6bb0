"""Start, watch and stop the whole system as processes: five services x (api, relay, worker), and the console's
gateway (services/gateway.py).

Used by `make run` (through `python -m services.run`) and by the end-to-end tests, so the
tests exercise exactly what a newcomer runs. A Stack only starts and stops; `make run` adds a
Supervisor, which restarts what exits. The tests kill and restart processes themselves.
"""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.platform.settings import SERVICES

ROLES = ("web", "relay", "worker")  # shared/platform/run.py starts each
GATEWAY = "gateway"  # the console's origin (services/gateway.py): one process, kept as ("gateway", "web")
REPLICA = "."  # `worker.2`: a second process of the role `worker` (see replica())

log = logging.getLogger(__name__)


def configured_ports() -> dict[str, int]:
    """ORDER_PORT, CHANNEL_PORT, ... override the defaults (8001-8005)."""
    from shared.platform.registry import definitions

    return {d.name: int(os.environ.get(f"{d.name.upper()}_PORT", d.default_port)) for d in definitions()}


def replica(role: str, n: int) -> str:
    """The name under which a Stack keeps the n-th process of a role (n >= 2; the first is the role itself).

    `worker.2` runs `python -m shared.platform.run worker SERVICE` again: the same consumer group per handler, as a
    second replica of the service's worker would in Kubernetes, so Kafka splits the partitions between them."""
    return role if n == 1 else f"{role}{REPLICA}{n}"


def role_of(name: str) -> str:
    """The role a process name runs: `worker` for both `worker` and `worker.2`."""
    return name.split(REPLICA, 1)[0]


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: configured_ports())
    processes: dict[tuple[str, str], subprocess.Popen] = field(default_factory=dict)
    gateway_port: int = field(default_factory=lambda: int(os.environ.get("GATEWAY_PORT", 8000)))

    def url(self, service: str) -> str:
        if service == GATEWAY:
            return f"http://127.0.0.1:{self.gateway_port}"
        return f"http://127.0.0.1:{self.ports[service]}"

    def log_path(self, service: str, role: str) -> Path:
        return self.log_dir / f"{service}-{role}.log"

    def start(self, service: str, role: str) -> subprocess.Popen:
        """Start a process of the service in `role`, or in a replica of it (`replica("worker", 2)`), keeping its
        output in log_path(service, role)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if service == GATEWAY:  # it forwards to every service, so it is told all their ports
            ports = {f"{s.upper()}_PORT": str(port) for s, port in self.ports.items()}
            env = {**os.environ, **self.env, **ports, "GATEWAY_PORT": str(self.gateway_port)}
            command = [sys.executable, "-m", "services.gateway"]
        else:
            env = {**os.environ, **self.env, f"{service.upper()}_PORT": str(self.ports[service])}
            command = [sys.executable, "-m", "shared.platform.run", role_of(role), service]
        with self.log_path(service, role).open("ab") as output:  # appended to: a restart keeps the crash's lines
            process = subprocess.Popen(command, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=output,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[(service, role)] = process
        return process

    def start_all(self) -> None:
        for service in SERVICES:
            for role in ROLES:
                self.start(service, role)

    def start_gateway(self) -> subprocess.Popen:
        return self.start(GATEWAY, "web")

    def wait_for_gateway(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url(GATEWAY)}/api/session/config", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the gateway did not answer after {timeout}s; log: {self.log_path(GATEWAY, 'web')}")

    def kill(self, service: str, role: str) -> None:
        """SIGKILL: the process gets no chance to clean up, as in a crash."""
        process = self.processes.pop((service, role))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def wait_until_ready(self, timeout: float = 120, services: list[str] | None = None,
                         fail_on_exit: bool = True) -> None:
        """Until every service's /ready answers 200. A process that exits meanwhile fails it at once, unless a
        Supervisor is restarting what exits (fail_on_exit=False)."""
        deadline = time.monotonic() + timeout
        pending = set(services or SERVICES)
        while pending and time.monotonic() < deadline:
            if fail_on_exit:
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
                raise RuntimeError(f"{service} {role} exited with {process.returncode};"
                                   f" see {self.log_path(service, role)}")

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


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"exit code {returncode}"


@dataclass(frozen=True)
class Backoff:
    """How long to wait before restarting a process that exited: doubling from `first` up to `cap`, so a process
    that cannot start does not spin; once one has stayed up `reset_after` seconds, its next exit waits `first`."""

    first: float = 1.0
    cap: float = 30.0
    reset_after: float = 60.0

    def delay(self, exits_in_a_row: int) -> float:
        return min(self.cap, self.first * 2 ** max(0, exits_in_a_row - 1))


@dataclass
class _Watch:
    started_at: float
    exits_in_a_row: int = 0
    restart_at: float | None = None  # set while an exited process waits out its backoff


class Supervisor:
    """Keeps every process of a Stack running while the system is meant to run (`make run`).

    A process that exits is logged (with its exit code and log file) and started again after a backoff; the
    others are left alone. It runs in a thread of its own so it also watches while `make run` waits for the
    services or loads the demo data; stop() it before Stack.stop_all(), or it would restart what is stopped.
    """

    def __init__(self, stack: Stack, backoff: Backoff = Backoff(), interval: float = 0.5) -> None:
        self.stack, self.backoff, self.interval = stack, backoff, interval
        self.watches: dict[tuple[str, str], _Watch] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check(time.monotonic())
            except Exception:  # noqa: BLE001 - the supervisor must outlive a failed restart; it tries again
                log.exception("supervisor check failed")

    def check(self, now: float) -> None:
        """Note exits, restart those whose backoff is over, forgive processes that stayed up long enough."""
        for (service, role), process in list(self.stack.processes.items()):
            watch = self.watches.setdefault((service, role), _Watch(started_at=now))
            if process.poll() is None:
                if watch.exits_in_a_row and now - watch.started_at >= self.backoff.reset_after:
                    watch.exits_in_a_row = 0
            elif watch.restart_at is None:
                watch.exits_in_a_row += 1
                delay = self.backoff.delay(watch.exits_in_a_row)
                watch.restart_at = now + delay
                log.warning("%s %s (pid %d) exited with %s; restarting it in %gs (exit %d in a row); log: %s",
                            service, role, process.pid, describe_exit(process.returncode), delay,
                            watch.exits_in_a_row, self.stack.log_path(service, role))
            elif now >= watch.restart_at:
                # Cleared first: if the start fails, the next check finds it still exited and backs off further.
                watch.started_at, watch.restart_at = now, None
                try:
                    restarted = self.stack.start(service, role)
                except OSError:
                    log.exception("%s %s could not be restarted", service, role)
                else:
                    log.warning("%s %s restarted (pid %d)", service, role, restarted.pid)
