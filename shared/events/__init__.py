"""Event contracts between services: one module per producing service, plus the envelope.

`EVENT_TYPES` maps a CloudEvents `type` to its payload model; `payload_of` turns an envelope's
data into that model, upcasting older schema versions first.

Schema evolution: adding an optional field needs no new version (consumers ignore what they do not
know). Anything else is a new `schema_version` of the model plus an upcaster from the version before
it, registered in `UPCASTERS`: topics keep events forever, so old versions arrive as long as the log exists.
"""

from collections.abc import Callable
from typing import Any

from shared.events import billing, channel, inventory, ops, order, traceability
from shared.events.base import EventPayload
from shared.events.envelope import CloudEvent

PRODUCER_MODULES = (channel, order, inventory, billing, traceability, ops)


def _concrete_payloads() -> dict[str, type[EventPayload]]:
    found: dict[str, type[EventPayload]] = {}
    for module in PRODUCER_MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, EventPayload) and "event_name" in value.__dict__:
                found[value.event_type()] = value
    return found


EVENT_TYPES: dict[str, type[EventPayload]] = _concrete_payloads()

# (event type, from version) -> function that returns the data at the next version.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("erp.channel.HospitalRegistered", 1): channel.hospital_registered_v1_to_v2,
}


class UnknownEventTypeError(LookupError):
    pass


def payload_of(envelope: CloudEvent) -> EventPayload:
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UnknownEventTypeError(envelope.type)
    data, version = dict(envelope.data), envelope.schemaversion
    while version < model.schema_version:
        data = UPCASTERS[(envelope.type, version)](data)
        version += 1
    return model.model_validate(data)


__all__ = ["EVENT_TYPES", "CloudEvent", "EventPayload", "UnknownEventTypeError", "payload_of"]
