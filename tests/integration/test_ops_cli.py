"""`erp relay status` and `erp events show|tail` against a real event store."""

import json
from uuid import uuid4

from typer.testing import CliRunner

from services.channel.application import ChannelApplication
from shared.platform.cli import app as cli
from shared.platform.context import acting_as


def erp(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_relay_status_and_event_log_reading(settings):
    channel = ChannelApplication(settings)
    with acting_as("user:carol", correlation_id="flow-1"):
        channel.register_hospital(uuid4(), "A", "上海市", "3A")
        channel.register_distributor(uuid4(), "D", "江苏省", "gold")
    with acting_as("user:dave", correlation_id="flow-2"):
        channel.register_hospital(uuid4(), "B", "北京市", "3A")
    channel.close()

    status = {line.split()[0]: line.split()[1:] for line in erp("relay", "status").splitlines()[1:]}
    assert status["channel"] == ["3", "0", "3"]  # stored, published (no relay ran), behind
    assert status["order"] == ["0", "0", "0"]

    flow_1 = [json.loads(line) for line in erp("events", "show", "channel", "--correlation", "flow-1", "--json").splitlines()]
    assert [(e["type"], e["actor"], e["position"]) for e in flow_1] == [
        ("erp.channel.HospitalRegistered", "user:carol", 1), ("erp.channel.DistributorRegistered", "user:carol", 2)]
    only_hospitals = erp("events", "show", "channel", "--type", "erp.channel.HospitalRegistered").splitlines()
    assert len(only_hospitals) == 2 and "by user:dave" in only_hospitals[1]
    assert erp("events", "show", "channel", "--since", "2999-01-01T00:00:00") == ""
    newest = erp("events", "tail", "channel", "-n", "1").splitlines()
    assert len(newest) == 1 and newest[0].split()[0] == "3"
