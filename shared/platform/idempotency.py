"""Idempotent creation: a retried request with the same Idempotency-Key creates nothing new."""

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID, NAMESPACE_URL, uuid4, uuid5

from shared.platform.eventstore import IntegrityError, ServiceApplication

A = TypeVar("A")


def new_aggregate_id(kind: str, actor: str, idempotency_key: str | None) -> UUID:
    if idempotency_key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"erp:{kind}:{actor}:{idempotency_key}")


def create_once(app: ServiceApplication, aggregate_id: UUID, create: Callable[[], A]) -> tuple[A, bool]:
    """Create and save the aggregate unless it exists; returns (aggregate, created)."""
    if app.exists(aggregate_id):
        return app.repository.get(aggregate_id), False
    aggregate = create()
    try:
        app.save(aggregate)
    except IntegrityError:  # a concurrent retry with the same key won the race
        return app.repository.get(aggregate_id), False
    return aggregate, True
