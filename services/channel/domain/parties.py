"""Hospitals and distributors: the parties the manufacturer sells to. Pure domain, no I/O."""

from uuid import UUID

from eventsourcing.domain import event

from shared.platform.aggregate import TracedAggregate


class Hospital(TracedAggregate):
    @event("Registered")
    def __init__(self, hospital_id: UUID, name: str, region: str, grade: str) -> None:
        self.name = name
        self.region = region
        self.grade = grade

    @staticmethod
    def create_id(hospital_id: UUID) -> UUID:
        return hospital_id


class Distributor(TracedAggregate):
    @event("Registered")
    def __init__(self, distributor_id: UUID, name: str, region: str, tier: str) -> None:
        self.name = name
        self.region = region
        self.tier = tier

    @staticmethod
    def create_id(distributor_id: UUID) -> UUID:
        return distributor_id
