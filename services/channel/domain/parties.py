"""Hospitals and distributors: the parties the manufacturer sells to. Pure domain, no I/O.

Names are unique per kind: two hospitals of the same name would be two customers to a recall officer calling down
a list. Names are compared normalised (`name_key`): full- and half-width forms, case and spacing do not make a new
name.
"""

import unicodedata
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate


def name_key(name: str) -> str:
    """A name as compared for uniqueness: NFKC (full-width Ａ and （ are A and (), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


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

    @property
    def licences(self) -> list[dict[str, Any]]:
        return self.__dict__.get("_licences", [])  # distributors registered before licences were recorded have none

    def record_licence(self, document_type: str, number: str, valid_from: date, valid_to: date,
                       scope: str | None) -> bool:
        """Record a qualification document; the same document again records nothing (False)."""
        if valid_to < valid_from:
            raise RuleViolation("valid-period", f"valid_to {valid_to} is before valid_from {valid_from}", "valid_to")
        document = {"document_type": document_type, "number": number, "valid_from": valid_from,
                    "valid_to": valid_to, "scope": scope}
        if document in self.licences:
            return False
        self._licence_recorded(**document)
        return True

    @event("LicenceRecorded")
    def _licence_recorded(self, document_type: str, number: str, valid_from: date, valid_to: date,
                          scope: str | None) -> None:
        # A renewal (same type and number) replaces the document it renews.
        kept = [d for d in self.licences if (d["document_type"], d["number"]) != (document_type, number)]
        self.__dict__["_licences"] = [*kept, {"document_type": document_type, "number": number,
                                              "valid_from": valid_from, "valid_to": valid_to, "scope": scope}]

    @staticmethod
    def create_id(distributor_id: UUID) -> UUID:
        return distributor_id
