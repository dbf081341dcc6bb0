"""Hospitals and distributors: the parties the manufacturer sells to. Pure domain, no I/O."""

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate


class Hospital(TracedAggregate):
    class Registered(TracedAggregate.Created):
        """Version 2 records the province (channel policies are set per province) and, when known, the city.

        Stored events are immutable, so a version 1 event (with `region`) stays in the store as it
        was written and is upcast each time it is read: the library calls `upcast_v1_v2` for stored
        state without a `class_version`, and stores `class_version: 2` with every new event.
        """

        class_version = 2

        hospital_id: UUID
        name: str
        province: str
        city: str | None
        grade: str
        contact: dict[str, Any] | None  # absent from events recorded before contacts existed

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1's region was, in practice, the province (e.g. 上海市); v1 never knew the city.
            state["province"] = state.pop("region")
            state["city"] = None

    @event(Registered)
    def __init__(self, hospital_id: UUID, name: str, province: str, grade: str, city: str | None = None,
                 contact: dict[str, Any] | None = None) -> None:
        self.name = name
        self.province = province
        self.city = city
        self.grade = grade
        self.contact = contact

    @event("ContactChanged")
    def change_contact(self, contact: dict[str, Any]) -> None:
        self.contact = contact

    @staticmethod
    def create_id(hospital_id: UUID) -> UUID:
        return hospital_id


class Distributor(TracedAggregate):
    @event("Registered")
    def __init__(self, distributor_id: UUID, name: str, region: str, tier: str,
                 contact: dict[str, Any] | None = None) -> None:
        self.name = name
        self.region = region
        self.tier = tier
        self.contact = contact

    @event("ContactChanged")
    def change_contact(self, contact: dict[str, Any]) -> None:
        self.contact = contact

    @staticmethod
    def create_id(distributor_id: UUID) -> UUID:
        return distributor_id
