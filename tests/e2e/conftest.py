"""End-to-end: the services run as real processes (as `make run` starts them), driven over HTTP."""

import socket
from collections.abc import Iterator

import httpx
import pytest

from shared.platform.auth import issue_token
from shared.platform.settings import SERVICES
from shared.platform.stack import Stack
from tests.conftest import service_env
from tests.items import SETUP_ROLES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stack(settings, tmp_path) -> Iterator[Stack]:
    stack = Stack(env=service_env(settings), log_dir=tmp_path / "logs", ports={s: free_port() for s in SERVICES})
    yield stack
    stack.stop_all()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    token = issue_token("e2e-tester", SETUP_ROLES)
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
        yield client
