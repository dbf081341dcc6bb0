"""Who caused the events being recorded now, carried implicitly from the API or consumer to the aggregate.

Every stored event copies this metadata, so the audit trail says who did what, as part of which
business flow (correlation) and in reaction to what (causation).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from uuid import uuid4


@dataclass(frozen=True)
class EventMeta:
    actor: str
    correlation_id: str
    causation_id: str | None = None
    # Why, in the person's words; required by the actions that need one (releasing a hold, closing a recall...).
    reason: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        # No key for an absent reason: events stored before reasons existed look the same as those without one.
        return {k: v for k, v in asdict(self).items() if k != "reason" or v is not None}


_current: ContextVar[EventMeta | None] = ContextVar("event_meta", default=None)


class MissingActorError(RuntimeError):
    """Raised when an event would be recorded without knowing who caused it."""


def current_meta() -> EventMeta:
    meta = _current.get()
    if meta is None:
        raise MissingActorError("no actor set: wrap the command in acting_as(...)")
    return meta


@contextmanager
def acting_as(actor: str, correlation_id: str | None = None, causation_id: str | None = None,
              reason: str | None = None) -> Iterator[EventMeta]:
    meta = EventMeta(actor=actor, correlation_id=correlation_id or str(uuid4()), causation_id=causation_id,
                     reason=reason)
    token = _current.set(meta)
    try:
        yield meta
    finally:
        _current.reset(token)


def set_request_meta(actor: str, correlation_id: str | None, reason: str | None = None) -> EventMeta:
    """For an API request: the request runs in its own context, so nothing needs resetting."""
    meta = EventMeta(actor=actor, correlation_id=correlation_id or str(uuid4()), reason=reason)
    _current.set(meta)
    return meta
