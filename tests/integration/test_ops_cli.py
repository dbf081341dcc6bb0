"""`erp relay status` and `erp events show|tail` against a real event store."""

import json
import os
import select
import socket
import socketserver
import subprocess
import sys
import threading
from pathlib import Path
from uuid import uuid4

import pytest
from psycopg.conninfo import conninfo_to_dict
from typer.testing import CliRunner

from services.channel.application import ChannelApplication
from shared.platform.cli import app as cli
from shared.platform.context import acting_as
from tests.parties import register_hospital, register_distributor


def erp(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_relay_status_and_event_log_reading(settings):
    channel = ChannelApplication(settings)
    with acting_as("user:carol", correlation_id="flow-1"):
        register_hospital(channel, uuid4(), "A", "上海市", "3A")
        register_distributor(channel, uuid4(), "D", "江苏省", "gold")
    with acting_as("user:dave", correlation_id="flow-2"):
        register_hospital(channel, uuid4(), "B", "北京市", "3A")
    channel.close()

    status = {line.split()[0]: line.split()[1:] for line in erp("relay", "status").splitlines()[1:]}
    assert status["channel"] == ["3", "0", "3"]  # stored, published (no relay ran), behind
    assert status["order"] == ["0", "0", "0"]

    flow_1 = [json.loads(line) for line in erp("events", "show", "channel", "--correlation", "flow-1", "--json").splitlines()]
    assert [(e["type"], e["actor"], e["position"]) for e in flow_1] == [
        ("erp.channel.HospitalRegistered", "user:carol", "1"), ("erp.channel.DistributorRegistered", "user:carol", "2")]
    only_hospitals = erp("events", "show", "channel", "--type", "erp.channel.HospitalRegistered").splitlines()
    assert len(only_hospitals) == 2 and "by user:dave" in only_hospitals[1]
    assert erp("events", "show", "channel", "--since", "2999-01-01T00:00:00") == ""
    newest = erp("events", "tail", "channel", "-n", "1").splitlines()
    assert len(newest) == 1 and newest[0].split()[0] == "3"


class Forwarder:
    """A TCP port that passes every byte on to a real server: a server `erp` can only have found by that port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.connections = 0
        forwarder = self

        class Pipe(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                forwarder.connections += 1
                with socket.create_connection(target) as upstream:
                    ends = {self.request: upstream, upstream: self.request}
                    while True:
                        for end in select.select(list(ends), [], [], 1)[0]:
                            data = end.recv(65536)
                            if not data:
                                return
                            ends[end].sendall(data)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Pipe)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_erp_finds_the_servers_on_the_local_ports_when_no_urls_are_set(settings):
    """`make run` gives its servers' URLs to the services only; `erp` run by hand has PGPORT_LOCAL and KAFKA_PORT."""
    db = conninfo_to_dict(settings.database_url)
    if (db.get("dbname"), db.get("host")) != ("erp", "127.0.0.1"):  # any role of it: erp then connects as postgres
        pytest.skip("the local-port defaults describe the project's own local servers, not these")
    kafka_host, kafka_port = settings.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)
    channel = ChannelApplication(settings)
    with acting_as("user:carol"):
        register_hospital(channel, uuid4(), "A", "上海市", "3A")
    channel.close()
    postgres = Forwarder((db["host"], int(db.get("port", 5432))))
    kafka = Forwarder((kafka_host, int(kafka_port)))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DATABASE_OWNER_URL", "AUDITOR_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    env.update(PGPORT_LOCAL=str(postgres.port), KAFKA_PORT=str(kafka.port))
    try:
        def erp_process(*args: str) -> str:
            # The installed command, as a person runs it (`.venv/bin/erp`).
            done = subprocess.run([str(Path(sys.executable).with_name("erp")), *args], env=env, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        status = {line.split()[0]: line.split()[1:] for line in erp_process("relay", "status").splitlines()[1:]}
        assert status["channel"] == ["1", "0", "1"]
        assert postgres.connections > 0
        assert "channel-directory" in erp_process("projections", "list")
        assert kafka.connections > 0
    finally:
        postgres.close()
        kafka.close()
