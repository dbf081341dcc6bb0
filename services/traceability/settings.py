"""Traceability's own settings, read from the environment (beside the shared Settings). A bad value is refused when
they are read, naming the variable."""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TraceabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # The time zone of the places where the exported EPCIS events happen (warehouses, hospitals, distributors): its
    # offset at each event's instant is the event's eventTimeZoneOffset. The events carry no zone of their place, and
    # every place is in China today, so it is one IANA zone for all of them.
    place_time_zone: str = Field("Asia/Shanghai", alias="TRACEABILITY_PLACE_TIME_ZONE")

    @field_validator("place_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone such as Asia/Shanghai (not {value!r})") from None
        return value

    @property
    def place_zone(self) -> ZoneInfo:
        return ZoneInfo(self.place_time_zone)


@lru_cache(maxsize=1)
def traceability_settings() -> TraceabilitySettings:
    """Read once per process, at the first request that needs them."""
    return TraceabilitySettings()
