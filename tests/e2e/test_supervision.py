"""`make run` keeps the system running: a SIGKILLed process comes back by itself, the other fourteen are never
touched, the restart is said on the terminal, and only Ctrl-C stops everything."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg

from shared.platform.settings import SERVICES
from tests.conftest import service_env
from tests.e2e.conftest import free_port
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> dict[str, int]:
    """The service processes `pid` started: "inventory worker", ... -> pid (`python -m shared.platform.run ROLE SERVICE`)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # not a process, or gone meanwhile
        if ppid == pid and b"shared.platform.run" in argv:
            at = argv.index(b"shared.platform.run")
            found[f"{argv[at + 2].decode()} {argv[at + 1].decode()}"] = int(entry.name)
    return found


def alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def heartbeat_pid(database_url: str, schema: str, process: str) -> int | None:
    try:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(f'SELECT pid FROM "{schema}".heartbeats WHERE process = %s', (process,)).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


def test_make_run_restarts_a_killed_worker_and_stops_everything_only_on_ctrl_c(settings, tmp_path):
    env = {**os.environ, **service_env(settings), "ERP_LOG_DIR": str(tmp_path / "logs"),
           **{f"{s.upper()}_PORT": str(free_port()) for s in SERVICES}, "GATEWAY_PORT": str(free_port())}
    run = subprocess.Popen([sys.executable, "-m", "services.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(run.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any("Ctrl-C stops everything" in line for line in output) or run.poll() is not None,
                 "make run to start and load the demo data", timeout=240)
        assert run.poll() is None, "".join(output)
        before = children(run.pid)
        assert len(before) == 3 * len(SERVICES), before  # api, relay and worker of each

        os.kill(before["inventory worker"], signal.SIGKILL)
        after = wait_for(lambda: (now := children(run.pid)).get("inventory worker") not in
                         (None, before["inventory worker"]) and now, "the inventory worker to be restarted")
        assert {m: p for m, p in after.items() if m != "inventory worker"} == \
               {m: p for m, p in before.items() if m != "inventory worker"}  # nobody else was touched
        assert all(alive(pid) for pid in after.values())
        new_worker = after["inventory worker"]
        wait_for(lambda: heartbeat_pid(settings.database_url, settings.schema_for("inventory"), "worker") == new_worker,
                 "the restarted worker to beat its heartbeat", timeout=60)
        said = "".join(output)
        assert (f"inventory worker (pid {before['inventory worker']}) exited with signal SIGKILL" in said
                and f"log: {tmp_path / 'logs' / 'inventory-worker.log'}" in said), said
        assert f"inventory worker restarted (pid {new_worker})" in said

        run.send_signal(signal.SIGINT)  # Ctrl-C
        assert run.wait(timeout=60) == 0
        assert not [m for m, pid in after.items() if alive(pid)]
        reader.join(timeout=5)
        assert "stopped." in "".join(output)
    finally:
        if run.poll() is None:  # the test failed midway; the stack's processes are in sessions of their own
            left = children(run.pid).values()
            run.kill()
            for pid in left:
                os.kill(pid, signal.SIGKILL)
