"""Channel commands: register the hospitals and distributors everything else refers to, and the distributors'
qualification documents."""

from datetime import date
from uuid import UUID

from shared.domain.rules import RuleViolation
from shared.events import channel as contracts
from shared.platform.eventstore import ServiceApplication, UniqueClaim
from shared.platform.idempotency import create_once
from services.channel.domain import Distributor, Hospital
from services.channel.domain.parties import name_key


class ChannelApplication(ServiceApplication):
    service = "channel"
    published = {
        Hospital.Registered: contracts.HospitalRegistered,
        Distributor.Registered: contracts.DistributorRegistered,
        Hospital.ContactChanged: contracts.HospitalContactChanged,
        Distributor.ContactChanged: contracts.DistributorContactChanged,
        Distributor.LicenceRecorded: contracts.DistributorLicenceRecorded,
    }

    def register_hospital(self, hospital_id: UUID, name: str, province: str, grade: str,
                          city: str | None = None, contact: dict | None = None) -> tuple[Hospital, bool]:
        return self._register_once("hospital", hospital_id, name, lambda: Hospital(
            hospital_id=hospital_id, name=name, province=province, grade=grade, city=city, contact=contact))

    def register_distributor(self, distributor_id: UUID, name: str, region: str, tier: str,
                             contact: dict | None = None) -> tuple[Distributor, bool]:
        return self._register_once("distributor", distributor_id, name, lambda: Distributor(
            distributor_id=distributor_id, name=name, region=region, tier=tier, contact=contact))

    def _register_once(self, kind: str, party_id: UUID, name: str, create):  # noqa: ANN001, ANN202
        """Create the party once (by its id), and only under a name no other party of its kind has."""
        if self.exists(party_id):
            return self.repository.get(party_id), False
        claim = UniqueClaim(f"{kind}-name", name_key(name), party_id)
        holder = self.claimant(claim.kind, claim.value)
        if holder is not None and holder != party_id:
            raise RuleViolation(f"{kind}-name-unique", f"a {kind} named {name!r} is already registered ({holder}):"
                                f" use it, or tell the two apart in the name (e.g. a campus: （东院）)", "name",
                                **{f"existing_{kind}_id": holder})
        return create_once(self, party_id, create, unique_claims=[claim])

    def change_contact(self, party: Hospital | Distributor, contact: dict) -> Hospital | Distributor:
        if party.contact != contact:  # the same contact again (a retry) records nothing
            party.change_contact(contact)
            self.save(party)
        return party

    def record_licence(self, distributor: Distributor, document_type: str, number: str, valid_from: date,
                       valid_to: date, scope: str | None) -> Distributor:
        if distributor.record_licence(document_type, number, valid_from, valid_to, scope):
            self.save(distributor)
        return distributor

    def get_hospital(self, hospital_id: UUID) -> Hospital | None:
        return self.get_aggregate(hospital_id, Hospital)

    def get_distributor(self, distributor_id: UUID) -> Distributor | None:
        return self.get_aggregate(distributor_id, Distributor)
