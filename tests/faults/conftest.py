"""Fault tests: the whole system as processes, under load, while its parts are killed or taken away.

FAULTS_ROUNDS sets how many times each fault is repeated: small by default, so that `make test` stays short;
`make test-faults` runs the long form.
"""

import asyncio
import os
from collections.abc import Iterator

import pytest

from shared.platform.namespace import drop_namespace
from shared.platform.settings import Settings
from shared.platform.stack import Stack
from tests.faults.servers import ThrowawayKafka, ThrowawayPostgres
from tests.faults.system import fault_settings, new_stack

ROUNDS = int(os.environ.get("FAULTS_ROUNDS", "2"))


@pytest.fixture
def rounds() -> int:
    return ROUNDS


@pytest.fixture
def own_kafka() -> Iterator[ThrowawayKafka]:
    with ThrowawayKafka() as broker:
        yield broker


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres() as server:
        yield server


@pytest.fixture
def shared_settings(infrastructure) -> Iterator[Settings]:  # noqa: ANN001
    """A namespace of its own on the shared servers (which these tests never stop)."""
    settings = fault_settings(infrastructure.database_url, infrastructure.kafka_bootstrap_servers,
                              infrastructure.database_owner_url, infrastructure.auditor_database_url)
    yield settings
    asyncio.run(drop_namespace(settings))


@pytest.fixture
def system(shared_settings: Settings, tmp_path) -> Iterator[Stack]:  # noqa: ANN001
    stack = new_stack(shared_settings, tmp_path / "logs")
    yield stack
    stack.stop_all()
