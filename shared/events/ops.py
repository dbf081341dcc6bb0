"""Events every service's log may contain about operating the service itself (types `erp.ops.*`).

They are not business facts but the audit trail of what the people who run a service did to it, e.g.
giving up on an event one of its consumers could not apply. They travel on the service's own topic
(`<service>.events`, whose `source` names the service); consumers that have no use for them ignore them.
"""

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.events.base import EventPayload


class OpsEvent(EventPayload):
    producer: ClassVar[str] = "ops"


class DeadLetterSkipProposed(OpsEvent):
    """An operator proposes giving up on an event a consumer could not apply, with a reason. Nothing changes until a
    second operator approves it (DeadLetterSkipped); until then the dead letter may still be retried."""

    event_name: ClassVar[str] = "DeadLetterSkipProposed"
    subject_field: ClassVar[str] = "dead_letter_id"

    dead_letter_id: UUID
    consumer: str = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=2000)
    proposed_by: str = Field(min_length=1, max_length=200, description="the operator who proposes it")


class DeadLetterSkipped(OpsEvent):
    """An operator gave up on an event a consumer could not apply: it will never be applied by that consumer.

    The envelope's `actor` is the person who decided; `reason` says why.
    """

    event_name: ClassVar[str] = "DeadLetterSkipped"
    subject_field: ClassVar[str] = "dead_letter_id"

    dead_letter_id: UUID
    consumer: str = Field(min_length=1, description="the consumer (group) that could not apply it")
    skipped_event_id: str | None = Field(description="its CloudEvents id; null when the record was not an envelope at all")
    skipped_event_type: str | None
    topic: str = Field(min_length=1)
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    error: str = Field(description="the exception type and message of the last attempt")
    reason: str = Field(min_length=1, max_length=2000)
    # Absent from skips recorded before they took four eyes; the envelope's actor is the approver.
    proposed_by: str | None = Field(None, max_length=200, description="the operator who proposed the skip")
