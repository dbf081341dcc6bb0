"""End to end with a real identity provider: Keycloak (scripts/keycloak.sh, realm deploy/keycloak/erp-realm.json)
issues access tokens by the password grant, and the services take them with the person's roles and data scopes.

The first run downloads Keycloak (about 170 MB) and builds it (about 40 s); later starts take about 15 s.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from shared.platform.auth import verify_token
from shared.platform.problems import PROBLEM_JSON, Problem
from shared.platform.settings import Settings, get_settings
from tests.apps import web_app

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "keycloak.sh"
AUDIENCE = "erp-services"  # the realm's confidential client, which the erp-cli client's audience mapper names
DORA_SCOPE = "distributor:3f0c8a52-6d1e-4b7a-9c2d-8e5f1a0b4c6d"


def _script(command: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def keycloak_issuer() -> Iterator[str]:
    """Keycloak's erp realm: started for these tests and stopped after them (its 512 MB and threads are not kept
    through the rest of the suite), unless one of this clone already runs, which is left running."""
    already_running = _script("status").returncode == 0
    if not already_running:
        started = _script("start", timeout=900)
        assert started.returncode == 0, f"scripts/keycloak.sh start failed:\n{started.stdout}\n{started.stderr}"
    yield _script("issuer").stdout.strip()
    if not already_running:
        _script("stop", timeout=60)


@pytest.fixture
def oidc_settings(keycloak_issuer) -> Settings:
    return Settings(ERP_ENV="test", OIDC_ISSUER=keycloak_issuer, OIDC_AUDIENCE=AUDIENCE)


def password_token(issuer: str, username: str, client_id: str = "erp-cli") -> str:
    """An access token by the direct (password) grant; the realm file's passwords are <username>-local."""
    response = httpx.post(f"{issuer}/protocol/openid-connect/token", timeout=30, data={
        "grant_type": "password", "client_id": client_id, "username": username, "password": f"{username}-local"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_roles_from_groups_and_scopes_from_attributes_come_through(oidc_settings, keycloak_issuer):
    olivia = verify_token(password_token(keycloak_issuer, "olivia"), oidc_settings)
    # olivia has no role of her own: order_desk comes from her group, which Keycloak folds into realm_access.roles.
    assert "order_desk" in olivia.roles
    assert (olivia.name, olivia.scopes) == ("Olivia Order", [])

    dora = verify_token(password_token(keycloak_issuer, "dora"), oidc_settings)
    assert "distributor_user" in dora.roles
    assert dora.scopes == [DORA_SCOPE]

    # A multivalued attribute, in Chinese: both values, as the strings the provider holds.
    sam = verify_token(password_token(keycloak_issuer, "sam"), oidc_settings)
    assert "order_supervisor" in sam.roles
    assert sorted(sam.scopes) == sorted(["region:江苏省", "region:浙江省"])


def test_a_token_for_another_client_is_refused(oidc_settings, keycloak_issuer):
    # Same provider, same person, same signing key: only the audience says it was not issued for the ERP.
    token = password_token(keycloak_issuer, "olivia", client_id="other-app")
    with pytest.raises(Problem) as raised:
        verify_token(token, oidc_settings)
    assert raised.value.status == 401
    assert "audience" in raised.value.detail.lower()


def test_the_order_api_takes_a_keycloak_token(settings, keycloak_issuer, monkeypatch):
    monkeypatch.setenv("OIDC_ISSUER", keycloak_issuer)
    monkeypatch.setenv("OIDC_AUDIENCE", AUDIENCE)
    get_settings.cache_clear()
    olivia = password_token(keycloak_issuer, "olivia")
    elsewhere = password_token(keycloak_issuer, "olivia", client_id="other-app")
    with TestClient(web_app("order")) as api:
        listed = api.get("/orders", headers={"Authorization": f"Bearer {olivia}"})
        assert listed.status_code == 200, listed.text
        refused = api.get("/orders", headers={"Authorization": f"Bearer {elsewhere}"})
        assert (refused.status_code, refused.headers["content-type"]) == (401, PROBLEM_JSON)
