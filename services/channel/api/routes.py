"""Channel HTTP API: thin, typed; commands go to the application, lists come from the directory projection."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.events.channel import Contact, HospitalGrade
from shared.platform.api import REPLAYED, CommandMeta, IdempotencyKey
from shared.platform.auth import CurrentPrincipal
from shared.platform.idempotency import new_aggregate_id
from shared.platform.paging import Page, Paging, fetch_page
from shared.platform.problems import not_found

router = APIRouter(tags=["channel"])

Name = Annotated[str, Field(min_length=1, max_length=200)]
Region = Annotated[str, Field(min_length=1, max_length=100)]
Province = Annotated[str, Field(min_length=1, max_length=50, description="provincial-level division, e.g. 上海市, 四川省")]
City = Annotated[str, Field(min_length=1, max_length=50, description="e.g. 成都市")]


class ContactIn(Contact):
    """The person a recall officer calls (e.g. 设备科 at a hospital); a phone or an email is required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

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
    tier: Literal["platinum", "gold", "silver", "standard"]
    contact: ContactIn | None = None


class DistributorOut(BaseModel):
    distributor_id: UUID
    name: str
    region: str
    tier: str
    contact: Contact | None
    version: int


def _hospital_out(h) -> HospitalOut:  # noqa: ANN001
    return HospitalOut(hospital_id=h.id, name=h.name, province=h.province, city=h.city, grade=h.grade,
                       contact=h.contact, version=h.version)


def _distributor_out(d) -> DistributorOut:  # noqa: ANN001
    return DistributorOut(distributor_id=d.id, name=d.name, region=d.region, tier=d.tier, contact=d.contact,
                          version=d.version)


@router.post("/hospitals", status_code=status.HTTP_201_CREATED, operation_id="register_hospital", responses=REPLAYED)
def register_hospital(body: RegisterHospital, request: Request, response: Response, meta: CommandMeta,
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
def register_distributor(body: RegisterDistributor, request: Request, response: Response, meta: CommandMeta,
                         idempotency_key: IdempotencyKey = None) -> DistributorOut:
    distributor_id = new_aggregate_id("distributor", meta.actor, idempotency_key)
    distributor, created = request.app.state.application.register_distributor(
        distributor_id, body.name, body.region, body.tier, _contact(body.contact))
    if not created:
        response.status_code = status.HTTP_200_OK
    return _distributor_out(distributor)


@router.get("/distributors/{distributor_id}", operation_id="get_distributor")
def get_distributor(distributor_id: UUID, request: Request, _: CurrentPrincipal) -> DistributorOut:
    distributor = request.app.state.application.get_distributor(distributor_id)
    if distributor is None:
        raise not_found("Distributor", distributor_id)
    return _distributor_out(distributor)


def _contact(contact: ContactIn | None) -> dict | None:
    return None if contact is None else contact.model_dump(exclude_none=True)


@router.put("/hospitals/{hospital_id}/contact", operation_id="change_hospital_contact")
def change_hospital_contact(hospital_id: UUID, body: ContactIn, request: Request, meta: CommandMeta) -> HospitalOut:
    """Replace the hospital's contact (recall notices go to it); the same contact again records nothing."""
    hospital = request.app.state.application.get_hospital(hospital_id)
    if hospital is None:
        raise not_found("Hospital", hospital_id)
    return _hospital_out(request.app.state.application.change_contact(hospital, _contact(body)))


@router.put("/distributors/{distributor_id}/contact", operation_id="change_distributor_contact")
def change_distributor_contact(distributor_id: UUID, body: ContactIn, request: Request,
                               meta: CommandMeta) -> DistributorOut:
    distributor = request.app.state.application.get_distributor(distributor_id)
    if distributor is None:
        raise not_found("Distributor", distributor_id)
    return _distributor_out(request.app.state.application.change_contact(distributor, _contact(body)))
