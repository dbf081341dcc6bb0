"""Channel commands: register the hospitals and distributors everything else refers to."""

from uuid import UUID

from shared.events import channel as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.idempotency import create_once
from services.channel.domain import Distributor, Hospital


class ChannelApplication(ServiceApplication):
    service = "channel"
    published = {
        Hospital.Registered: contracts.HospitalRegistered,
        Distributor.Registered: contracts.DistributorRegistered,
        Hospital.ContactChanged: contracts.HospitalContactChanged,
        Distributor.ContactChanged: contracts.DistributorContactChanged,
    }

    def register_hospital(self, hospital_id: UUID, name: str, province: str, grade: str,
                          city: str | None = None, contact: dict | None = None) -> tuple[Hospital, bool]:
        return create_once(self, hospital_id, lambda: Hospital(hospital_id=hospital_id, name=name, province=province,
                                                               grade=grade, city=city, contact=contact))

    def register_distributor(self, distributor_id: UUID, name: str, region: str, tier: str,
                             contact: dict | None = None) -> tuple[Distributor, bool]:
        return create_once(self, distributor_id, lambda: Distributor(
            distributor_id=distributor_id, name=name, region=region, tier=tier, contact=contact))

    def change_contact(self, party: Hospital | Distributor, contact: dict) -> Hospital | Distributor:
        if party.contact != contact:  # the same contact again (a retry) records nothing
            party.change_contact(contact)
            self.save(party)
        return party

    def get_hospital(self, hospital_id: UUID) -> Hospital | None:
        return self.get_aggregate(hospital_id, Hospital)

    def get_distributor(self, distributor_id: UUID) -> Distributor | None:
        return self.get_aggregate(distributor_id, Distributor)

