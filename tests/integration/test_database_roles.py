"""Least-privilege database roles (README, "Database roles") on real PostgreSQL, in a namespace the services set up.

The services connect as the application role: it appends events but can neither change nor unprotect them
(no UPDATE, DELETE or TRUNCATE privilege; not the table's owner, so no ALTER TABLE, DISABLE TRIGGER or DROP).
The owner role made the schema and the event table; the auditor role only reads.

Under `make test` the three roles are those scripts/postgres.sh creates (DATABASE_URL, DATABASE_OWNER_URL,
AUDITOR_DATABASE_URL). Where DATABASE_OWNER_URL is unset, DATABASE_URL must be a superuser (a testcontainers
server, the local server's `scripts/postgres.sh url`), and this test creates roles of its own the way README says.
"""

import asyncio
import threading
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from services.channel.application import ChannelApplication
from services.channel.projections.directory import ChannelDirectory
from shared.platform.audit import events_table, stored_rows, verify
from shared.platform.db import Roles, auditor_pool, create_application_schema, new_pool, role_name
from shared.platform.namespace import drop_namespace
from shared.platform.settings import Settings
from tests.integration.test_backbone import register_hospitals

EVENTS = events_table("channel")
TEST_ROLES = {"owner": "erp_test_owner", "app": "erp_test_app", "auditor": "erp_test_auditor"}
TEST_PASSWORD = "erp-test-role"  # a server that is not on trust auth (a container) wants one


def create_roles(conn: psycopg.Connection) -> None:
    """As a superuser: the three roles and their grants, as README "Database roles" gives them."""
    for name in TEST_ROLES.values():
        conn.execute(sql.SQL("DO $$ BEGIN CREATE ROLE {} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
                     .format(sql.Identifier(name)))
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(name), sql.Literal(TEST_PASSWORD)))
    owner, app, auditor = (sql.Identifier(TEST_ROLES[k]) for k in ("owner", "app", "auditor"))
    database = sql.Identifier(conn.execute("SELECT current_database()").fetchone()[0])
    conn.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(database, owner))
    conn.execute(sql.SQL("GRANT {} TO {}").format(app, owner))
    for creator in (owner, app):
        conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT SELECT ON TABLES TO {}").format(creator, auditor))


def as_role(url: str, role: str) -> str:
    return make_conninfo(**{**conninfo_to_dict(url), "user": role, "password": TEST_PASSWORD})


@pytest.fixture
def roles(settings: Settings) -> Settings:
    """The test's settings with three separate roles."""
    if settings.database_owner_url:
        return settings
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]
        assert superuser, "without DATABASE_OWNER_URL, DATABASE_URL must be a superuser, to create the roles"
        create_roles(conn)
    url = settings.database_url
    return settings.model_copy(update={"database_url": as_role(url, TEST_ROLES["app"]),
                                       "database_owner_url": as_role(url, TEST_ROLES["owner"]),
                                       "auditor_database_url": as_role(url, TEST_ROLES["auditor"])})


@pytest.fixture
def channel(roles: Settings) -> Iterator[ChannelApplication]:
    """The channel service's write side, as the application role; its start made the schema and event table."""
    app = ChannelApplication(roles)
    yield app
    app.close()


@pytest.fixture
def directory(roles: Settings) -> Iterator[ChannelDirectory]:
    """The channel's read model, set up as its worker does: tables the application role makes and owns."""
    pool = new_pool(roles, name="roles-test")
    projection = ChannelDirectory(pool, roles.schema_for("channel"))
    projection.setup()
    yield projection
    pool.close()


def refused(url: str, statement: str, match: str) -> None:
    with psycopg.connect(url) as conn:  # in a transaction, as LOCK TABLE needs; rolled back
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=match):
            conn.execute(statement)


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def owners(url: str, schema: str) -> dict[str, str]:
    """Every table of the schema, and the schema itself (as ''), with its owner."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
        schema_owner = conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s",
                                    (schema,)).fetchone()[0]
    return {"": schema_owner, **dict(rows)}


def test_the_application_role_appends_events_but_cannot_change_or_unprotect_them(roles, channel, directory):
    register_hospitals(channel, 3)  # a command's events, stored through the application role
    app_url, schema = roles.database_url, channel.schema
    table = f"{schema}.{EVENTS}"
    assert role_name(app_url) != role_name(roles.database_owner_url)
    assert count(app_url, table) == 3

    for statement in (f"UPDATE {table} SET state = state", f"DELETE FROM {table}", f"TRUNCATE {table}",
                      # The lock mode eventsourcing takes before inserting, which is why the recorder does not.
                      f"LOCK TABLE {table} IN EXCLUSIVE MODE"):
        refused(app_url, statement, "permission denied")
    for statement in (f"ALTER TABLE {table} DISABLE TRIGGER immutable_rows", f"ALTER TABLE {table} DISABLE TRIGGER ALL",
                      f"DROP TRIGGER chain ON {table}", f"DROP TABLE {table}", f"ALTER TABLE {table} OWNER TO CURRENT_USER",
                      f"DROP SCHEMA {schema} CASCADE"):
        refused(app_url, statement, "must be owner")
    refused(app_url, "SET session_replication_role = replica", "permission denied")  # triggers off for a session
    assert count(app_url, table) == 3

    # Who owns what: the owner the schema and the event table, the application what it must change itself.
    owned = owners(app_url, schema)
    owner, app = role_name(roles.database_owner_url), role_name(app_url)
    assert owned.pop("") == owner and owned.pop(EVENTS) == owner
    assert {"consumer_positions", "relay_positions", "idempotency_keys", "unique_claims", "dead_letters",
            "hospitals", "distributors", "province_counts"} <= set(owned)
    assert set(owned.values()) == {app}, owned


def test_the_auditor_reads_everything_and_changes_nothing(roles, channel, directory):
    register_hospitals(channel, 2)
    directory_rows = f"{channel.schema}.hospitals"
    with psycopg.connect(roles.database_url) as conn:  # a row of the read model, written as the worker would
        conn.execute(f"INSERT INTO {directory_rows} (hospital_id, name, province, grade, registered_at)"
                     " VALUES (gen_random_uuid(), 'A', '上海市', '3A', now())")
    auditor, table = roles.auditor_database_url, f"{channel.schema}.{EVENTS}"

    assert count(auditor, table) == 2
    assert count(auditor, directory_rows) == 1  # made by the application role later: readable by default
    assert [row.position for row in stored_rows(auditor, channel.schema, EVENTS)] == [1, 2]
    for statement in (f"INSERT INTO {table} (originator_id, originator_version) VALUES (gen_random_uuid(), 1)",
                      f"UPDATE {table} SET state = state", f"DELETE FROM {table}", f"TRUNCATE {table}",
                      f"INSERT INTO {directory_rows} (hospital_id, name, province, grade, registered_at)"
                      " VALUES (gen_random_uuid(), 'B', '上海市', '3A', now())",
                      f"UPDATE {directory_rows} SET name = 'C'", f"DELETE FROM {channel.schema}.consumer_positions",
                      f"CREATE TABLE {channel.schema}.mine (x int)"):
        refused(auditor, statement, "permission denied")
    with auditor_pool(roles).connection() as conn:  # what the auditor API reads through
        assert conn.execute("SELECT current_user AS me").fetchone()["me"] == role_name(auditor)


def test_concurrent_writers_get_gap_free_positions_in_commit_order(roles, channel):
    """Writers in several processes (applications) at once; a reader tailing the log, as the relay does, must never
    see a position before every lower one is there: the insert lock makes positions commit in the order issued."""
    writers, each = 4, 12
    apps = [ChannelApplication(roles) for _ in range(writers)]
    done = threading.Event()
    seen: list[int] = []
    gaps: list[tuple[int, list[int]]] = []

    def tail() -> None:
        while True:
            finished = done.is_set()
            batch = [n.id for n in channel.recorder.select_notifications(start=len(seen) + 1, limit=1000)]
            if batch != list(range(len(seen) + 1, len(seen) + 1 + len(batch))):
                gaps.append((len(seen), batch))
                return
            seen.extend(batch)
            if finished:
                return

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=register_hospitals, args=(app, each)) for app in apps]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        done.set()
        reader.join()
        for app in apps:
            app.close()
    assert not gaps, f"after position {gaps[0][0]} the reader saw {gaps[0][1][:10]}"
    assert seen == list(range(1, writers * each + 1))
    assert verify(stored_rows(roles.database_url, channel.schema, EVENTS), [], "unused").intact  # chained in order


def test_the_owner_drops_a_namespace_with_what_the_application_made_in_it(roles, channel, directory):
    """A rebuild's schemas belong to the application role; the owner, a member of it, drops them with the rest."""
    shadow = f"{channel.schema}__rebuild_test"
    create_application_schema(Roles.of(roles), shadow)
    with psycopg.connect(roles.database_url) as conn:
        conn.execute(f"CREATE TABLE {shadow}.t (x int)")
    assert owners(roles.database_url, shadow) == {"": role_name(roles.database_url), "t": role_name(roles.database_url)}
    channel.close()
    asyncio.run(drop_namespace(roles))
    with psycopg.connect(roles.database_url) as conn:
        left = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                            (roles.namespace.replace("_", r"\_") + "%",)).fetchall()
    assert left == []
