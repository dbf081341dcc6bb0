"""Fixtures the integration tests share: the channel application (the simplest producer) and a pool."""

import pytest

from services.channel.application import ChannelApplication
from shared.platform.db import new_pool


@pytest.fixture
def channel(settings):
    app = ChannelApplication(settings)
    yield app
    app.close()


@pytest.fixture
def pool(settings):
    pool = new_pool(settings, name="integration-tests")
    yield pool
    pool.close()
