"""Fixtures the integration tests share: the channel application (the simplest producer), and each service's
API in-process (its start-up creates its pools, application and read-model tables in the test's namespace)."""


import pytest
from fastapi.testclient import TestClient

from services.channel.application import ChannelApplication
from tests.apps import web_app


@pytest.fixture
def channel(settings):
    app = ChannelApplication(settings)
    yield app
    app.close()



def _api(service: str):  # noqa: ANN202 - a pytest fixture
    @pytest.fixture
    def client(settings):  # noqa: ANN001, ANN202
        with TestClient(web_app(service)) as api:
            yield api

    return client


channel_api = _api("channel")
order_api = _api("order")
inventory_api = _api("inventory")
trace_api = _api("traceability")
billing_api = _api("billing")
