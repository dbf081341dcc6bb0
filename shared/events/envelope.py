"""The CloudEvents 1.0 envelope (structured JSON mode) every event travels in on Kafka.

Within the spec's type system: its Integer is 32-bit signed, so the log position (a 64-bit notification id) is the
extension `position` of type String, decimal digits (records written before, with a JSON number, are read alike);
its String excludes control characters, surrogates and noncharacters, so no attribute may carry them; and
`correlationid` and `causationid`, when present, are not empty. On Kafka the record says it is structured mode with
the header `content-type: application/cloudevents+json; charset=UTF-8` (the Kafka protocol binding, §3)."""

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_validator

SPEC_VERSION = "1.0"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
# CloudEvents' String: no C0/C1 control characters, surrogates or noncharacters (spec, "Type System").
_NOT_A_STRING = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_STRING_ATTRIBUTES = ("id", "source", "type", "subject", "aggregateid", "correlationid", "causationid", "reason",
                      "actor")


def _position(value: object) -> object:
    if isinstance(value, str):
        if not re.fullmatch(r"[1-9][0-9]{0,18}", value):
            raise ValueError("position is a log position: decimal digits, no sign or leading zero")
        return int(value)
    return value


LogPosition = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_position),
                        PlainSerializer(str, return_type=str, when_used="json"),
                        # Written as a String; records written before (a JSON number) are still read.
                        WithJsonSchema({"anyOf": [{"type": "string", "pattern": "^[1-9][0-9]{0,18}$"},
                                                  {"type": "integer", "minimum": 1}]})]


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
    position: LogPosition = Field(description="notification id in the source service's log (a String attribute: it"
                                              " can exceed CloudEvents' 32-bit Integer)")
    correlationid: str = Field(min_length=1)
    causationid: str | None = Field(None, min_length=1)
    reason: str | None = Field(None, description="why, in the actor's words, where the action requires a reason")
    actor: str = Field(min_length=1, description="the authenticated person or system that caused it")
    schemaversion: int = Field(ge=1)
    data: dict[str, Any]

    @model_validator(mode="after")
    def _strings_are_cloudevents_strings(self) -> "CloudEvent":
        for name in _STRING_ATTRIBUTES:
            value = getattr(self, name)
            if value is not None and _NOT_A_STRING.search(value):
                raise ValueError(f"{name}: a CloudEvents String holds no control characters, surrogates or"
                                 " noncharacters")
        return self

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "CloudEvent":
        return cls.model_validate_json(raw)
