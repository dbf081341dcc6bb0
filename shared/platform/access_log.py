"""The access log: every denied request (401, 403, 404 outside the caller's scope) is counted, logged and kept for
the auditor, with who (the subject, when known), which route and why; never the token itself."""

import asyncio
import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from prometheus_client import Counter
from pydantic import BaseModel

from shared.platform.access import COMPANY, permitted
from shared.platform.paging import Page, Paging
from shared.platform.read_models import ReadModels
from shared.platform.service_state import Reads

DENIALS = Counter("erp_access_denied_total", "Requests denied: unauthenticated, missing permission, outside scope",
                  ["service", "route", "status", "reason"])
log = logging.getLogger("erp.access")

# The log keeps the newest rows only, so that a flood of bad requests cannot fill the database.
KEEP_ROWS = 100_000
PRUNE_EVERY = 500

TABLES_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.access_denials (denial_id bigserial PRIMARY KEY,"
    " at timestamptz NOT NULL DEFAULT now(), subject text, method text NOT NULL, route text NOT NULL,"
    " status int NOT NULL, reason text NOT NULL)",
)


def denial_of(request: Request, response: Response) -> str | None:
    """Why the request was denied, or None if it was not (a 404 for what truly does not exist is no denial)."""
    marked = getattr(request.state, "denial", None)
    if response.status_code == 401:
        return marked or "unauthenticated"
    if response.status_code == 403:
        return marked or "forbidden"
    return marked if response.status_code == 404 else None


async def record(request: Request, response: Response, service: str, route: str) -> None:
    """Count, log and keep the request if it was denied."""
    reason = denial_of(request, response)
    if reason is None:
        return
    principal = getattr(request.state, "principal", None)
    subject = principal.subject if principal is not None else None
    DENIALS.labels(service, route, str(response.status_code), reason).inc()
    log.warning("access denied: %s %s %s -> %s (%s) for %s", service, request.method, route, response.status_code,
                reason, subject or "no valid token")
    kept = getattr(request.app.state, "access_log", None)  # absent when the app runs without its lifespan (unit tests)
    if kept is None:
        return
    try:
        await asyncio.to_thread(kept.insert, subject, request.method, route, response.status_code, reason)
    except Exception:  # noqa: BLE001 - the denial was answered; a log the database cannot take is only logged
        log.exception("the access denial could not be stored")


class AccessLog:
    """The service's table of denials, pruned to the newest KEEP_ROWS."""

    def __init__(self, reads: ReadModels) -> None:
        self.reads, self._recorded = reads, 0

    def setup(self) -> None:
        with self.reads.pool.connection() as conn:
            for ddl in TABLES_DDL:
                conn.execute(ddl.format(schema=self.reads.schema))

    def insert(self, subject: str | None, method: str, route: str, status: int, reason: str) -> None:
        with self.reads.pool.connection() as conn:
            conn.execute(f"INSERT INTO {self.reads.schema}.access_denials (subject, method, route, status, reason)"
                         " VALUES (%s, %s, %s, %s, %s)", (subject, method, route, status, reason))
            self._recorded += 1
            if self._recorded % PRUNE_EVERY == 0:
                conn.execute(f"DELETE FROM {self.reads.schema}.access_denials WHERE denial_id <="
                             f" (SELECT max(denial_id) - %s FROM {self.reads.schema}.access_denials)", (KEEP_ROWS,))


router = APIRouter(prefix="/audit", tags=["audit"])


class Denial(BaseModel):
    denial_id: int
    at: datetime
    subject: str | None
    method: str
    route: str
    status: int
    reason: str


@router.get("/access-denials", operation_id="audit_access_denials")
def access_denials(read: Reads, _: permitted("audit:read", scope=COMPANY), paging: Paging,
                   subject: Annotated[str | None, Query(max_length=200)] = None,
                   status: Annotated[int | None, Query(ge=400, le=499)] = None,
                   since: Annotated[datetime | None, Query(description="ISO 8601")] = None) -> Page[Denial]:
    """The requests this service denied, newest first: who (the token's subject, if it had a valid one), route,
    status and reason (unauthenticated, missing-permission, outside-scope)."""
    return Page.of(Denial, read.page("{schema}.access_denials", paging, order_by="denial_id DESC", where={
        "subject = %s": subject, "status = %s": status, "at >= %s": since}), paging)
