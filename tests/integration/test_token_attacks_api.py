"""Every bad bearer token, sent to a real route of a running service (the order API in-process), is a 401 with a
problem+json body: never a 500, never the data. The identity provider is tests/oidc_provider.py's, with its JWKS."""

from collections.abc import Iterator

import pytest

from shared.platform.auth import issue_token
from shared.platform.problems import PROBLEM_JSON
from shared.platform.settings import get_settings
from tests.oidc_provider import ATTACKS, FakeProvider


@pytest.fixture
def provider(settings, monkeypatch) -> Iterator[FakeProvider]:
    """The provider, and the services told to trust it (they read get_settings() per request)."""
    provider = FakeProvider()
    for key, value in provider.env().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield provider
    provider.close()


def test_every_bad_token_is_a_401_problem(provider, order_api):
    def answer(token: str) -> tuple[int, str]:
        response = order_api.get("/orders", headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.headers["content-type"]

    # The route works for a good token of the provider and a local one, so the 401s below are the tokens' doing.
    assert answer(provider.token(provider.claims(realm_access={"roles": ["order_desk"]}, erp_scopes=None)))[0] == 200
    assert answer(issue_token("olivia", ["order_desk"]))[0] == 200
    # A huge token never reaches verification over HTTP: the request guard refuses headers above 16 KiB first.
    expected = {name: (431 if name == "huge_header" else 401, PROBLEM_JSON) for name in ATTACKS}
    got = {name: answer(make(provider)) for name, make in ATTACKS.items()}
    assert {name: status for name, status in got.items() if status != expected[name]} == {}


def test_no_token_or_another_scheme_is_a_401_problem(provider, order_api):
    for headers in ({}, {"Authorization": "Basic b2xpdmlhOnNlY3JldA=="}, {"Authorization": "Bearer"}):
        response = order_api.get("/orders", headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (401, PROBLEM_JSON), headers


def test_a_local_token_is_a_401_in_production(provider, order_api, monkeypatch):
    local = issue_token("mallory", ["admin"])
    monkeypatch.setenv("ERP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "a-real-production-secret-of-32-chars-or-more")
    monkeypatch.setenv("AUDIT_SIGNING_KEY", "cHJvZHVjdGlvbi1hdWRpdC1rZXktMzItYnl0ZXMhISE=")
    get_settings.cache_clear()
    response = order_api.get("/orders", headers={"Authorization": f"Bearer {local}"})
    assert (response.status_code, response.headers["content-type"]) == (401, PROBLEM_JSON)
    assert "production" in response.json()["detail"]


def test_an_unreachable_provider_is_a_503_problem(provider, order_api):
    provider.failing = True
    response = order_api.get("/orders", headers={"Authorization": f"Bearer {provider.token()}"})
    assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM_JSON)
    assert response.headers["retry-after"]
