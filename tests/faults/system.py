"""The system under faults: all services as processes in a namespace of their own, the traffic of the load
generator (bench/load.py) with clients that retry as real ones do, and the checks every fault test ends with.
"""

import asyncio
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bench.load import LagWatcher, Traffic, bearer, seed
from shared.platform.catalog import projections
from shared.platform.rebuild import Rebuild, projection_tables
from shared.platform.settings import SERVICES, Settings
from shared.platform.stack import Stack
from tests.faults.servers import free_port

import httpx


def fault_settings(database_url: str, kafka_bootstrap_servers: str, owner_url: str | None = None,
                   auditor_url: str | None = None) -> Settings:
    # The roles are always given, empty for none: those in the environment may be another server's (README "Database
    # roles"); a throwaway server is used as its superuser.
    return Settings(ERP_ENV="test", ERP_NAMESPACE=f"f{uuid.uuid4().hex[:8]}_", DATABASE_URL=database_url,
                    DATABASE_OWNER_URL=owner_url or "", AUDITOR_DATABASE_URL=auditor_url or "",
                    KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap_servers, POLL_INTERVAL_SECONDS=0.02)


def new_stack(settings: Settings, log_dir: Path, services: tuple[str, ...] = SERVICES) -> Stack:
    env = {"ERP_ENV": "test", "ERP_NAMESPACE": settings.namespace, "DATABASE_URL": settings.database_url,
           "DATABASE_OWNER_URL": settings.database_owner_url or "",
           "AUDITOR_DATABASE_URL": settings.auditor_database_url or "",
           "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "POLL_INTERVAL_SECONDS": str(settings.poll_interval_seconds),
           # Picking by scan and customers' licences are not what these tests are about (the load's seed records
           # licences and authorizations all the same; a few tests register a hospital of their own).
           "INVENTORY_PICKING_REQUIRED": "false", "HOSPITAL_LICENCE_REQUIRED": "false",
           "DISTRIBUTOR_AUTHORIZATION_REQUIRED": "false"}
    return Stack(env=env, log_dir=log_dir, ports={s: free_port() for s in services})


def client() -> httpx.AsyncClient:
    # A generous timeout: a command must be answered or refused, and a client that gave up too early would
    # count a slow success as a failure. The tests that look for hangs set their own.
    return httpx.AsyncClient(headers=bearer(), timeout=30,
                             limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))


async def seeded_traffic(http: httpx.AsyncClient, stack: Stack, settings: Settings, *, hospitals: int = 12,
                         items: int = 6) -> Traffic:
    urls = {s: stack.url(s) for s in stack.ports}
    seeded = await seed(http, urls, settings, hospitals=hospitals, items=items)
    return Traffic(http, urls, seeded, LagWatcher(settings, poll_seconds=0.05), max_attempts=12, sellout_share=0.2)


def _rows(conn: psycopg.Connection, schema: str, table: str) -> list[tuple]:
    rows = conn.execute(sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))).fetchall()
    return sorted(rows, key=repr)


def snapshot(settings: Settings, schema: str, tables: list[str]) -> dict[str, list[tuple]]:
    with psycopg.connect(settings.database_url) as conn:
        return {table: _rows(conn, schema, table) for table in tables}


async def differences_from_rebuilds(settings: Settings, services: tuple[str, ...] = SERVICES) -> dict[str, dict]:
    """Rebuild every read model of the services from its topics (`erp projections rebuild`) and compare with what
    the live worker had built: {projection: {table: (live rows, rebuilt rows)}} for each that differs."""
    differences = {}
    for entry in [e for e in projections(settings) if e.service in services]:
        tables = projection_tables(entry.projection(None))
        live = await asyncio.to_thread(snapshot, settings, entry.schema, tables)
        assert await Rebuild(entry, settings).run(), f"the rebuild of {entry.name} did not finish"
        rebuilt = await asyncio.to_thread(snapshot, settings, entry.schema, tables)
        differing = {t: (len(live[t]), len(rebuilt[t])) for t in tables if live[t] != rebuilt[t]}
        if differing:
            differences[entry.name] = {t: {"live_rows": n, "rebuilt_rows": m,
                                           "only_live": [r for r in live[t] if r not in rebuilt[t]][:3],
                                           "only_rebuilt": [r for r in rebuilt[t] if r not in live[t]][:3]}
                                       for t, (n, m) in differing.items()}
    return differences


def acknowledged_but_missing(settings: Settings, traffic: Traffic) -> dict[str, list[str]]:
    """Acknowledged (2xx) commands whose effect is not in the read models: orders placed must be listed,
    dispatched orders must be shipped, invoiced and traced to their lots, sell-out reports recorded."""
    placed = sorted(traffic.acknowledged["place_order"])
    dispatched = sorted(traffic.acknowledged["dispatch"])
    reported = sorted(f"SO-{order_id}" for order_id in traffic.acknowledged["sellout_report"])
    checks = {
        "placed orders in order_list": (placed, "SELECT order_id::text FROM {}.order_list", "order"),
        "dispatched orders shipped in order_list": (
            dispatched, "SELECT order_id::text FROM {}.order_list WHERE status = 'shipped'", "order"),
        "dispatched orders invoiced": (dispatched, "SELECT order_id::text FROM {}.invoice_list", "billing"),
        "dispatched orders traced": (dispatched, "SELECT DISTINCT order_id::text FROM {}.shipped_lots", "traceability"),
        "sell-out reports recorded": (reported, "SELECT report_reference FROM {}.sellout_reports", "traceability"),
    }
    missing = {}
    with psycopg.connect(settings.database_url) as conn:
        for name, (expected, query, service) in checks.items():
            present = {r[0] for r in conn.execute(sql.SQL(query).format(sql.Identifier(settings.schema_for(service))))}
            if absent := [i for i in expected if i not in present]:
                missing[name] = absent
    return missing


def invoices_per_order(settings: Settings) -> int:
    """The most invoices any order has: a shipment invoiced twice would show here."""
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(sql.SQL("SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM {}.invoice_list"
                                    " GROUP BY order_id) c").format(sql.Identifier(settings.schema_for("billing")))
                            ).fetchone()[0]


def dead_letters(settings: Settings) -> int:
    total = 0
    with psycopg.connect(settings.database_url) as conn:
        for service in SERVICES:
            try:
                with conn.transaction():
                    total += conn.execute(sql.SQL("SELECT count(*) FROM {}.dead_letters").format(
                        sql.Identifier(settings.schema_for(service)))).fetchone()[0]
            except psycopg.errors.UndefinedTable:
                pass
    return total
