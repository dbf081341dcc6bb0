"""Heartbeats: relays and workers say, every few seconds, that they are running and how far behind they are.

An API's /ready and /metrics read them: the API process cannot see the other processes of its service,
but it can see their heartbeats in the service's schema.
"""

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.platform.settings import Settings
from shared.platform.db import Roles, ddl_lock

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0
STALE_AFTER_SECONDS = 10.0


def heartbeat_table_ddl(schema: str) -> sql.Composable:
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {}.heartbeats (process text PRIMARY KEY, pid int NOT NULL,"
        " detail jsonb NOT NULL DEFAULT '{{}}', beat_at timestamptz NOT NULL DEFAULT now())"
    ).format(sql.Identifier(schema))


def beat(conn: psycopg.Connection, schema: str, process: str, detail: dict[str, Any]) -> None:
    conn.execute(
        sql.SQL("INSERT INTO {}.heartbeats (process, pid, detail) VALUES (%s, %s, %s)"
                " ON CONFLICT (process) DO UPDATE SET pid = EXCLUDED.pid, detail = EXCLUDED.detail, beat_at = now()"
                ).format(sql.Identifier(schema)),
        (process, os.getpid(), json.dumps(detail)),
    )


async def keep_beating(settings: Settings, schema: str, process: str,
                       detail: Callable[[], Awaitable[dict[str, Any]]], stop: asyncio.Event) -> None:
    """Beat until stopped; a database outage only pauses the heartbeats (the readers see them go stale)."""
    while not stop.is_set():
        try:
            facts = await detail()
            await asyncio.to_thread(_beat_once, Roles.of(settings), schema, process, facts)
        except psycopg.errors.InvalidSchemaName:
            # A worker beats before its consumers have created the service's schema (first start): no beat yet,
            # and nothing to warn about; the readers report the process as never seen until the next one lands.
            log.debug("schema %s not created yet; %s beats once it is", schema, process)
        except Exception:  # noqa: BLE001 - a missed beat is what readers are meant to notice
            log.warning("heartbeat of %s failed", process, exc_info=True)
        try:
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL_SECONDS)
        except TimeoutError:
            pass


_tables_made: set[tuple[str, str]] = set()


def _beat_once(roles: Roles, schema: str, process: str, facts: dict[str, Any]) -> None:
    if (roles.app, schema) not in _tables_made:
        # Under the schema's DDL lock: a service's processes start together, and two CREATE TABLE IF NOT EXISTS at
        # once can both try to create the row type (UniqueViolation on pg_type). The application role makes and owns
        # the table (it updates its rows); the lock makes the schema first if need be.
        with ddl_lock(roles, schema), psycopg.connect(roles.app, autocommit=True) as conn:
            conn.execute(heartbeat_table_ddl(schema))
        _tables_made.add((roles.app, schema))
    with psycopg.connect(roles.app, autocommit=True) as conn:
        beat(conn, schema, process, facts)


def read_heartbeats(pool: ConnectionPool, schema: str) -> dict[str, dict[str, Any]]:
    """process -> {age_seconds, detail}; empty when nothing has beaten yet."""
    with pool.connection() as conn:
        try:
            rows = conn.execute(sql.SQL("SELECT process, detail, extract(epoch FROM now() - beat_at) AS age"
                                        " FROM {}.heartbeats").format(sql.Identifier(schema))).fetchall()
        except psycopg.errors.UndefinedTable:
            conn.rollback()
            return {}
    return {r["process"]: {"age_seconds": float(r["age"]), "detail": r["detail"]} for r in rows}
