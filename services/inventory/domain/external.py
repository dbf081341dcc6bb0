"""A message from an external warehouse system (WMS/TMS), accepted once per external reference.

One aggregate per reference, saved in the same transaction as the stock changes the message caused: a repeat
finds it and gets the first result back; a different payload under the same reference is refused. Concurrent
first deliveries of one reference conflict on the aggregate's id, so only one of them is applied.
"""

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate


def external_message_id(external_reference: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:inventory:external-message:{external_reference}")


class ExternalMessage(TracedAggregate):
    @event("Accepted")
    def __init__(self, external_reference: str, kind: str, payload_sha256: str, result: dict[str, Any]) -> None:
        self.external_reference = external_reference
        self.kind = kind
        self.payload_sha256 = payload_sha256
        self.result = result

    @staticmethod
    def create_id(external_reference: str, **_: Any) -> UUID:
        return external_message_id(external_reference)
