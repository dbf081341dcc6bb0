"""A service's read models as its queries read them: the pool (no prepared statements: a rebuild may swap a table
for one of another shape) and the service's schema. Queries live in each service's `queries` module, never in
routes."""

from dataclasses import dataclass
from typing import Any

from psycopg_pool import ConnectionPool

from shared.platform.paging import PageRequest, fetch_page


@dataclass(frozen=True)
class ReadModels:
    pool: ConnectionPool
    schema: str

    def table(self, name: str) -> str:
        return f"{self.schema}.{name}"

    def page(self, tables: str, paging: PageRequest, *, where: dict[str, object], order_by: str,
             columns: str = "*") -> tuple[list[dict], int]:
        """One page of rows of `tables` (a table, or a join; `{schema}` is replaced) and the total that match."""
        return fetch_page(self.pool, tables.format(schema=self.schema), paging, where=where, order_by=order_by,
                          columns=columns)

    def all(self, query: str, args: tuple | dict = ()) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            return conn.execute(query.format(schema=self.schema), args).fetchall()

    def report(self, query: str, args: tuple | dict = ()) -> list[dict[str, Any]]:
        """Like `all`, for a query that groups a large share of a table (an aging report): PostgreSQL's JIT
        compilation costs such a query more than it saves (measured: 1.2-1.9 s of a 2 s report), and a larger
        work_mem keeps its sort in memory."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SET LOCAL jit = off")
            conn.execute("SET LOCAL work_mem = '64MB'")
            return conn.execute(query.format(schema=self.schema), args).fetchall()

    def one(self, query: str, args: tuple | dict = ()) -> dict[str, Any] | None:
        with self.pool.connection() as conn:
            return conn.execute(query.format(schema=self.schema), args).fetchone()
