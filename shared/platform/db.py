"""PostgreSQL connections for read models and projections (the write side uses eventsourcing's own pool), and the
database roles they connect as (README, "Database roles").

Three roles, when DATABASE_OWNER_URL names an owner apart from DATABASE_URL:
- the owner runs DDL: it creates and owns each service's schema and event table with the triggers that keep the
  events immutable. Owning them is what allows ALTER TABLE ... DISABLE TRIGGER, so no service connects as it.
- the application (DATABASE_URL), which every process connects as: it reads and appends events, and creates and
  owns the tables it must change anyway (read models, positions, claims, idempotency keys, dead letters,
  heartbeats).
- the auditor (AUDITOR_DATABASE_URL): SELECT only.
Without DATABASE_OWNER_URL, DDL runs on DATABASE_URL, as on a server where no roles were set up.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.platform.settings import Settings


@dataclass(frozen=True)
class Roles:
    """The connection strings of the three roles; the same string twice means one role does both jobs."""

    app: str
    owner: str
    auditor: str

    @classmethod
    def of(cls, settings: Settings) -> "Roles":
        # `or`, not `is None`: an empty variable (as a test gives a subprocess to undo an inherited one) is unset.
        return cls(app=settings.database_url, owner=settings.database_owner_url or settings.database_url,
                   auditor=settings.auditor_database_url or settings.database_url)

    @classmethod
    def single(cls, database_url: str) -> "Roles":
        return cls(database_url, database_url, database_url)


@lru_cache
def role_name(database_url: str) -> str:
    """The role a connection string logs in as (its user may be implicit: PGUSER, the OS user)."""
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT current_user").fetchone()[0]


class Pool(ConnectionPool):
    """A pool of the application role that knows the roles beside it: a projection's `setup` creates its schema
    (if missing) as the owner, its tables through the pool."""

    def __init__(self, *args: Any, roles: Roles, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = roles


def new_pool(settings: Settings, *, max_size: int = 5, name: str = "erp", prepare: bool = True) -> Pool:
    """`prepare=False` for readers of read models: a rebuild may swap a table for one of another shape,
    and PostgreSQL refuses a statement prepared against the old one ("cached plan must not change")."""
    return _open_pool(settings.database_url, Roles.of(settings), max_size=max_size, name=name, prepare=prepare)


def _open_pool(conninfo: str, roles: Roles, *, max_size: int, name: str, prepare: bool = True) -> Pool:
    pool = Pool(
        conninfo,
        roles=roles,
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row, **({} if prepare else {"prepare_threshold": None})},
        check=ConnectionPool.check_connection,
        name=name,
        open=False,
        timeout=5,
    )
    pool.open(wait=False)
    return pool


_auditor_pools: dict[str, Pool] = {}
_auditor_pools_lock = threading.Lock()


def auditor_pool(settings: Settings) -> Pool | None:
    """A pool of the read-only auditor role (one per process, opened on first use), or None when AUDITOR_DATABASE_URL
    is unset and the auditor reads as the application."""
    if not settings.auditor_database_url:
        return None
    url = settings.auditor_database_url
    with _auditor_pools_lock:
        if url not in _auditor_pools:
            _auditor_pools[url] = _open_pool(url, Roles.of(settings), max_size=2, name="auditor", prepare=False)
        return _auditor_pools[url]


def roles_of(pool: ConnectionPool) -> Roles:
    """The roles beside a pool; a pool not made by `new_pool` runs its DDL itself."""
    return pool.roles if isinstance(pool, Pool) else Roles.single(pool.conninfo)


def schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


def grant_schema(conn: psycopg.Connection, schema: str, roles: Roles) -> None:
    """On `conn` (the owner): what the application and the auditor may do in the owner's schema `schema`.

    The application may create its own tables there (USAGE, CREATE), not touch the owner's; the auditor may look
    (USAGE). Tables the application creates, here or anywhere, are readable by the auditor (default privileges:
    not per schema, because a rebuild makes a projection's tables in a schema of its own and moves them here).
    """
    owner = conn.execute("SELECT current_user").fetchone()[0]
    app, auditor = role_name(roles.app), role_name(roles.auditor)
    s = sql.Identifier(schema)
    if app != owner:
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(s, sql.Identifier(app)))
    if auditor not in (owner, app):
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, sql.Identifier(auditor)))
        # One catalog row per creator serves every schema, and the services make their schemas at the same time:
        # updated at once, it fails ("tuple concurrently updated"), so under a lock of its own, and only if missing.
        conn.execute("SELECT pg_advisory_lock(hashtext('ddl:default-privileges'))")
        try:
            for creator in {owner, app}:
                if not _auditor_reads_tables_of(conn, creator, auditor):
                    # FOR ROLE app needs the owner to be a member of the application role (README, "Database roles").
                    conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT SELECT ON TABLES TO {}").format(
                        sql.Identifier(creator), sql.Identifier(auditor)))
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('ddl:default-privileges'))")


def _auditor_reads_tables_of(conn: psycopg.Connection, creator: str, auditor: str) -> bool:
    """Whether tables `creator` makes from now on are readable by `auditor` (database-wide default privileges)."""
    return conn.execute(
        "SELECT 1 FROM pg_default_acl d, aclexplode(d.defaclacl) a"
        " WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = %s) AND d.defaclnamespace = 0"
        " AND d.defaclobjtype = 'r' AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)"
        " AND a.privilege_type = 'SELECT'", (creator, auditor)).fetchone() is not None


def create_application_schema(roles: Roles, schema: str) -> None:
    """A schema the application role owns, for what only it uses (a rebuild's shadow and retired tables): it may
    drop it. Created by the owner, since the application role may not create schemas (CREATE on the database)."""
    with psycopg.connect(roles.owner, autocommit=True) as conn:
        if not schema_exists(conn, schema):
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                sql.Identifier(schema), sql.Identifier(role_name(roles.app))))


@contextmanager
def ddl_lock(roles: Roles, schema: str) -> Iterator[psycopg.Connection]:
    """Serialise table creation in a schema across processes; yields the owner's connection (autocommit), having
    created the schema (with the other roles' grants) if it did not exist.

    CREATE ... IF NOT EXISTS is not safe when two processes run it at once (both may try to create
    the row type and one fails), and a service's api, relay and worker all start together.
    """
    with psycopg.connect(roles.owner, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"ddl:{schema}",))
        try:
            # Checked first: CREATE SCHEMA IF NOT EXISTS demands CREATE on the database even when the schema exists.
            if not schema_exists(conn, schema):
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                grant_schema(conn, schema, roles)
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"ddl:{schema}",))
