"""Bounded in-flight work per API process: beyond the bound, a request is answered at once with 503 and
`Retry-After`, instead of waiting in a queue nobody bounds.

Without a bound, an API process under overload accepts every connection and queues the requests for its thread pool:
measured on the 2-core machine (issue 19), commands offered at several times the sustainable rate waited a minute and
a half, each client timing out and retrying into the same queue. A client that is told "not now" within milliseconds
can back off or go elsewhere, and the requests that are accepted finish in bounded time.

The bound counts requests being worked on by this process (the event loop runs one middleware at a time, so a plain
counter is exact). Probes (/health, /ready, /metrics) are never refused: an orchestrator must still see the process
alive while it sheds. A refusal has read nothing and stored nothing; retrying it later is always safe (commands that
carry an Idempotency-Key are answered once either way). 503 rather than 429: the limit is the server's capacity, not
this client's rate (RFC 9110 §15.6.4, §10.2.3).
"""

from typing import Any

from fastapi.responses import JSONResponse
from prometheus_client import Counter, Gauge

from shared.platform.problems import PROBLEM_JSON, Problem

NEVER_SHED = frozenset({"/health", "/ready", "/metrics"})
SHED = Counter("erp_http_requests_shed_total", "requests refused with 503 because the process was at its bound",
               ["service"])
IN_FLIGHT = Gauge("erp_http_requests_in_flight", "requests being worked on by this API process", ["service"])


def overloaded(limit: int, retry_after_seconds: int) -> Problem:
    return Problem(503, "Service overloaded", f"this process is working on {limit} requests, its bound: nothing was"
                                              f" read or stored; retry after {retry_after_seconds} s",
                   type_="urn:erp:problem:overloaded", headers={"Retry-After": str(retry_after_seconds)},
                   rule="max-in-flight")


class LoadShedder:
    """ASGI middleware: at most `limit` requests in flight; the next is refused (see the module's description)."""

    def __init__(self, app: Any, service: str, limit: int, retry_after_seconds: int = 1) -> None:
        self.app, self.service, self.limit, self.retry_after = app, service, limit, retry_after_seconds
        self.in_flight = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in NEVER_SHED:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            SHED.labels(self.service).inc()
            problem = overloaded(self.limit, self.retry_after)
            response = JSONResponse(problem.body(scope.get("path", "")), status_code=503, media_type=PROBLEM_JSON,
                                    headers=problem.headers)
            await response(scope, receive, send)
            return
        self.in_flight += 1
        IN_FLIGHT.labels(self.service).inc()
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            IN_FLIGHT.labels(self.service).dec()
