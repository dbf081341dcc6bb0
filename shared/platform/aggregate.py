"""Base aggregate whose every event records who caused it (see context.py)."""

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Transcoding

from shared.platform.context import current_meta


class TracedAggregate(Aggregate):
    class Event(Aggregate.Event):
        meta: dict[str, Any]

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(cls, event_class: Any, *, id: Any = None, **kwargs: Any) -> Any:  # noqa: A002
        kwargs.setdefault("meta", current_meta().as_dict())
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        kwargs.setdefault("meta", current_meta().as_dict())
        super().trigger_event(event_class, **kwargs)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)
