"""Signing in to the console at the identity provider: a local Keycloak (scripts/keycloak.sh, realm
deploy/keycloak/erp-realm.json, its public client erp-console) by authorization code with PKCE, the console's
token then accepted by the services as any of the provider's. The gateway for this runs on port 18000, the redirect
URI the realm names for the browser tests (a provider matches redirect URIs exactly)."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from shared.platform.stack import GATEWAY, Stack
from tests.browser.conftest import ARTIFACTS, KEYCLOAK_ISSUER, Console, shoot

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "keycloak.sh"
GATEWAY_PORT = 18000  # deploy/keycloak/erp-realm.json: erp-console's redirect URI for the browser tests


def _keycloak(command: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def keycloak() -> Iterator[str]:
    """The erp realm, started for this module and stopped after it, unless one of this clone already runs."""
    already_running = _keycloak("status").returncode == 0
    if not already_running:
        started = _keycloak("start", timeout=900)
        assert started.returncode == 0, f"scripts/keycloak.sh start failed:\n{started.stdout}\n{started.stderr}"
    issuer = _keycloak("issuer").stdout.strip()
    assert issuer == KEYCLOAK_ISSUER  # the issuer the services were told to trust (conftest.py)
    yield issuer
    if not already_running:
        _keycloak("stop", timeout=60)


@pytest.fixture(scope="module")
def oidc_console(console: Console, keycloak: str) -> Iterator[str]:
    """A gateway on the realm's redirect port in front of the same services (they trust the provider already)."""
    stack = Stack(env=console.stack.env, log_dir=ARTIFACTS / "logs", ports=console.stack.ports, gateway_port=GATEWAY_PORT)
    stack.start_gateway()
    try:
        stack.wait_for_gateway()
        yield stack.url(GATEWAY)
    finally:
        stack.stop_all()


def test_a_person_signs_in_at_the_identity_provider_and_works_with_its_token(browser: Browser, oidc_console: str):
    context = browser.new_context(base_url=oidc_console, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto("/orders")  # not signed in: the login page, which offers the provider first
        page.get_by_role("button", name="通过统一身份认证登录").click()
        page.wait_for_url(f"{KEYCLOAK_ISSUER}/**")  # Keycloak's own sign-in page, once it has settled
        page.wait_for_load_state("networkidle")
        for field, value in (("#username", "olivia"), ("#password", "olivia-local")):
            page.locator(field).fill(value)
            expect(page.locator(field)).to_have_value(value)
        page.locator("#kc-login").click()
        # Back at /auth/callback: the code exchanged with the PKCE verifier, then where the person was going.
        expect(page.get_by_test_id("whoami")).to_contain_text("order_desk")  # her group's role, from the token
        expect(page).to_have_url(f"{oidc_console}/orders")
        expect(page.get_by_test_id("orders").locator("tbody tr.ant-table-row").first).to_be_visible()
        expect(page.get_by_test_id("problem")).to_have_count(0)  # the order service took the provider's token
        token = page.evaluate("sessionStorage.getItem('erp.token')")
        assert token.count(".") == 2 and page.evaluate("JSON.parse(atob(sessionStorage.getItem('erp.token')"
                                                       ".split('.')[0])).alg") == "RS256"
        shoot(page, "oidc-orders")
    finally:
        context.close()
