"""Channel HTTP API: thin, typed; commands go to the application, lists come from the directory projection."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.text import Name, ShortName, multi_line, single_line
from shared.domain.validity import ValidityPeriod
from shared.events.channel import Contact, DistributorDocumentType, HospitalGrade
from shared.platform.api import REPLAYED, IdempotencyKey, command_by
from shared.platform.auth import CHANNEL_MANAGER, MASTER_DATA, CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import not_found

router = APIRouter(tags=["channel"])

# Hospitals and distributors are master data: kept by master-data staff or the channel managers.
MasterDataCommand = command_by(MASTER_DATA, CHANNEL_MANAGER)

Region = single_line(100)
Province = single_line(50, "provincial-level division, e.g. 上海市, 四川省")
City = single_line(50, "e.g. 成都市")
Tier = Literal["platinum", "gold", "silver", "standard"]


class ContactIn(Contact):
    """The person a recall officer calls (e.g. 设备科 at a hospital); a phone or an email is required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    name: ShortName

    @model_validator(mode="after")
    def _reachable(self) -> "ContactIn":
        if self.phone is None and self.email is None:
            raise ValueError("give a phone or an email")
        return self


class RegisterHospital(BaseModel):
    # No `region` alias: v1's free text was not always a province, and channel rules key on the province.
    # A client still sending `region` gets a 422 naming the field, rather than a guess stored forever.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name
    province: Province
    city: City | None = None
    grade: HospitalGrade
    contact: ContactIn | None = None


class HospitalOut(BaseModel):
    hospital_id: UUID
    name: str
    province: str
    city: str | None
    grade: str
    contact: Contact | None
    version: int


class HospitalRow(BaseModel):
    hospital_id: UUID
    name: str
    province: str
    city: str | None
    grade: str
    registered_at: datetime


class RegisterDistributor(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: Name
    region: Region
    tier: Tier
    contact: ContactIn | None = None


class LicenceIn(ValidityPeriod):
    document_type: DistributorDocumentType = Field(
        description="business_licence 营业执照; distribution_licence 医疗器械经营许可证 (class III);"
                    " filing_certificate 第二类医疗器械经营备案凭证 (class II)")
    number: single_line(100, "the document's number")  # type: ignore[valid-type]
    scope: multi_line(2000, "经营范围 as the document states it") | None = None  # type: ignore[valid-type]


class LicenceOut(BaseModel):
    document_type: str
    number: str
    valid_from: date
    valid_to: date
    scope: str | None
    valid_today: bool


class DistributorOut(BaseModel):
    distributor_id: UUID
    name: str
    region: str
    tier: str
    contact: Contact | None
    licences: list[LicenceOut] = Field(default_factory=list)
    version: int


class DistributorRow(BaseModel):
    distributor_id: UUID
    name: str
    region: str
    tier: str
    registered_at: datetime


def _hospital_out(h) -> HospitalOut:  # noqa: ANN001
    return HospitalOut(hospital_id=h.id, name=h.name, province=h.province, city=h.city, grade=h.grade,
                       contact=h.contact, version=h.version)


def _distributor_out(d) -> DistributorOut:  # noqa: ANN001
    today = date.today()
    return DistributorOut(distributor_id=d.id, name=d.name, region=d.region, tier=d.tier, contact=d.contact,
                          licences=[LicenceOut(**doc, valid_today=doc["valid_from"] <= today <= doc["valid_to"])
                                    for doc in d.licences], version=d.version)


@router.post("/hospitals", status_code=status.HTTP_201_CREATED, operation_id="register_hospital", responses=REPLAYED)
def register_hospital(body: RegisterHospital, request: Request, response: Response, meta: MasterDataCommand,
                      idempotency_key: IdempotencyKey = None) -> HospitalOut:
    hospital_id = new_aggregate_id("hospital", meta.actor, idempotency_key)
    hospital, created = request.app.state.application.register_hospital(
        hospital_id, body.name, body.province, body.grade, body.city, _contact(body.contact))
    if not created:
        response.status_code = status.HTTP_200_OK
    return _hospital_out(hospital)


@router.get("/hospitals/{hospital_id}", operation_id="get_hospital")
def get_hospital(hospital_id: UUID, request: Request, _: CurrentPrincipal) -> HospitalOut:
    hospital = request.app.state.application.get_hospital(hospital_id)
    if hospital is None:
        raise not_found("Hospital", hospital_id)
    return _hospital_out(hospital)


@router.get("/hospitals", operation_id="list_hospitals")
def list_hospitals(request: Request, _: CurrentPrincipal, paging: Paging,
                   province: Annotated[str | None, Query(max_length=50)] = None,
                   # Kept so that an old client's filter still filters instead of being ignored (reads are harmless).
                   region: Annotated[str | None, Query(max_length=100, deprecated=True, description="use province")] = None,
                   grade: Annotated[HospitalGrade | None, Query()] = None,
                   name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
                   ) -> Page[HospitalRow]:
    rows, total = fetch_page(
        request.app.state.pool, f"{request.app.state.schema}.hospitals", paging, order_by="name, hospital_id",
        where={"province = %s": province or region, "grade = %s": grade, "name ILIKE %s": f"%{name}%" if name else None},
    )
    return Page(items=[HospitalRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.post("/distributors", status_code=status.HTTP_201_CREATED, operation_id="register_distributor",
             responses=REPLAYED)
def register_distributor(body: RegisterDistributor, request: Request, response: Response, meta: MasterDataCommand,
                         idempotency_key: IdempotencyKey = None) -> DistributorOut:
    distributor_id = new_aggregate_id("distributor", meta.actor, idempotency_key)
    distributor, created = request.app.state.application.register_distributor(
        distributor_id, body.name, body.region, body.tier, _contact(body.contact))
    if not created:
        response.status_code = status.HTTP_200_OK
    return _distributor_out(distributor)


@router.get("/distributors", operation_id="list_distributors")
def list_distributors(request: Request, _: CurrentPrincipal, paging: Paging,
                      region: Annotated[str | None, Query(max_length=100)] = None,
                      tier: Annotated[Tier | None, Query()] = None,
                      name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
                      ) -> Page[DistributorRow]:
    rows, total = fetch_page(
        request.app.state.pool, f"{request.app.state.schema}.distributors", paging, order_by="name, distributor_id",
        where={"region = %s": region, "tier = %s": tier, "name ILIKE %s": f"%{name}%" if name else None},
    )
    return Page(items=[DistributorRow(**r) for r in rows], total=total, limit=paging.limit, offset=paging.offset)


@router.get("/distributors/{distributor_id}", operation_id="get_distributor")
def get_distributor(distributor_id: UUID, request: Request, _: CurrentPrincipal) -> DistributorOut:
    distributor = request.app.state.application.get_distributor(distributor_id)
    if distributor is None:
        raise not_found("Distributor", distributor_id)
    return _distributor_out(distributor)


def _contact(contact: ContactIn | None) -> dict | None:
    return None if contact is None else contact.model_dump(exclude_none=True)


@router.put("/hospitals/{hospital_id}/contact", operation_id="change_hospital_contact")
def change_hospital_contact(hospital_id: UUID, body: ContactIn, request: Request,
                            meta: MasterDataCommand) -> HospitalOut:
    """Replace the hospital's contact (recall notices go to it); the same contact again records nothing."""
    hospital = request.app.state.application.get_hospital(hospital_id)
    if hospital is None:
        raise not_found("Hospital", hospital_id)
    return _hospital_out(request.app.state.application.change_contact(hospital, _contact(body)))


@router.put("/distributors/{distributor_id}/contact", operation_id="change_distributor_contact")
def change_distributor_contact(distributor_id: UUID, body: ContactIn, request: Request,
                               meta: MasterDataCommand) -> DistributorOut:
    distributor = request.app.state.application.get_distributor(distributor_id)
    if distributor is None:
        raise not_found("Distributor", distributor_id)
    return _distributor_out(request.app.state.application.change_contact(distributor, _contact(body)))


@router.post("/distributors/{distributor_id}/licences", operation_id="record_distributor_licence")
def record_licence(distributor_id: UUID, body: LicenceIn, request: Request, meta: MasterDataCommand) -> DistributorOut:
    """Record a qualification document (营业执照, 经营许可证, 备案凭证) with its validity. Orders through the distributor
    need the document its products' class requires, valid on the delivery day; the same document again records
    nothing, a renewal (same type and number) replaces it."""
    distributor = request.app.state.application.get_distributor(distributor_id)
    if distributor is None:
        raise not_found("Distributor", distributor_id)
    return _distributor_out(request.app.state.application.record_licence(
        distributor, body.document_type, body.number, body.valid_from, body.valid_to, body.scope))
