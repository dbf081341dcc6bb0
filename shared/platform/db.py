"""PostgreSQL connections for read models and projections (the write side uses eventsourcing's own pool)."""

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.platform.settings import Settings


def new_pool(settings: Settings, *, max_size: int = 5, name: str = "erp") -> ConnectionPool:
    pool = ConnectionPool(
        settings.database_url,
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row},
        check=ConnectionPool.check_connection,
        name=name,
        open=False,
        timeout=5,
    )
    pool.open(wait=False)
    return pool
