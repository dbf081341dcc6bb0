"""The auditor's API, on every service: an aggregate's full history (who, when, what, why) and its
state as of any past time. Read-only, for tokens carrying the `auditor` role."""

import threading
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from eventsourcing.persistence import Notification
from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from psycopg import sql
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shared.events import CloudEvent
from shared.platform.access import COMPANY, permitted
from shared.platform.audit_verification import checkpoints_of, verify_log
from shared.platform.db import auditor_pool
from shared.platform.problems import not_found
from shared.platform.service_state import ServiceState, State

router = APIRouter(prefix="/audit", tags=["audit"])
Auditor = permitted("audit:read", scope=COMPANY)


class AggregateHistory(BaseModel):
    aggregate_id: UUID
    events: list[CloudEvent]


class AggregateState(BaseModel):
    aggregate_id: UUID
    as_of: datetime
    version: int
    state: dict[str, Any]


def _stored(state: ServiceState, aggregate_id: UUID) -> list[Notification]:
    """The aggregate's stored events, oldest first, read as the auditor."""
    app = state.application
    table = sql.SQL("{}.{}").format(sql.Identifier(app.schema), sql.Identifier(app.recorder.events_table_name))
    # Through the read-only auditor role when there is one (AUDITOR_DATABASE_URL), else the service's own pool.
    pool = auditor_pool(state.settings) or state.read_models.pool
    with pool.connection() as conn:
        rows = conn.execute(sql.SQL("SELECT notification_id, originator_version, topic, state FROM {}"
                                    " WHERE originator_id = %s ORDER BY originator_version").format(table),
                            (aggregate_id,)).fetchall()
    return [Notification(id=r["notification_id"], originator_id=aggregate_id, originator_version=r["originator_version"],
                         topic=r["topic"], state=bytes(r["state"])) for r in rows]


def _history(state: ServiceState, aggregate_id: UUID) -> list[CloudEvent]:
    return [state.application.envelope(n) for n in _stored(state, aggregate_id)]


@router.get("/aggregates/{aggregate_id}/history", operation_id="audit_history")
def history(aggregate_id: UUID, state: State, _: Auditor) -> AggregateHistory:
    """Every event of the aggregate, oldest first, exactly as published (actor, time, reason, data)."""
    events = _history(state, aggregate_id)
    if not events:
        raise not_found("Aggregate", aggregate_id)
    return AggregateHistory(aggregate_id=aggregate_id, events=events)


@router.get("/aggregates/{aggregate_id}/state", operation_id="audit_state")
def state_as_of(aggregate_id: UUID, state: State, _: Auditor,
                as_of: Annotated[datetime | None, Query(description="ISO 8601; UTC if no zone; now if omitted")] = None,
                ) -> AggregateState:
    """The aggregate as it stood at `as_of`, rebuilt from the events recorded up to then."""
    moment = (as_of or datetime.now(UTC)) if (as_of is None or as_of.tzinfo) else as_of.replace(tzinfo=UTC)
    mapper = state.application.mapper
    events = [e for e in (mapper.to_domain_event(n) for n in _stored(state, aggregate_id)) if e.timestamp <= moment]
    if not events:
        raise not_found("Aggregate", f"{aggregate_id} as of {moment.isoformat()}")
    # Rebuilt here from what the auditor read, not through the application's repository (the application role).
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    fields = {k.lstrip("_"): v for k, v in vars(aggregate).items() if k != "_pending_events"}
    return AggregateState(aggregate_id=aggregate_id, as_of=moment, version=aggregate.version,
                          state=jsonable_encoder(_plain(fields)))


class ChainVerification(BaseModel):
    service: str
    intact: bool
    checked_up_to: int = Field(description="the last position whose hash was confirmed")
    events: int
    checkpoints: int = Field(description="signed checkpoints confirmed")
    broken_at: int | None
    how: str | None = Field(description="what is wrong at broken_at")
    verified_at: datetime


# One verification at a time per process: it reads the whole log, and a second auditor's request waits for the
# first rather than doubling the database's work.
_verifying = threading.Lock()


@router.get("/verification", operation_id="audit_verification")
async def verification(state: State, _: Auditor) -> ChainVerification:
    """Recompute this service's hash chain over every stored event, read as the auditor role, and check it against
    the signed checkpoints (what `erp audit verify` does): whether any event was altered, removed or reordered."""
    service = state.definition.name
    checkpoints = await checkpoints_of(state.settings, service)

    def run() -> ChainVerification:
        with _verifying:
            verdict = verify_log(state.settings, service, checkpoints)
        return ChainVerification(service=service, intact=verdict.intact, checked_up_to=verdict.checked_up_to,
                                 events=verdict.events, checkpoints=verdict.checkpoints, broken_at=verdict.broken_at,
                                 how=verdict.how, verified_at=datetime.now(UTC))

    return await run_in_threadpool(run)


def _plain(value: Any) -> Any:
    """Aggregate state as JSON can carry it: composite dict keys joined, dataclasses as dicts."""
    if isinstance(value, dict):
        return {("|".join(map(str, k)) if isinstance(k, tuple) else str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return _plain(vars(value))
    return value
