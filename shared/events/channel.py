"""Events produced by the channel service (topic `channel.events`)."""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import EventPayload


class ChannelEvent(EventPayload):
    producer: ClassVar[str] = "channel"


HospitalGrade = Literal["3A", "3B", "3C", "2A", "2B", "2C", "1A", "1B", "1C", "ungraded"]


class HospitalRegistered(ChannelEvent):
    event_name: ClassVar[str] = "HospitalRegistered"
    subject_field: ClassVar[str] = "hospital_id"

    hospital_id: UUID
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=100, description="province / city, e.g. 上海市")
    grade: HospitalGrade


class DistributorRegistered(ChannelEvent):
    event_name: ClassVar[str] = "DistributorRegistered"
    subject_field: ClassVar[str] = "distributor_id"

    distributor_id: UUID
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=100)
    tier: Literal["platinum", "gold", "silver", "standard"]
