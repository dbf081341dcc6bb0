"""The Supervisor's decisions (when to restart, how long to wait) on a clock and processes the test controls.

Real processes being killed and restarted under `make run` are in tests/e2e/test_supervision.py.
"""

import logging
from pathlib import Path

from shared.platform.stack import Backoff, Supervisor


class FakeProcess:
    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        return self.returncode


class FakeStack:
    """What the Supervisor uses of a Stack: its processes, start() and the log paths."""

    def __init__(self, *keys: tuple[str, str]) -> None:
        self.next_pid = 100
        self.processes = {}
        for key in keys:
            self.start(*key)

    def start(self, service: str, role: str) -> FakeProcess:
        self.next_pid += 1
        self.processes[(service, role)] = FakeProcess(self.next_pid)
        return self.processes[(service, role)]

    def log_path(self, service: str, role: str) -> Path:
        return Path(f"logs/{service}-{role}.log")


def test_backoff_doubles_up_to_its_cap():
    backoff = Backoff(first=1, cap=10)
    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_an_exited_process_is_restarted_after_a_growing_backoff_and_the_others_are_left_alone(caplog):
    stack = FakeStack(("inventory", "worker"), ("inventory", "web"))
    web = stack.processes[("inventory", "web")]
    supervisor = Supervisor(stack, Backoff(first=1, cap=4, reset_after=60))
    caplog.set_level(logging.INFO, logger="shared.platform.stack")
    restarts_at = []
    now = 0.0
    for _crash in range(4):  # crashes right after each start: 1, 2, 4, then 4 (the cap) seconds apart
        crashed = stack.processes[("inventory", "worker")]
        crashed.returncode = -9
        while stack.processes[("inventory", "worker")] is crashed:
            now += 0.5
            supervisor.check(now)
        restarts_at.append(now)
    gaps = [b - a for a, b in zip(restarts_at, restarts_at[1:], strict=False)]
    assert [round(g) for g in gaps] == [2, 4, 4]  # each gap: the backoff plus the half-second tick noticing the exit
    assert stack.processes[("inventory", "web")] is web and web.poll() is None
    exits = [r.getMessage() for r in caplog.records if "exited" in r.getMessage()]
    assert len(exits) == 4
    assert "inventory worker (pid 101) exited with signal SIGKILL; restarting it in 1s" in exits[0]
    assert exits[0].endswith("log: logs/inventory-worker.log")
    assert sum("inventory worker restarted" in r.getMessage() for r in caplog.records) == 4


def test_a_process_that_stayed_up_long_enough_is_restarted_without_waiting_long_again():
    stack = FakeStack(("order", "relay"))
    supervisor = Supervisor(stack, Backoff(first=1, cap=30, reset_after=60))

    def relay() -> FakeProcess:
        return stack.processes[("order", "relay")]

    relay().returncode = 1
    supervisor.check(0)  # noticed: restart in 1 s
    supervisor.check(1)
    relay().returncode = 1
    supervisor.check(1.5)  # exited again at once: restart in 2 s
    assert supervisor.watches[("order", "relay")].restart_at == 3.5
    supervisor.check(3.5)
    supervisor.check(3.5 + 60)  # then up a full minute
    assert supervisor.watches[("order", "relay")].exits_in_a_row == 0
    relay().returncode = 1
    supervisor.check(64)
    assert supervisor.watches[("order", "relay")].restart_at == 65  # the first delay again, not 4 s
