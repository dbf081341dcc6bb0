"""PostgreSQL connections for read models and projections (the write side uses eventsourcing's own pool)."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.platform.settings import Settings


def new_pool(settings: Settings, *, max_size: int = 5, name: str = "erp", prepare: bool = True) -> ConnectionPool:
    """`prepare=False` for readers of read models: a rebuild may swap a table for one of another shape,
    and PostgreSQL refuses a statement prepared against the old one ("cached plan must not change")."""
    pool = ConnectionPool(
        settings.database_url,
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


@contextmanager
def ddl_lock(database_url: str, schema: str) -> Iterator[None]:
    """Serialise table creation in a schema across processes.

    CREATE ... IF NOT EXISTS is not safe when two processes run it at once (both may try to create
    the row type and one fails), and a service's api, relay and worker all start together.
    """
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"ddl:{schema}",))
        try:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"ddl:{schema}",))
