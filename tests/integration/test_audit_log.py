"""The tamper-evident log on real PostgreSQL and Kafka: hash chain, immutability, signed checkpoints,
and `erp audit verify` naming the first broken position."""

import asyncio

import psycopg
import pytest
from typer.testing import CliRunner

from shared.platform.audit import chain_hash, stored_rows, verify
from shared.platform.auth import issue_token
from shared.platform.cli import app as cli
from shared.platform.relay import Relay
from tests.integration.helpers import Running, eventually
from tests.integration.test_backbone import register_hospitals

TABLE = "channel_events"


def erp_audit_verify(service: str = "channel"):
    return CliRunner().invoke(cli, ["audit", "verify", service])


def tamper(settings, statement: str, *args) -> None:
    """As the table's owner (or a superuser), who can switch the immutability triggers off, as an attacker with
    those credentials would; the application role cannot (tests/integration/test_database_roles.py)."""
    table = f"{settings.schema_for('channel')}.{TABLE}"
    with psycopg.connect(settings.database_owner_url or settings.database_url) as conn:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        conn.execute(statement, args)
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


async def publish_with_checkpoints(settings, channel, up_to: int) -> None:
    running = Running()
    relay = Relay(channel)
    running.start(relay.run)
    await eventually(lambda: relay.checkpointed_up_to == up_to, what=f"a checkpoint at {up_to}")
    await running.stop()


def test_every_event_is_chained_and_an_intact_log_verifies(settings, channel):
    register_hospitals(channel, 5)
    rows = list(stored_rows(settings.database_url, channel.schema, TABLE))
    previous = b""
    for row in rows:
        previous = chain_hash(previous, row.position, row.originator_id, row.version, row.topic, row.state)
        assert row.hash == previous
    result = erp_audit_verify()
    assert result.exit_code == 0, result.output
    assert "channel: intact up to position 5 (5 events" in result.output


@pytest.mark.parametrize("statement", [
    "UPDATE {schema}.{table} SET state = state WHERE notification_id = 1",
    "DELETE FROM {schema}.{table} WHERE notification_id = 1",
    "TRUNCATE {schema}.{table}",
])
def test_the_application_role_cannot_update_delete_or_truncate_events(settings, channel, statement):
    register_hospitals(channel, 2)
    # The table's owner, who holds every privilege on it (the triggers refuse), and the services' own login.
    for url in (settings.database_owner_url or settings.database_url, settings.database_url):
        with psycopg.connect(url) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="immutable|permission denied"):
                conn.execute(statement.format(schema=channel.schema, table=TABLE))
    assert len(list(stored_rows(settings.database_url, channel.schema, TABLE))) == 2


def test_flipping_one_byte_of_a_stored_event_is_found_at_its_position(settings, channel):
    register_hospitals(channel, 6)
    tamper(settings, f"UPDATE {channel.schema}.{TABLE}"
                     " SET state = overlay(state placing '\\x58'::bytea from 12 for 1) WHERE notification_id = 4")
    result = erp_audit_verify()
    assert result.exit_code == 1
    assert "channel: broken at position 4: its stored hash does not match its content" in result.output


def test_a_removed_event_breaks_the_chain_at_its_successor(settings, channel):
    register_hospitals(channel, 6)
    tamper(settings, f"DELETE FROM {channel.schema}.{TABLE} WHERE notification_id = 3")
    assert "broken at position 4" in erp_audit_verify().output


async def test_a_consistently_rewritten_chain_is_caught_by_the_signed_checkpoints(settings, channel):
    register_hospitals(channel, 4)
    await publish_with_checkpoints(settings, channel, up_to=4)
    # Rewrite event 2 AND recompute every hash after it, so the chain alone looks intact.
    tamper(settings, f"UPDATE {channel.schema}.{TABLE}"
                     " SET state = overlay(state placing '\\x58'::bytea from 12 for 1) WHERE notification_id = 2")
    previous = b""
    for row in list(stored_rows(settings.database_url, channel.schema, TABLE)):
        previous = chain_hash(previous, row.position, row.originator_id, row.version, row.topic, row.state)
        tamper(settings, f"UPDATE {channel.schema}.{TABLE} SET hash = %s WHERE notification_id = %s",
               previous, row.position)
    assert verify(stored_rows(settings.database_url, channel.schema, TABLE), [], "unused").intact  # the chain alone is fooled
    result = await asyncio.to_thread(erp_audit_verify)  # the CLI runs its own event loop
    assert result.exit_code == 1
    assert "broken at position 4: the chain was rewritten: the checkpoint signed at" in result.output


def test_the_auditor_api_gives_the_same_verdict_as_erp_audit_verify(settings, channel, channel_api):
    register_hospitals(channel, 6)
    auditor = {"Authorization": f"Bearer {issue_token('zhao', ['auditor'])}"}
    intact = channel_api.get("/audit/verification", headers=auditor)
    assert intact.status_code == 200, intact.text
    assert {k: intact.json()[k] for k in ("service", "intact", "events", "checked_up_to", "broken_at")} == {
        "service": "channel", "intact": True, "events": 6, "checked_up_to": 6, "broken_at": None}
    clerk = {"Authorization": f"Bearer {issue_token('li', ['warehouse'])}"}
    assert channel_api.get("/audit/verification", headers=clerk).status_code == 403
    tamper(settings, f"UPDATE {channel.schema}.{TABLE}"
                     " SET state = overlay(state placing '\\x58'::bytea from 12 for 1) WHERE notification_id = 4")
    broken = channel_api.get("/audit/verification", headers=auditor).json()
    assert (broken["intact"], broken["broken_at"], broken["checked_up_to"]) == (False, 4, 3)
    assert broken["how"].startswith("its stored hash does not match") and "broken at position 4" in \
        erp_audit_verify().output
