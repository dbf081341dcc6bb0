import subprocess
from pathlib import Path

from typer.testing import CliRunner

from shared.platform.cli import app
from shared.platform.auth import verify_token
from shared.platform.settings import Settings


def test_erp_token_prints_a_token_for_the_named_person_and_roles():
    result = CliRunner().invoke(app, ["token", "alice", "--role", "recall_officer", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    principal = verify_token(result.output.strip(), Settings())
    assert (principal.actor, principal.roles) == ("user:alice", ["recall_officer", "auditor"])


def test_unset_server_settings_name_the_servers_the_local_scripts_start_on_their_ports(monkeypatch):
    """`make run` starts PostgreSQL and Kafka on PGPORT_LOCAL and KAFKA_PORT; `erp` must find them there."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("PGPORT_LOCAL", "25432")
    monkeypatch.setenv("KAFKA_PORT", "29092")

    def script(name: str, command: str) -> str:
        return subprocess.run(["bash", str(root / "scripts" / name), command], capture_output=True, text=True,
                              check=True).stdout.strip()

    settings = Settings()
    assert settings.database_url == script("postgres.sh", "url") == "postgresql://postgres@127.0.0.1:25432/erp"
    assert settings.kafka_bootstrap_servers == script("kafka.sh", "bootstrap") == "127.0.0.1:29092"


def test_set_server_settings_win_over_the_local_ports(monkeypatch):
    monkeypatch.setenv("PGPORT_LOCAL", "25432")
    monkeypatch.setenv("KAFKA_PORT", "29092")
    monkeypatch.setenv("DATABASE_URL", "postgresql://erp@db.internal:5432/erp")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.internal:9092")
    settings = Settings()
    assert (settings.database_url, settings.kafka_bootstrap_servers) == (
        "postgresql://erp@db.internal:5432/erp", "kafka.internal:9092")
