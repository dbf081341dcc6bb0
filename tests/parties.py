"""Hospitals and distributors registered through channel's own command handlers, for tests that need parties."""

from datetime import date
from uuid import UUID

from services.channel.application import ChannelApplication, parties
from services.channel.domain import Distributor, Hospital
from shared.platform.unit_of_work import UnitOfWork


def register_hospital(app: ChannelApplication, hospital_id: UUID, name: str, province: str, grade: str,
                      city: str | None = None) -> tuple[Hospital, bool]:
    """(call inside acting_as)"""
    return parties.register_hospital(parties.RegisterHospital(hospital_id=hospital_id, name=name, province=province,
                                                              grade=grade, city=city), UnitOfWork(app))


def register_distributor(app: ChannelApplication, distributor_id: UUID, name: str, region: str,
                         tier: str) -> tuple[Distributor, bool]:
    return parties.register_distributor(parties.RegisterDistributor(distributor_id=distributor_id, name=name,
                                                                    region=region, tier=tier), UnitOfWork(app))


def record_licence(app: ChannelApplication, distributor_id: UUID, document_type: str, number: str, valid_from: date,
                   valid_to: date) -> Distributor:
    return parties.record_licence(parties.RecordLicence(
        distributor_id=distributor_id, document_type=document_type, number=number, valid_from=valid_from,
        valid_to=valid_to), UnitOfWork(app))
