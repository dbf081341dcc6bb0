"""Lists page and filter the same way everywhere: ?limit=&offset=, answered with the total."""

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

T = TypeVar("T")


class Several(tuple):
    """The values of a `where` condition with several %s (a data scope's "hospital = ANY(%s) OR ..."), in order."""


class PageRequest(BaseModel):
    limit: int
    offset: int


def page_request(
    limit: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="rows to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Paging = Annotated[PageRequest, Depends(page_request)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, row: type[T], found: tuple[list[dict], int], paging: PageRequest) -> "Page[T]":
        """A page of `row` models from what a query found: (rows, total)."""
        rows, total = found
        return cls[row](items=[row(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


def fetch_page(pool: ConnectionPool, table: str, paging: PageRequest, *, where: dict[str, object], order_by: str,
               columns: str = "*") -> tuple[list[dict], int]:
    """Rows of a read-model table for one page, and the total that match.

    `where` maps an SQL condition with one %s to its value (or with several to `Several` values); conditions whose
    value is None are left out.
    """
    chosen = {condition: value for condition, value in where.items() if value is not None}
    condition = " AND ".join(chosen) or "true"
    args = [arg for value in chosen.values() for arg in (value if isinstance(value, Several) else (value,))]
    with pool.connection() as conn:
        total = conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {condition}", args).fetchone()["n"]
        rows = conn.execute(f"SELECT {columns} FROM {table} WHERE {condition} ORDER BY {order_by} LIMIT %s OFFSET %s",
                            [*args, paging.limit, paging.offset]).fetchall()
    return rows, total
