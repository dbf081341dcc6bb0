"""The console's one origin: the built web console, the session endpoints, and every service under /api/<service>/.

The browser talks to this process only, so it needs no CORS and the services keep their own ports and rules: the
gateway forwards requests as they are (the bearer token included) and never decides access itself — each service
checks the token, permissions and data scopes as it does for any client. The session endpoints are the console's
conveniences: its configuration (development login or the identity provider), a development login that mints the
local tokens `erp token` prints (never in production), and the permissions of the caller's token, for the menu.

Run it with `python -m services.gateway` (`make run` starts it with the services). Settings (README "The console"):
GATEWAY_PORT, GATEWAY_MAX_BODY_BYTES, GATEWAY_UPSTREAM_TIMEOUT_SECONDS, CONSOLE_DIST, CONSOLE_OIDC_CLIENT_ID, the
services' <SERVICE>_PORT, and the platform's ERP_ENV, JWT_SECRET and OIDC_ISSUER.
"""

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from starlette.background import BackgroundTask

from shared.platform.auth import SCOPE_FORM, issue_token, verify_token
from shared.platform.permissions import PORTAL_ROLES, ROLES, permissions_of
from shared.platform.problems import PROBLEM_JSON, Problem, install_problem_handlers, invalid_field
from shared.platform.settings import get_settings

DEFAULT_PORT = 8000
# Analytics joins the registry with its own port; until it does, the gateway still knows where it will be.
DEFAULT_ANALYTICS_PORT = 8006
SESSION_HOURS = 12
# Request headers the services read; anything else the browser sends (cookies included) stays here.
FORWARDED_REQUEST_HEADERS = ("authorization", "idempotency-key", "content-type", "accept", "accept-language",
                             "if-match", "x-reason", "x-correlation-id")
# Response headers that describe the connection to the service, not the answer: the gateway sets its own.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate",
              "server", "date"}
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Vite names every built asset after a hash of its content: a new build is a new name, so they may be cached forever.
HASHED_ASSET = re.compile(r"-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$")


def service_urls() -> dict[str, str]:
    """Every service's API, found as `make run` and the tests start them: <SERVICE>_PORT, else its default port."""
    from shared.platform.stack import configured_ports

    ports = {"analytics": int(os.environ.get("ANALYTICS_PORT", DEFAULT_ANALYTICS_PORT)), **configured_ports()}
    return {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}


def _problem(status: int, title: str, detail: str, instance: str, **extensions: Any) -> JSONResponse:
    return JSONResponse(Problem(status, title, detail, **extensions).body(instance), status_code=status,
                        media_type=PROBLEM_JSON)


class DevLogin(BaseModel):
    """A development login: who (any name), as which role, and for a portal role which organisation."""

    username: str = Field(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f\x7f]+$")
    role: str
    scopes: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
        return role

    @field_validator("scopes")
    @classmethod
    def _scope_forms(cls, scopes: list[str]) -> list[str]:
        for scope in scopes:
            if not SCOPE_FORM.match(scope):
                raise ValueError(f"scope {scope!r} is not distributor:<uuid>, hospital:<uuid> or region:<province>")
        return scopes


def _portal_scope_required(login: DevLogin) -> None:
    """A portal user without its organisation's scope reaches nothing: refuse the login rather than mint it."""
    kind = {"distributor_user": "distributor", "hospital_user": "hospital"}.get(login.role)
    if kind and not any(scope.startswith(f"{kind}:") for scope in login.scopes):
        raise invalid_field("scopes", "portal-scope", f"the role {login.role} needs a scope {kind}:<id>")


def create_app(dist: Path | None = None) -> FastAPI:
    settings = get_settings()
    dist = dist or Path(os.environ.get("CONSOLE_DIST", Path(__file__).resolve().parent.parent / "console" / "dist"))
    max_body = int(os.environ.get("GATEWAY_MAX_BODY_BYTES", 20 * 1024 * 1024))
    timeout = float(os.environ.get("GATEWAY_UPSTREAM_TIMEOUT_SECONDS", 60))
    urls = service_urls()
    dev_login = settings.environment != "production"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One pool of connections to the services for the gateway's life; no redirects followed (the browser should
        # see a service's Location), no retries (a command may not be repeated behind the user's back).
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=3)) as client:
            app.state.client = client
            yield

    app = FastAPI(title="ERP console gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    install_problem_handlers(app)

    @app.get("/api/session/config")
    def session_config() -> dict[str, Any]:
        oidc = None
        if settings.oidc_issuer:
            oidc = {"issuer": settings.oidc_issuer, "client_id": os.environ.get("CONSOLE_OIDC_CLIENT_ID", "erp-console")}
        return {"dev_login": dev_login, "oidc": oidc}

    @app.post("/api/session")
    def development_login(login: DevLogin) -> dict[str, str]:
        if not dev_login:
            raise Problem(404, "Not found", "there is no development login in production: sign in with the identity"
                                            " provider")
        _portal_scope_required(login)
        token = issue_token(login.username, [login.role], name=login.username, scopes=login.scopes,
                            valid_for=timedelta(hours=SESSION_HOURS))
        expires_at = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
        return {"token": token, "expires_at": expires_at.isoformat(timespec="seconds")}

    @app.get("/api/session/me")
    def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        """Who the token proves and what its roles permit: the console builds its menu from this."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Problem(401, "Not authenticated", "no bearer token", headers={"WWW-Authenticate": "Bearer"})
        principal = verify_token(authorization[7:].strip(), settings)
        return {"subject": principal.subject, "name": principal.name, "roles": principal.roles,
                "scopes": principal.scopes, "permissions": sorted(permissions_of(principal.roles))}

    @app.get("/api/session/personas")
    async def personas(request: Request) -> dict[str, Any]:
        """For the development login's picker: the roles, and the organisations a portal user may belong to, asked of
        the channel service as an auditor (who reads every hospital and distributor and changes nothing)."""
        if not dev_login:
            raise Problem(404, "Not found", "there is no development login in production")
        token = issue_token("console-gateway", ["auditor"], name="Console gateway", valid_for=timedelta(minutes=1))
        organisations: dict[str, list[dict[str, str]]] = {"distributors": [], "hospitals": []}
        for kind in organisations:
            try:
                answer = await request.app.state.client.get(f"{urls['channel']}/{kind}", params={"limit": 200},
                                                            headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError:
                continue  # the channel service is not up yet: the picker offers staff roles only
            if answer.status_code == 200:
                organisations[kind] = [{"id": row[f"{kind[:-1]}_id"], "name": row["name"]}
                                       for row in answer.json()["items"]]
        return {"roles": list(ROLES), "portal_roles": sorted(PORTAL_ROLES), **organisations}

    @app.api_route("/api/{service}/{path:path}", methods=METHODS)
    async def proxy(service: str, path: str, request: Request) -> Response:
        if service not in urls:
            return _problem(404, "Not found", f"no service named {service!r}; the services are {', '.join(urls)}",
                            request.url.path)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_body:
            return _problem(413, "Request body too large", f"at most {max_body} bytes", request.url.path)
        body = bytearray()
        async for chunk in request.stream():  # counted as it arrives: a chunked body declares no length
            body += chunk
            if len(body) > max_body:
                return _problem(413, "Request body too large", f"at most {max_body} bytes", request.url.path)
        headers = {name: value for name in FORWARDED_REQUEST_HEADERS if (value := request.headers.get(name))}
        client: httpx.AsyncClient = request.app.state.client
        # The path and query exactly as the browser sent them, still percent-encoded: the service decodes them once,
        # as it would a direct call (decoded here and encoded again, a "/" or "+" in a value could change meaning).
        raw_path = request.scope["raw_path"].decode("ascii").split("/", 3)[3]
        target = f"{urls[service]}/{raw_path}" + (f"?{request.url.query}" if request.url.query else "")
        upstream = client.build_request(request.method, httpx.URL(target), headers=headers, content=bytes(body) or None)
        try:
            answer = await client.send(upstream, stream=True)
        except httpx.ConnectError:
            return _problem(503, "Service unavailable", f"the {service} service does not answer; retry later",
                            request.url.path, service=service)
        except httpx.HTTPError as e:
            return _problem(502, "Bad gateway", f"the {service} service failed to answer: {type(e).__name__}",
                            request.url.path, service=service)
        # Streamed through: a recall report or a statement's xlsx arrives as the service writes it.
        passed = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(answer.aiter_raw(), status_code=answer.status_code, headers=passed,
                                 background=BackgroundTask(answer.aclose))

    @app.api_route("/api/{path:path}", methods=METHODS)
    def unknown_api(path: str, request: Request) -> Response:
        return _problem(404, "Not found", "the console's API is /api/session… and /api/<service>/…", request.url.path)

    @app.api_route("/{path:path}", methods=["GET", "HEAD"])
    def console(path: str) -> Response:
        """The built console: a file of it, else index.html, where the app's router takes the path (SPA)."""
        if not (dist / "index.html").is_file():
            return Response("The console is not built: run `make console` (npm ci && npm run build in console/).\n",
                            status_code=503, media_type="text/plain; charset=utf-8")
        root = dist.resolve()
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            immutable = path.startswith("assets/") and HASHED_ASSET.search(path)
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": cache})
        return FileResponse(dist / "index.html", headers={"Cache-Control": "no-cache"})

    return app


def main() -> None:
    port = int(os.environ.get("GATEWAY_PORT", DEFAULT_PORT))
    uvicorn.run(create_app(), host=os.environ.get("ERP_HOST", "127.0.0.1"), port=port, log_level="warning")


if __name__ == "__main__":
    main()
