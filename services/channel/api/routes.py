"""Channel HTTP API: each route parses, runs a command handler (application/parties.py) or a query (queries.py),
and maps the answer."""

from datetime import timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status

from services.channel.api.models import (
    ActiveIn, AliasIn, AuthorizationIn, ContactIn, DistributorOut, DistributorRow, HospitalLicenceIn, HospitalOut, HospitalRow,
    LicenceIn, QualificationRow, ReasonIn, RegisterDistributor, RegisterHospital, Tier, contact_of, distributor_out, hospital_out,
)
from shared.events.channel import HospitalGrade
from shared.platform.access import COMPANY, DataScope, permitted
from shared.platform.api import REPLAYED, CallerScope, IdempotencyKey, command_by, command_reason
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work
from shared.platform.unit_of_work import UnitOfWork
from services.channel import queries
from services.channel.application import parties
from services.channel.domain import Distributor, Hospital
from shared.domain.business_day import business_today

router = APIRouter(tags=["channel"])
Work = Annotated[UnitOfWork, Depends(unit_of_work)]

# Hospitals and distributors are master data: kept by master-data staff or the channel managers. A hospital is
# within a scope naming it or its province; a distributor, one naming it or its region.
RegisterHospitalCommand = command_by("hospital:register", scope="hospital")
UpdateHospitalCommand = command_by("hospital:update", scope="hospital")
HospitalReader = permitted("hospital:read", scope="hospital")
RegisterDistributorCommand = command_by("distributor:register", scope="distributor")
UpdateDistributorCommand = command_by("distributor:update", scope="distributor")
AuthorizeDistributorCommand = command_by("distributor:authorize", scope="distributor")
DistributorReader = permitted("distributor:read", scope="distributor")
QualificationReader = permitted("distributor:read", scope=COMPANY)  # every party's: master data's worklist


def _hospital(uow: UnitOfWork, hospital_id: UUID, scope: DataScope) -> Hospital:
    hospital = parties.hospital(uow, hospital_id)
    scope.require("Hospital", hospital_id, hospitals=[hospital_id], regions=[hospital.province])
    return hospital


def _distributor(uow: UnitOfWork, distributor_id: UUID, scope: DataScope) -> Distributor:
    distributor = parties.distributor(uow, distributor_id)
    scope.require("Distributor", distributor_id, distributors=[distributor_id], regions=[distributor.region])
    return distributor


@router.post("/hospitals", status_code=status.HTTP_201_CREATED, operation_id="register_hospital", responses=REPLAYED)
def register_hospital(body: RegisterHospital, response: Response, meta: RegisterHospitalCommand, uow: Work,
                      scope: CallerScope, idempotency_key: IdempotencyKey = None) -> HospitalOut:
    scope.require_to_create("Hospital", regions=[body.province])
    hospital, created = parties.register_hospital(parties.RegisterHospital(
        hospital_id=new_aggregate_id("hospital", meta.actor, idempotency_key), name=body.name, province=body.province,
        grade=body.grade, city=body.city, contact=contact_of(body.contact)), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return hospital_out(hospital)


@router.get("/hospitals/{hospital_id}", operation_id="get_hospital")
def get_hospital(hospital_id: UUID, uow: Work, access: HospitalReader) -> HospitalOut:
    return hospital_out(_hospital(uow, hospital_id, access.scope))


@router.get("/hospitals", operation_id="list_hospitals")
def list_hospitals(read: Reads, access: HospitalReader, paging: Paging,
                   province: Annotated[str | None, Query(max_length=50)] = None,
                   # Kept so that an old client's filter still filters instead of being ignored (reads are harmless).
                   region: Annotated[str | None, Query(max_length=100, deprecated=True, description="use province")] = None,
                   grade: Annotated[HospitalGrade | None, Query()] = None,
                   name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
                   ) -> Page[HospitalRow]:
    return Page.of(HospitalRow, queries.hospitals(read, queries.HospitalFilter(province or region, grade, name),
                                                  access.scope, paging), paging)


@router.post("/distributors", status_code=status.HTTP_201_CREATED, operation_id="register_distributor",
             responses=REPLAYED)
def register_distributor(body: RegisterDistributor, response: Response, meta: RegisterDistributorCommand, uow: Work,
                         scope: CallerScope, idempotency_key: IdempotencyKey = None) -> DistributorOut:
    scope.require_to_create("Distributor", regions=[body.region])
    distributor, created = parties.register_distributor(parties.RegisterDistributor(
        distributor_id=new_aggregate_id("distributor", meta.actor, idempotency_key), name=body.name,
        region=body.region, tier=body.tier, contact=contact_of(body.contact)), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return distributor_out(distributor)


@router.get("/distributors", operation_id="list_distributors")
def list_distributors(read: Reads, access: DistributorReader, paging: Paging,
                      region: Annotated[str | None, Query(max_length=100)] = None,
                      tier: Annotated[Tier | None, Query()] = None,
                      name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
                      ) -> Page[DistributorRow]:
    return Page.of(DistributorRow, queries.distributors(read, queries.DistributorFilter(region, tier, name),
                                                        access.scope, paging), paging)


@router.get("/distributors/{distributor_id}", operation_id="get_distributor")
def get_distributor(distributor_id: UUID, uow: Work, access: DistributorReader) -> DistributorOut:
    return distributor_out(_distributor(uow, distributor_id, access.scope))


@router.put("/hospitals/{hospital_id}/contact", operation_id="change_hospital_contact")
def change_hospital_contact(hospital_id: UUID, body: ContactIn, meta: UpdateHospitalCommand, uow: Work,
                            scope: CallerScope) -> HospitalOut:
    """Replace the hospital's contact (recall notices go to it); the same contact again records nothing."""
    _hospital(uow, hospital_id, scope)
    return hospital_out(parties.change_contact(
        parties.ChangeContact(party_id=hospital_id, kind=Hospital, contact=contact_of(body)), uow))


@router.put("/distributors/{distributor_id}/contact", operation_id="change_distributor_contact")
def change_distributor_contact(distributor_id: UUID, body: ContactIn, meta: UpdateDistributorCommand,
                               uow: Work, scope: CallerScope) -> DistributorOut:
    _distributor(uow, distributor_id, scope)
    return distributor_out(parties.change_contact(
        parties.ChangeContact(party_id=distributor_id, kind=Distributor, contact=contact_of(body)), uow))


@router.post("/distributors/{distributor_id}/licences", operation_id="record_distributor_licence")
def record_licence(distributor_id: UUID, body: LicenceIn, meta: UpdateDistributorCommand, uow: Work,
                   scope: CallerScope) -> DistributorOut:
    """Record a qualification document (营业执照, 经营许可证, 备案凭证) with its validity. Orders through the distributor
    need the document its products' class requires, valid on the delivery day; the same document again records
    nothing, a renewal (same type and number) replaces it."""
    _distributor(uow, distributor_id, scope)
    return distributor_out(parties.record_licence(parties.RecordLicence(
        distributor_id=distributor_id, document_type=body.document_type, number=body.number,
        valid_from=body.valid_from, valid_to=body.valid_to, scope=body.scope), uow))


@router.post("/hospitals/{hospital_id}/licences", operation_id="record_hospital_licence")
def record_hospital_licence(hospital_id: UUID, body: HospitalLicenceIn, meta: UpdateHospitalCommand, uow: Work,
                            scope: CallerScope) -> HospitalOut:
    """Record the hospital's practice licence (医疗机构执业许可证) with its validity: orders for the hospital need one
    valid on the delivery day. The same document again records nothing; a renewal (same number) replaces it."""
    _hospital(uow, hospital_id, scope)
    return hospital_out(parties.record_licence(parties.RecordLicence(
        distributor_id=hospital_id, kind=Hospital, document_type=body.document_type, number=body.number,
        valid_from=body.valid_from, valid_to=body.valid_to, scope=body.scope), uow))


@router.post("/hospitals/{hospital_id}/aliases", operation_id="add_hospital_alias")
def add_hospital_alias(hospital_id: UUID, body: AliasIn, meta: UpdateHospitalCommand, uow: Work,
                       scope: CallerScope) -> HospitalOut:
    """Another name the hospital is known by in distributors' sell-out reports (e.g. 华西医院): lines naming it are
    matched to the hospital from now (流向清洗). The same alias again records nothing."""
    _hospital(uow, hospital_id, scope)
    return hospital_out(parties.add_hospital_alias(parties.AddHospitalAlias(hospital_id=hospital_id,
                                                                            alias=body.alias), uow))


@router.put("/hospitals/{hospital_id}/active", operation_id="set_hospital_active")
def set_hospital_active(hospital_id: UUID, body: ActiveIn, meta: UpdateHospitalCommand, uow: Work,
                        scope: CallerScope) -> HospitalOut:
    """Deactivate a hospital (no new orders for it), or reactivate it, with a reason."""
    command_reason(body.reason, meta)
    _hospital(uow, hospital_id, scope)
    return hospital_out(parties.set_party_active(parties.SetPartyActive(
        party_id=hospital_id, kind=Hospital, active=body.active), uow))


@router.put("/distributors/{distributor_id}/active", operation_id="set_distributor_active")
def set_distributor_active(distributor_id: UUID, body: ActiveIn, meta: UpdateDistributorCommand, uow: Work,
                           scope: CallerScope) -> DistributorOut:
    """Deactivate a distributor (no new orders through it), or reactivate it, with a reason."""
    command_reason(body.reason, meta)
    _distributor(uow, distributor_id, scope)
    return distributor_out(parties.set_party_active(parties.SetPartyActive(
        party_id=distributor_id, kind=Distributor, active=body.active), uow))


@router.post("/distributors/{distributor_id}/authorizations", operation_id="authorize_distributor")
def authorize_distributor(distributor_id: UUID, body: AuthorizationIn, meta: AuthorizeDistributorCommand, uow: Work,
                          scope: CallerScope) -> DistributorOut:
    """Grant an authorization (授权书): the products (GTINs, product groups) the distributor may sell, where
    (provinces, hospitals) and when. An order through the distributor is refused for a product, territory or day no
    authorization covers. The same letter again records nothing; its number is not reused."""
    _distributor(uow, distributor_id, scope)
    return distributor_out(parties.authorize(parties.Authorize(
        distributor_id=distributor_id, number=body.number, gtins=tuple(body.gtins),
        product_groups=tuple(body.product_groups), provinces=tuple(body.provinces), hospitals=tuple(body.hospitals),
        valid_from=body.valid_from, valid_to=body.valid_to, exclusive=body.exclusive,
        cities=tuple((c.province, c.city) for c in body.cities)), uow))


@router.post("/distributors/{distributor_id}/authorizations/{number}/revoke",
             operation_id="revoke_distributor_authorization")
def revoke_distributor_authorization(distributor_id: UUID, number: Annotated[str, Path(max_length=100)],
                                     body: ReasonIn, meta: AuthorizeDistributorCommand, uow: Work,
                                     scope: CallerScope) -> DistributorOut:
    """Revoke an authorization, with a reason: no new orders under it (orders accepted before stay)."""
    command_reason(body.reason, meta)
    _distributor(uow, distributor_id, scope)
    return distributor_out(parties.revoke_authorization(parties.RevokeAuthorization(
        distributor_id=distributor_id, number=number), uow))


@router.get("/qualifications/expiring", operation_id="list_expiring_qualifications")
def list_expiring_qualifications(read: Reads, _: QualificationReader, paging: Paging,
                                 within_days: Annotated[int, Query(ge=0, le=730)] = 60,
                                 kind: Annotated[Literal["hospital", "distributor"] | None, Query()] = None,
                                 ) -> Page[QualificationRow]:
    """Hospitals' and distributors' qualification documents that expire within `within_days` (or have expired),
    soonest first, with the party's name: master data's worklist to renew them before orders are refused."""
    today = business_today()
    rows, total = queries.expiring_qualifications(read, today + timedelta(days=within_days), kind, paging)
    found = [{**row, "days_left": (row["valid_to"] - today).days, "expired": row["valid_to"] < today} for row in rows]
    return Page.of(QualificationRow, (found, total), paging)
