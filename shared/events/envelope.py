"""The CloudEvents 1.0 envelope (structured JSON mode) every event travels in on Kafka."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"


class CloudEvent(BaseModel):
    """CloudEvents attributes plus our extensions (lower-case, as the spec requires of extension names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = SPEC_VERSION
    id: str = Field(description="unique per event: the source service and position; a resend has the same id")
    source: str = Field(description="the producing service, e.g. /erp/order")
    type: str = Field(description="e.g. erp.order.OrderPlaced")
    subject: str = Field(description="the aggregate id")
    time: datetime = Field(description="when the event was recorded, UTC")
    datacontenttype: Literal["application/json"] = "application/json"
    aggregateid: str
    aggregateversion: int = Field(ge=1)
    position: int = Field(ge=1, description="notification id in the source service's log")
    correlationid: str
    causationid: str | None = None
    reason: str | None = Field(None, description="why, in the actor's words, where the action requires a reason")
    actor: str = Field(min_length=1, description="the authenticated person or system that caused it")
    schemaversion: int = Field(ge=1)
    data: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "CloudEvent":
        return cls.model_validate_json(raw)
