"""The FastAPI application every service starts from: problem+json errors, auth, health, metrics."""

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import unquote
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.routing import APIRoute
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from shared.platform import access_log, audit_api
from shared.platform.access_log import AccessLog
from shared.domain.text import forbidden_character
from shared.platform.access import SCOPE_KINDS, Access, DataScope, declared_access, permission_check
from shared.platform.auth import CurrentPrincipal
from shared.platform.context import EventMeta, set_request_meta
from shared.platform.db import new_pool
from shared.platform.docs import serve_docs_offline
from shared.platform.health import BrokerWatch, ServiceMetrics, readiness
from shared.platform.idempotency import refuse_if_reused, request_digest
from shared.platform.request_records import IdempotentRequest, current_request
from shared.platform.problems import PROBLEM_RESPONSES, install_problem_handlers, invalid_field
from shared.platform.load_shedding import LoadShedder
from shared.platform.request_guard import RequestGuard
from shared.platform.read_models import ReadModels
from shared.platform.service import ServiceDefinition
from shared.platform.service_state import ServiceState, State, service_state
from shared.platform.settings import get_settings

REQUESTS = Counter("erp_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("erp_http_request_seconds", "HTTP request latency", ["service", "method", "route"])


# A correlation id joins the events of one business flow across services; it is echoed in logs and envelopes, so it
# is a short token, not free text.
CORRELATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


async def command_meta(request: Request, principal: CurrentPrincipal) -> EventMeta:
    # Async on purpose: it runs in the request's own context, which the (sync) endpoint inherits,
    # so the events the command records carry this actor and correlation id.
    # Percent-encoded, as header values are Latin-1 and reasons are often written in Chinese.
    reason = unquote(request.headers["X-Reason"]) if "X-Reason" in request.headers else None
    if reason is not None:
        if not 1 <= len(reason.strip()) <= 500:
            raise invalid_field("X-Reason", "reason-length", "a reason is 1 to 500 characters")
        if (problem := forbidden_character(reason)) is not None:
            raise invalid_field("X-Reason", "plain-text", f"the reason contains {problem}")
    correlation_id = request.headers.get("X-Correlation-ID")
    if correlation_id is not None and not CORRELATION_ID.match(correlation_id):
        raise invalid_field("X-Correlation-ID", "correlation-id-format",
                            "1 to 128 letters, digits and . _ : - (a UUID, say), starting with a letter or digit")
    return set_request_meta(principal.actor, correlation_id, reason and reason.strip())


def command_by(permission: str, *, scope: str) -> Any:
    """The metadata of a command only people whose roles grant `permission` may give (403 for anyone else); `scope`
    declares what its object is scoped by (shared/platform/access.py), and the route narrows it with
    `CallerScope`."""
    check = permission_check(permission, scope)

    async def meta(request: Request, access: Annotated[Access, Depends(check)]) -> EventMeta:
        return await command_meta(request, access.principal)

    return Annotated[EventMeta, Depends(meta)]


def caller_scope(principal: CurrentPrincipal) -> DataScope:
    return DataScope.of(principal)


# The caller's data scope, for commands whose object must be within it (reads get it from `permitted`).
CallerScope = Annotated[DataScope, Depends(caller_scope)]


def command_reason(body_reason: str | None, meta: EventMeta, required: bool = True) -> str | None:
    """The reason for a command: the body's, else the X-Reason header's; recorded on its events either way."""
    reason = body_reason or meta.reason
    if reason is None and required:
        raise invalid_field("reason", "reason-required", "give a reason (in the body or the X-Reason header)")
    if body_reason and body_reason != meta.reason:
        set_request_meta(meta.actor, meta.correlation_id, body_reason)
    return reason


# For creating operations: a retry with the same Idempotency-Key answers 200 with what the first one created.
REPLAYED: dict[int | str, dict] = {200: {"description": "an earlier request with the same Idempotency-Key created it;"
                                             " this is that first result"}}


async def idempotency_key(
    request: Request, principal: CurrentPrincipal,
    key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
                                      description="retrying with the same key and body returns the first result"
                                                  " instead of creating again; the same key with another body is a"
                                                  " 422 (idempotency-key-reused)")] = None,
) -> str | None:
    if key is None:
        return None
    idempotent = IdempotentRequest(principal.actor, key, request_digest(request.method, request.url.path,
                                                                         await request.body()))
    await asyncio.to_thread(refuse_if_reused, service_state(request).application, idempotent)
    current_request.set(idempotent)  # recorded with the events the command stores (eventstore.py)
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    """The service's API process: the write-side application, a pool for read models, the routers."""
    service = definition.name

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = get_settings()
        reads = ReadModels(new_pool(settings, name=f"{service}-api", prepare=False), settings.schema_for(service))
        # The worker owns the read models; creating their (empty) tables here too lets the API start first.
        for projection in definition.projections:
            projection(reads.pool, reads.schema).setup()
        metrics = CollectorRegistry()
        metrics.register(ServiceMetrics(service, reads.schema, reads.pool))
        state = ServiceState(definition, settings, definition.new_application(settings), reads,
                             BrokerWatch(settings), metrics)
        app.state.service = state
        app.state.access_log = AccessLog(reads)
        app.state.access_log.setup()
        stop = asyncio.Event()
        watch = asyncio.create_task(state.broker.run(stop))
        yield
        stop.set()
        await watch
        reads.pool.close()
        state.application.close()

    app = FastAPI(title=f"{service} service", version="0.1.0", description=definition.description, lifespan=lifespan,
                  separate_input_output_schemas=False, docs_url=None, redoc_url=None)
    serve_docs_offline(app)  # FastAPI's own /docs and /redoc load their scripts from a CDN
    install_problem_handlers(app)
    app.add_middleware(RequestGuard)
    # Before the guard (added after it): an overloaded process refuses before reading the body or any other work;
    # inside the metrics below, which count its 503s.
    app.add_middleware(LoadShedder, service=service, limit=get_settings().api_max_in_flight)

    @app.middleware("http")
    async def _metrics(request: Request, call_next: Callable) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
        REQUESTS.labels(service, request.method, path, str(response.status_code)).inc()
        if response.status_code in (401, 403, 404):
            await access_log.record(request, response, service, path)
        return response

    @app.get("/health", tags=["ops"], operation_id="health")
    def health() -> dict[str, str]:
        return {"status": "alive", "service": service}

    @app.get("/ready", tags=["ops"], operation_id="ready",
             responses={503: {"description": "not ready: the checks say which part is missing"}})
    def ready(state: State) -> JSONResponse:
        """Ready when the database and Kafka answer and the service's relay and worker are running."""
        checks = readiness(state.read_models.pool, state.read_models.schema, state.broker)
        return JSONResponse({"service": service, **checks}, status_code=200 if checks["ready"] else 503)

    @app.get("/metrics", tags=["ops"], operation_id="metrics", include_in_schema=False)
    def metrics(state: State) -> Response:
        return Response(generate_latest() + generate_latest(state.metrics), media_type=CONTENT_TYPE_LATEST)

    for router in [*definition.routers, audit_api.router, access_log.router]:
        document_access(router)
        app.include_router(router, responses=PROBLEM_RESPONSES)
    return app


# The only routes anyone may call without a token: probes (they say nothing of the business) and the API's own docs.
PUBLIC_PATHS = frozenset({"/health", "/ready", "/metrics", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"})


def document_access(router: APIRouter) -> None:
    """Show each operation's permission and data scope in the OpenAPI document (x-permission, x-data-scope).

    Done on the router before it is included (FastAPI includes routers lazily, copying their routes), and only once
    per route: routers are module-level, shared by every app made from them."""
    for route in router.routes:
        if isinstance(route, APIRoute) and (declared := declared_access(route)) is not None:
            permission, scope = declared
            if (route.openapi_extra or {}).get("x-permission") == permission:
                continue
            route.openapi_extra = {**(route.openapi_extra or {}), "x-permission": permission, "x-data-scope": scope}
            note = f"Permission: `{permission}`; data scope: {SCOPE_KINDS[scope]}."
            route.description = f"{route.description}\n\n{note}" if route.description else note


def serve(definition: ServiceDefinition) -> None:
    """Run the service's API: on `<SERVICE>_PORT`, else the service's default port."""
    port = int(os.environ.get(f"{definition.name.upper()}_PORT", definition.default_port))
    uvicorn.run(create_service_app(definition), host=os.environ.get("ERP_HOST", "127.0.0.1"), port=port,
                log_level="warning")
