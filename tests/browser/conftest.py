"""The console in a real browser: headless Debian Chromium (Playwright's sync API) against the gateway and every
service running as processes on the real Kafka and PostgreSQL, as `make run` starts them, with the demo data.

The system is started once for the package (the services and the demo data take most of the time), in a namespace
of its own; each test logs in as the persona its flow needs, in a fresh browser context.
Screenshots go to .local/test-artifacts/browser/; those the README shows are (re)written to docs/screenshots/ when
missing or with UPDATE_SCREENSHOTS=1, so that a test run does not change committed files by itself.
"""

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from services.demo import load_demo_data
from shared.platform.auth import issue_token
from shared.platform.namespace import drop_namespace
from shared.platform.settings import SERVICES, get_settings
from shared.platform.stack import GATEWAY, Stack
from tests.conftest import Infrastructure, service_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / ".local" / "test-artifacts" / "browser"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
KEYCLOAK_ISSUER = f"http://127.0.0.1:{os.environ.get('KEYCLOAK_PORT', 18080)}/realms/erp"  # scripts/keycloak.sh's


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Console:
    """The running system as the tests see it: the gateway's URL, each service's URL, the demo's data."""

    url: str
    urls: dict[str, str]
    demo: dict[str, dict]
    stack: Stack

    def staff(self, *roles: str) -> httpx.Client:
        """An HTTP client for a test's own set-up, straight to the services (not what the browser does)."""
        token = issue_token("browser-test-setup", list(roles), name="Browser test set-up")
        return httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=15)


@pytest.fixture(scope="package")
def console(infrastructure: Infrastructure) -> Iterator[Console]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    if not (ROOT / "console" / "dist" / "index.html").exists():
        pytest.fail("the console is not built: run `make console`")
    env = {
        "ERP_ENV": "test", "ERP_NAMESPACE": f"b{uuid.uuid4().hex[:8]}_", "DATABASE_URL": infrastructure.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers, "POLL_INTERVAL_SECONDS": "0.02",
        "HOSPITAL_LICENCE_REQUIRED": "false", "DISTRIBUTOR_AUTHORIZATION_REQUIRED": "false",
        "DATABASE_OWNER_URL": infrastructure.database_owner_url or "",
        "AUDITOR_DATABASE_URL": infrastructure.auditor_database_url or "",
        # The services also trust the local Keycloak's tokens (test_oidc.py starts it; until then nothing asks it).
        "OIDC_ISSUER": KEYCLOAK_ISSUER, "OIDC_AUDIENCE": "erp-services",
    }
    with pytest.MonkeyPatch.context() as patch:  # undone when the package's tests are done
        for key, value in env.items():
            if value:
                patch.setenv(key, value)
            else:
                patch.delenv(key, raising=False)
        get_settings.cache_clear()
        settings = get_settings()
        # Without an analytics service in the registry, its URL must lead nowhere (not to one a developer runs).
        gateway_env = {} if "analytics" in SERVICES else {"ANALYTICS_PORT": str(free_port())}
        stack = Stack(env={**service_env(settings), **gateway_env}, log_dir=ARTIFACTS / "logs", ports={s: free_port() for s in SERVICES},
                      gateway_port=free_port())
        try:
            stack.start_all()
            stack.start_gateway()
            stack.wait_until_ready()
            stack.wait_for_gateway()
            urls = {s: stack.url(s) for s in SERVICES}
            load_demo_data(urls)
            yield Console(url=stack.url(GATEWAY), urls=urls, demo=_demo(urls), stack=stack)
        finally:
            stack.stop_all()
            asyncio.run(drop_namespace(settings))
            get_settings.cache_clear()


def _demo(urls: dict[str, str]) -> dict[str, dict]:
    """The demo's hospitals and distributors by name."""
    token = issue_token("browser-test-setup", ["auditor"])
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
        hospitals = http.get(f"{urls['channel']}/hospitals", params={"limit": 100}).json()["items"]
        distributors = http.get(f"{urls['channel']}/distributors", params={"limit": 100}).json()["items"]
    return {"hospitals": {h["name"]: h for h in hospitals}, "distributors": {d["name"]: d for d in distributors}}


@pytest.fixture(scope="package")
def browser(console: Console) -> Iterator[Browser]:
    """Started after the system and closed before it is stopped (its event loop must be gone by then)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, console: Console, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A fresh browser (no session) sized as a desktop unless the test asks for a phone."""
    phone = request.node.get_closest_marker("phone") is not None
    options = ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
               if phone else {"viewport": {"width": 1440, "height": 900}})
    context = browser.new_context(base_url=console.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  accept_downloads=True, **options)
    context.set_default_timeout(20_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def shoot(page: Page, name: str, *, docs: bool = False) -> Path:
    """A screenshot kept as a test artifact; the README's also under docs/screenshots (when missing, or asked)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    if docs and (os.environ.get("UPDATE_SCREENSHOTS") == "1" or not (DOCS_SCREENSHOTS / f"{name}.png").exists()):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    return path


def choose(page: Page, field_id: str, text: str) -> None:
    """Pick an option of an Ant Design select (the form item's id), by typing part of its label."""
    page.locator(f"#{field_id}").click()
    page.locator(f"#{field_id}").fill(text)
    page.locator(".ant-select-dropdown:visible .ant-select-item-option", has_text=text).first.click()


def login(page: Page, role: str, *, username: str = "tester", organisation: str | None = None,
          then: str = "/") -> None:
    """The development login, as a person would use it: a name, a role, for a portal role the organisation."""
    page.goto(f"/login?next={then}")
    page.locator("#username").fill(username)
    choose(page, "role", role)
    if organisation:
        choose(page, "organisation", organisation)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("whoami")).to_contain_text(role)


def assert_accessible(page: Page, what: str) -> None:
    """axe-core on the page as it is: no serious or critical violation. The pointer is moved off the page first, so
    that the colours checked are the page's own, not those of whatever the last click left hovered."""
    page.mouse.move(0, 0)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    assert found == [], f"{what}: {found}"
