"""Base of every event payload: the contract between a producing service and its consumers."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# Consumers ignore fields they do not know: producers may add optional fields without a new version.
_PAYLOAD_CONFIG = ConfigDict(frozen=True, extra="ignore")

GTIN = Annotated[str, Field(pattern=r"^\d{14}$", description="GTIN-14 (UDI-DI), check digit validated by the producer")]
LotNumber = Annotated[str, Field(min_length=1, max_length=20, description="GS1 AI (10): at most 20 characters")]
Quantity = Annotated[int, Field(gt=0)]
# A list an aggregate records as None when it has nothing to say (a keyword's default), read as empty.
NoneIsEmpty = BeforeValidator(lambda value: [] if value is None else value)
Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def _must_be_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_must_be_aware)]


class EventPayload(BaseModel):
    """A fact, named in the past tense. Subclasses set the class variables below."""

    model_config = _PAYLOAD_CONFIG

    producer: ClassVar[str]
    event_name: ClassVar[str]
    schema_version: ClassVar[int] = 1
    # The payload field that repeats the aggregate id (the envelope's subject), for readability.
    subject_field: ClassVar[str]

    @classmethod
    def event_type(cls) -> str:
        return f"erp.{cls.producer}.{cls.event_name}"


class ValueObject(BaseModel):
    model_config = _PAYLOAD_CONFIG


__all__ = ["GTIN", "AwareDatetime", "CurrencyCode", "EventPayload", "LotNumber", "Money", "Quantity", "ValueObject", "date"]
