"""What /ready and /metrics report about a service: its database, its broker, its relay and its worker."""

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.platform.audit import events_table
from shared.platform.heartbeat import STALE_AFTER_SECONDS, read_heartbeats
from shared.platform.settings import Settings

log = logging.getLogger(__name__)


class BrokerWatch:
    """Checks every few seconds that Kafka answers, so /ready never waits on the broker itself."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reachable = False
        self.error = "not checked yet"

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers, request_timeout_ms=3000)
            try:
                await asyncio.wait_for(admin.start(), timeout=5)
                await asyncio.wait_for(admin.list_topics(), timeout=5)
                self.reachable, self.error = True, ""
            except Exception as e:  # noqa: BLE001 - whatever it is, the broker is not usable now
                self.reachable, self.error = False, f"{type(e).__name__}: {e}"
            finally:
                with contextlib.suppress(Exception):
                    await admin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5)


def readiness(pool: ConnectionPool, schema: str, broker: BrokerWatch) -> dict[str, Any]:
    """Each check and whether it passed; ready only if all did."""
    checks: dict[str, Any] = {}
    try:
        with pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")
        checks["database"] = {"ok": True}
        beats = read_heartbeats(pool, schema)
    except Exception as e:  # noqa: BLE001
        checks["database"] = {"ok": False, "error": str(e)}
        beats = {}
    checks["kafka"] = {"ok": broker.reachable, **({"error": broker.error} if broker.error else {})}
    for process in ("relay", "worker"):
        beat = beats.get(process)
        fresh = beat is not None and beat["age_seconds"] < STALE_AFTER_SECONDS
        checks[process] = {"ok": fresh, **({"last_seen_seconds_ago": round(beat["age_seconds"], 1)} if beat else
                                            {"error": "never seen"})}
    relay = beats.get("relay", {}).get("detail", {})
    if checks["relay"]["ok"] and not relay.get("active"):
        checks["relay"] = {"ok": False, "error": "only a standby relay is running"}
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}


class ServiceMetrics(Collector):
    """Gauges read at scrape time from the service's own tables (so every API replica reports the same)."""

    def __init__(self, service: str, schema: str, pool: ConnectionPool) -> None:
        self.service, self.schema, self.pool = service, schema, pool

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stored = GaugeMetricFamily("erp_events_stored", "newest position in the service's event log", labels=["service"])
        published = GaugeMetricFamily("erp_events_published", "position the relay has published up to", labels=["service"])
        lag = GaugeMetricFamily("erp_consumer_lag", "events behind the topic heads, per consumer",
                                labels=["service", "consumer"])
        dead = GaugeMetricFamily("erp_dead_letters", "dead-lettered events by status", labels=["service", "status"])
        try:
            with self.pool.connection(timeout=2) as conn:
                stored.add_metric([self.service], self._scalar(conn, "SELECT coalesce(max(notification_id), 0) AS v FROM {}.{}",
                                                               events_table(self.service)))
                published.add_metric([self.service], self._scalar(conn, "SELECT coalesce(max(position), 0) AS v FROM {}.{}",
                                                                  "relay_positions"))
                for status, count in self._dead_letters(conn):
                    dead.add_metric([self.service, status], count)
            worker = read_heartbeats(self.pool, self.schema).get("worker", {}).get("detail", {})
            for consumer, facts in worker.get("consumers", {}).items():
                if facts.get("lag") is not None:
                    lag.add_metric([self.service, consumer], facts["lag"])
        except Exception:  # noqa: BLE001 - a scrape must never fail the API; the gauges are simply absent
            log.warning("metrics of %s could not be read", self.service, exc_info=True)
        yield from (stored, published, lag, dead)

    def _scalar(self, conn: psycopg.Connection, query: str, table: str) -> float:
        try:
            with conn.transaction():
                return float(conn.execute(sql.SQL(query).format(sql.Identifier(self.schema), sql.Identifier(table)))
                             .fetchone()["v"])
        except psycopg.errors.UndefinedTable:
            return 0.0

    def _dead_letters(self, conn: psycopg.Connection) -> list[tuple[str, int]]:
        try:
            with conn.transaction():
                rows = conn.execute(sql.SQL("SELECT status, count(*) AS n FROM {}.dead_letters GROUP BY status").format(
                    sql.Identifier(self.schema))).fetchall()
        except psycopg.errors.UndefinedTable:
            return []
        return [(r["status"], r["n"]) for r in rows]
