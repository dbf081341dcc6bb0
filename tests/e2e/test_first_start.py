"""A first start logs no errors: on a new broker and a new namespace the topics do not exist yet and the broker has
no group coordinator yet. Both are expected waits, said once at INFO, not ERROR lines to alarm whoever reads the logs.
"""

import psycopg
import pytest

from shared.platform.settings import SERVICES
from shared.platform.stack import Stack
from tests.conftest import service_env
from tests.e2e.conftest import free_port
from tests.faults.servers import ThrowawayKafka
from tests.waiting import wait_for


@pytest.fixture
def new_broker():
    """A broker that has never run: no topics, no `__consumer_offsets` (the shared one has both by now)."""
    with ThrowawayKafka() as kafka:
        yield kafka


def consumers_running(database_url: str, schema: str) -> bool:
    """The worker's heartbeat has a lag for each consumer: every one joined its group and was given partitions."""
    try:
        with psycopg.connect(database_url) as conn:
            row = conn.execute(f"SELECT detail FROM \"{schema}\".heartbeats WHERE process = 'worker'").fetchone()
    except psycopg.Error:
        return False
    consumers = (row[0] if row else {}).get("consumers", {})
    return bool(consumers) and all(c.get("lag") is not None for c in consumers.values())


def test_a_first_start_on_a_new_broker_logs_no_errors(settings, new_broker, tmp_path):
    env = {**service_env(settings), "KAFKA_BOOTSTRAP_SERVERS": new_broker.bootstrap_servers}
    stack = Stack(env=env, log_dir=tmp_path / "logs", ports={s: free_port() for s in SERVICES})
    try:
        stack.start_all()
        stack.wait_until_ready()
        for service in SERVICES:
            wait_for(lambda: consumers_running(settings.database_url, settings.schema_for(service)),
                     f"every consumer of {service} to run")
    finally:
        stack.stop_all()
    logs = {path.name: path.read_text() for path in sorted(stack.log_dir.glob("*.log"))}
    assert len(logs) == 3 * len(SERVICES)  # api, relay and worker of each
    errors = [f"{name}: {line}" for name, text in logs.items() for line in text.splitlines()
              if " ERROR " in line or line.startswith("Traceback")]
    assert not errors, "\n".join(errors)
    # The waits are there, said once per process and what it waited for, not hidden.
    waits = [line for text in logs.values() for line in text.splitlines() if "waiting for Kafka" in line]
    assert any("group coordinator" in line for line in waits), waits
