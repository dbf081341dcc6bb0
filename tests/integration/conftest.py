"""Fixtures the integration tests share: the channel application (the simplest producer) and a pool."""

import pytest

from services.channel.application import ChannelApplication


@pytest.fixture
def channel(settings):
    app = ChannelApplication(settings)
    yield app
    app.close()

