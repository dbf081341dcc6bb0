"""Where the tests find PostgreSQL and Kafka, and a fresh namespace (schemas + topics) per test.

When a Docker engine answers (the engine, not just the CLI), testcontainers start both; otherwise
the project's own local servers are used (`make test` starts them), or those named by
DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS. Under `make test` DATABASE_URL is the application role and
DATABASE_OWNER_URL, AUDITOR_DATABASE_URL the owner and auditor (README "Database roles"), so the tests run
with the privileges the services have; without them (a container, or DATABASE_URL alone) one role does all.
"""

import asyncio
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from psycopg_pool import ConnectionPool

from shared.platform.db import new_pool
from shared.platform.namespace import drop_namespace
from shared.platform.settings import SERVICES, Settings, get_settings


@dataclass(frozen=True)
class Infrastructure:
    database_url: str
    kafka_bootstrap_servers: str
    database_owner_url: str | None = None  # None: DDL runs as database_url's role
    auditor_database_url: str | None = None


def docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:  # noqa: BLE001 - no engine, no socket, no permission: all mean "not available"
        return False
    return True


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    if docker_engine_answers():
        from testcontainers.community.kafka import KafkaContainer
        from testcontainers.community.postgres import PostgresContainer

        # testcontainers' Kafka module drives Confluent's image; cp-kafka 8.1 is Apache Kafka 4.1 in KRaft mode.
        kafka_image = "confluentinc/cp-kafka:8.1.0"
        with PostgresContainer("postgres:15", driver=None) as pg, KafkaContainer(kafka_image).with_kraft() as kafka:
            yield Infrastructure(pg.get_connection_url(), kafka.get_bootstrap_server())
        return
    defaults = Settings()
    yield Infrastructure(
        os.environ.get("DATABASE_URL", defaults.database_url),
        os.environ.get("KAFKA_BOOTSTRAP_SERVERS", defaults.kafka_bootstrap_servers),
        os.environ.get("DATABASE_OWNER_URL") or None,
        os.environ.get("AUDITOR_DATABASE_URL") or None,
    )


@pytest.fixture
def settings(infrastructure: Infrastructure, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with a namespace of their own; also what get_settings() answers during the test."""
    env = {
        "ERP_ENV": "test",
        "ERP_NAMESPACE": f"t{uuid.uuid4().hex[:8]}_",
        "DATABASE_URL": infrastructure.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "POLL_INTERVAL_SECONDS": "0.02",
        # The suites written before hospitals' practice licences were checked register hospitals without one (as a
        # migration would, HOSPITAL_LICENCE_REQUIRED=false); a lapsed licence on record is refused all the same.
        # Unit tests and the order desk's e2e test check the rule as production runs it (the default, true).
        "HOSPITAL_LICENCE_REQUIRED": "false",
        "DISTRIBUTOR_AUTHORIZATION_REQUIRED": "false",  # likewise distributors without an authorization on record
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key, value in (("DATABASE_OWNER_URL", infrastructure.database_owner_url),
                       ("AUDITOR_DATABASE_URL", infrastructure.auditor_database_url)):
        if value:
            monkeypatch.setenv(key, value)
        else:  # e.g. a container: roles named in the environment would be another server's
            monkeypatch.delenv(key, raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    yield settings
    get_settings.cache_clear()
    asyncio.run(drop_namespace(settings))


@pytest.fixture
def pool(settings: Settings) -> Iterator[ConnectionPool]:
    """A connection pool into this test's database (read models, positions)."""
    pool = new_pool(settings, name="tests")
    yield pool
    pool.close()


def service_env(settings: Settings) -> dict[str, str]:
    """The environment a service process needs to join this test's namespace."""
    return {
        "ERP_ENV": settings.environment,
        "ERP_NAMESPACE": settings.namespace,
        "DATABASE_URL": settings.database_url,
        # Empty rather than absent: a process inherits the environment, and unset roles must stay unset.
        "DATABASE_OWNER_URL": settings.database_owner_url or "",
        "AUDITOR_DATABASE_URL": settings.auditor_database_url or "",
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "POLL_INTERVAL_SECONDS": str(settings.poll_interval_seconds),
        "HOSPITAL_LICENCE_REQUIRED": str(settings.hospital_licence_required).lower(),
        "DISTRIBUTOR_AUTHORIZATION_REQUIRED": str(settings.distributor_authorization_required).lower(),
    }


__all__ = ["SERVICES", "Infrastructure", "service_env"]
