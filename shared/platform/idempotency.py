"""Idempotent creation: a retried request with the same Idempotency-Key creates nothing new.

The key names one request of one person. What that request asked for is recorded (a SHA-256 of its method, path
and canonical JSON body) in the service's `idempotency_keys` table, in the same transaction as the events it
caused. A retry with the same key and the same body answers with the first result; the same key with another
body is refused (422, rule `idempotency-key-reused`, as draft-ietf-httpapi-idempotency-key-header says) instead of
silently answering the first result for a different request.
"""

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from shared.platform.eventstore import IntegrityError, ServiceApplication
from shared.platform.problems import invalid_field
from shared.platform.request_records import IdempotentRequest, current_request

if TYPE_CHECKING:
    from shared.platform.unit_of_work import UnitOfWork

A = TypeVar("A")


def request_digest(method: str, path: str, body: bytes) -> str:
    """What a request asked for: the same JSON in another key order or spacing is the same request."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (UnicodeDecodeError, json.JSONDecodeError):
        canonical = body  # not JSON (a multipart upload, say): its bytes
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def refuse_if_reused(app: ServiceApplication, request: IdempotentRequest) -> None:
    """422 when this person's key was used for a different request; nothing happens for the same request."""
    earlier = app.recorded_request(request.actor, request.key)
    if earlier is not None and earlier != request.digest:
        raise invalid_field("Idempotency-Key", "idempotency-key-reused",
                            "this key was used for a different request: use a new key for a new request",
                            detail=f"the Idempotency-Key {request.key!r} was already used with another body;"
                                   " nothing was stored (the same body again answers the first result)")


def new_aggregate_id(kind: str, actor: str, idempotency_key: str | None) -> UUID:
    if idempotency_key is None:
        return uuid4()
    return uuid5(NAMESPACE_URL, f"erp:{kind}:{actor}:{idempotency_key}")


def create_once(uow: "UnitOfWork", aggregate_id: UUID, kind: type[A], create: Callable[[], A]) -> tuple[A, bool]:
    """Create the aggregate (and commit) unless it exists; returns (aggregate, created). `create` may claim unique
    values in the unit of work. A retry finds the first one; a concurrent retry that wins the race is found too,
    unless it was a different request under the same Idempotency-Key (422)."""
    existing = uow.get(aggregate_id, kind)
    if existing is not None:
        return existing, False
    aggregate = create()
    uow.collect(aggregate)
    try:
        uow.commit()
    except IntegrityError:
        if not uow.app.exists(aggregate_id):
            raise  # not a retry: a concurrent command claimed the same unique value (a 409 conflict)
        request = current_request.get()
        if request is not None:  # a concurrent retry with the same key won the race, unless it was another request
            refuse_if_reused(uow.app, request)
        return uow.app.get_aggregate(aggregate_id, kind), False
    return aggregate, True
