"""Commands on the parties the manufacturer sells to: register a hospital or a distributor (once, under a name no
other party of its kind has), change a contact, record a licence (a distributor's 经营许可证 or 备案凭证, a hospital's
医疗机构执业许可证), deactivate or reactivate a party (the order service refuses new orders for an inactive one)."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from services.channel.domain import Distributor, Hospital
from services.channel.domain.parties import name_key
from services.channel.domain.territories import TERRITORY_REGISTER_ID, TerritoryRegister, grant_of
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.eventstore import UniqueClaim
from shared.platform.idempotency import create_once
from shared.platform.unit_of_work import UnitOfWork
from shared.platform.command import Command


class RegisterHospital(Command):
    hospital_id: UUID
    name: str
    province: str
    grade: str
    city: str | None = None
    contact: dict[str, Any] | None = None


class RegisterDistributor(Command):
    distributor_id: UUID
    name: str
    region: str
    tier: str
    contact: dict[str, Any] | None = None


class ChangeContact(Command):
    party_id: UUID
    kind: type[Hospital] | type[Distributor]
    contact: dict[str, Any]


class RecordLicence(Command):
    distributor_id: UUID  # the party: a distributor, or a hospital with kind=Hospital
    kind: type[Hospital] | type[Distributor] = Distributor
    document_type: str
    number: str
    valid_from: date
    valid_to: date
    scope: str | None = None


def register_hospital(command: RegisterHospital, uow: UnitOfWork) -> tuple[Hospital, bool]:
    """The hospital, and whether this command created it (False: a retry found the first one)."""
    def create() -> Hospital:
        _claim_name(uow, "hospital", command.hospital_id, command.name)
        return Hospital(hospital_id=command.hospital_id, name=command.name, province=command.province,
                        grade=command.grade, city=command.city, contact=command.contact)

    return create_once(uow, command.hospital_id, Hospital, create)


def register_distributor(command: RegisterDistributor, uow: UnitOfWork) -> tuple[Distributor, bool]:
    def create() -> Distributor:
        _claim_name(uow, "distributor", command.distributor_id, command.name)
        return Distributor(distributor_id=command.distributor_id, name=command.name, region=command.region,
                           tier=command.tier, contact=command.contact)

    return create_once(uow, command.distributor_id, Distributor, create)


def _claim_name(uow: UnitOfWork, kind: str, party_id: UUID, name: str) -> None:
    """Names are unique per kind (compared normalised): two hospitals of one name are two customers to a recall
    officer calling down a list."""
    claim = UniqueClaim(f"{kind}-name", name_key(name), party_id)
    holder = uow.claimant(claim.kind, claim.value)
    if holder is not None and holder != party_id:
        raise RuleViolation(f"{kind}-name-unique", f"a {kind} named {name!r} is already registered ({holder}):"
                            f" use it, or tell the two apart in the name (e.g. a campus: （东院）)", "name",
                            **{f"existing_{kind}_id": holder})
    uow.claim(claim)


def change_contact(command: ChangeContact, uow: UnitOfWork) -> Hospital | Distributor:
    """Replace the party's contact; the same contact again (a retry) records nothing."""
    party = _party(uow, command.party_id, command.kind)
    if party.contact != command.contact:
        party.change_contact(command.contact)
        uow.collect(party)
    uow.commit()
    return party


def record_licence(command: RecordLicence, uow: UnitOfWork) -> Any:
    party = _party(uow, command.distributor_id, command.kind)
    if party.record_licence(command.document_type, command.number, command.valid_from, command.valid_to,
                            command.scope):
        uow.collect(party)
    uow.commit()
    return party


class Authorize(Command):
    distributor_id: UUID
    number: str
    gtins: tuple[str, ...] = ()
    product_groups: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    hospitals: tuple[UUID, ...] = ()
    valid_from: date
    valid_to: date
    exclusive: bool = False
    cities: tuple[tuple[str, str], ...] = ()  # (province, city)


class RevokeAuthorization(Command):
    distributor_id: UUID
    number: str  # the reason is the request's


def authorize(command: Authorize, uow: UnitOfWork) -> Distributor:
    """Grant the authorization and register its territory against every other distributor's, in one transaction:
    refused where it would overlap another's where either is exclusive (domain/territories.py)."""
    distributor = _party(uow, command.distributor_id, Distributor)
    hospital_provinces, hospital_cities = {}, {}
    cities = [{"province": p, "city": c} for p, c in command.cities]
    for n, hospital_id in enumerate(command.hospitals):
        hospital = uow.get(hospital_id, Hospital)
        if hospital is None:
            raise InvalidReference(f"hospitals[{n}]", "registered-hospital", "name a registered hospital",
                                   f"no hospital {hospital_id} is registered")
        hospital_provinces[str(hospital_id)] = hospital.province
        hospital_cities[str(hospital_id)] = (hospital.province, hospital.city)
    if distributor.authorize(command.number, list(command.gtins), list(command.product_groups),
                             list(command.provinces), list(command.hospitals), command.valid_from, command.valid_to,
                             command.exclusive, cities):
        register = uow.get(TERRITORY_REGISTER_ID, TerritoryRegister) or TerritoryRegister()
        register.claim(distributor.id, grant_of(
            command.number, list(command.gtins), list(command.product_groups), list(command.provinces),
            hospital_provinces, command.valid_from, command.valid_to, command.exclusive, cities, hospital_cities))
        uow.collect(distributor, register)
    uow.commit()
    return distributor


def revoke_authorization(command: RevokeAuthorization, uow: UnitOfWork) -> Distributor:
    distributor = _party(uow, command.distributor_id, Distributor)
    if distributor.revoke_authorization(command.number):
        uow.collect(distributor)
        register = uow.get(TERRITORY_REGISTER_ID, TerritoryRegister)
        if register is not None and register.release(distributor.id, command.number):
            uow.collect(register)
    uow.commit()
    return distributor


class AddHospitalAlias(Command):
    hospital_id: UUID
    alias: str


def add_hospital_alias(command: AddHospitalAlias, uow: UnitOfWork) -> Hospital:
    """Record another name the hospital is known by (sell-out cleansing matches it); the same one again records
    nothing. A name that is another hospital's own is refused: a report naming it would be ambiguous."""
    hospital = _party(uow, command.hospital_id, Hospital)
    holder = uow.claimant("hospital-name", name_key(command.alias))
    if holder is not None and holder != hospital.id:
        raise RuleViolation("alias-not-another-hospital", f"{command.alias!r} is the registered name of hospital"
                            f" {holder}", "alias", existing_hospital_id=holder)
    if hospital.add_alias(command.alias):
        uow.collect(hospital)
    uow.commit()
    return hospital


class PlaceDistributor(Command):
    distributor_id: UUID
    level: str
    parent_distributor_id: UUID | None = None


def place_distributor(command: PlaceDistributor, uow: UnitOfWork) -> Distributor:
    distributor = _party(uow, command.distributor_id, Distributor)
    parent = None
    if command.parent_distributor_id is not None:
        parent = uow.get(command.parent_distributor_id, Distributor)
        if parent is None:
            raise InvalidReference("parent_distributor_id", "registered-distributor", "name a registered distributor",
                                   f"no distributor {command.parent_distributor_id} is registered")
    if distributor.place(command.level, parent):
        uow.collect(distributor)
    uow.commit()
    return distributor


class SetTarget(Command):
    distributor_id: UUID
    period: str
    amount: Decimal | None = None
    units: int | None = None


def set_target(command: SetTarget, uow: UnitOfWork) -> Distributor:
    distributor = _party(uow, command.distributor_id, Distributor)
    if distributor.set_target(command.period, command.amount, command.units):
        uow.collect(distributor)
    uow.commit()
    return distributor


class SetPartyActive(Command):
    party_id: UUID
    kind: type[Hospital] | type[Distributor]
    active: bool  # the reason is the request's


def set_party_active(command: SetPartyActive, uow: UnitOfWork) -> Any:
    party = _party(uow, command.party_id, command.kind)
    if party.set_active(command.active):
        uow.collect(party)
    uow.commit()
    return party


def _party(uow: UnitOfWork, party_id: UUID, kind: type) -> Any:
    party = uow.get(party_id, kind)
    if party is None:
        raise NotFound(kind.__name__, party_id)
    return party


def hospital(uow: UnitOfWork, hospital_id: UUID) -> Hospital:
    return _party(uow, hospital_id, Hospital)


def distributor(uow: UnitOfWork, distributor_id: UUID) -> Distributor:
    return _party(uow, distributor_id, Distributor)
