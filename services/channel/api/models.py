"""Channel's request and response models: what the API takes and answers (routes.py maps them to commands)."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.channel.domain import Distributor, Hospital
from shared.domain.text import Name, ShortName, multi_line, single_line
from shared.domain.validity import ValidityPeriod
from shared.events.channel import Contact, DistributorDocumentType, HospitalGrade
from shared.domain.business_day import business_today

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
    active: bool = True
    licences: list["LicenceOut"] = Field(default_factory=list, description="医疗机构执业许可证")
    aliases: list[str] = Field(default_factory=list, description="other names distributors' reports use for it")
    version: int


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    alias: Name


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


class HospitalLicenceIn(ValidityPeriod):
    document_type: Literal["practice_licence"] = Field("practice_licence", description="医疗机构执业许可证")
    number: single_line(100, "the document's number")  # type: ignore[valid-type]
    scope: multi_line(2000, "诊疗科目 as the document states it") | None = None  # type: ignore[valid-type]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class ActiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    active: bool = Field(description="false: no new orders for it (or through it); true: reactivated")
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


class CityIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)
    province: Province  # type: ignore[valid-type]
    city: City  # type: ignore[valid-type]


class AuthorizationIn(ValidityPeriod):
    number: single_line(100, "the authorization letter's number")  # type: ignore[valid-type]
    gtins: list[Annotated[str, Field(pattern=r"^\d{14}$")]] = Field(default_factory=list, max_length=1000)
    product_groups: list[single_line(100, "a product group")] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=100)
    provinces: list[Province] = Field(default_factory=list, max_length=40)  # type: ignore[valid-type]
    hospitals: list[UUID] = Field(default_factory=list, max_length=1000)
    cities: list[CityIn] = Field(default_factory=list, max_length=400, description="cities, each with its province")
    exclusive: bool = Field(False, description="no other distributor may be authorized for these products in this"
                                               " territory over any of these days (409 naming the one that is)")


class AuthorizationOut(BaseModel):
    number: str
    gtins: list[str]
    product_groups: list[str]
    provinces: list[str]
    cities: list[dict[str, str]] = Field(default_factory=list)
    hospitals: list[str]
    valid_from: date
    valid_to: date
    revoked: bool = False
    exclusive: bool = False
    valid_today: bool


class QualificationRow(BaseModel):
    party_id: UUID
    kind: Literal["hospital", "distributor"]
    name: str | None
    document_type: str
    number: str
    valid_from: date
    valid_to: date
    days_left: int = Field(description="negative: expired that many days ago")
    expired: bool


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
    active: bool = True
    licences: list[LicenceOut] = Field(default_factory=list)
    authorizations: list[AuthorizationOut] = Field(default_factory=list, description="授权书: what it may sell where")
    level: str | None = Field(None, description="tier_1 (一级经销商), tier_2 (二级经销商) or delivery (配送商)")
    parent_distributor_id: UUID | None = Field(None, description="a tier-2's tier-1 supplier")
    targets: dict[str, dict] = Field(default_factory=dict, description="per period: amount (net of VAT) and units")
    version: int


class DistributorRow(BaseModel):
    distributor_id: UUID
    name: str
    region: str
    tier: str
    level: str | None = None
    parent_distributor_id: UUID | None = None
    registered_at: datetime


def hospital_out(h: Hospital) -> HospitalOut:
    return HospitalOut(hospital_id=h.id, name=h.name, province=h.province, city=h.city, grade=h.grade,
                       contact=h.contact, active=h.active, licences=_licences_out(h.licences), aliases=h.aliases,
                       version=h.version)


def _licences_out(licences: list[dict]) -> list[LicenceOut]:
    today = business_today()
    return [LicenceOut(**doc, valid_today=doc["valid_from"] <= today <= doc["valid_to"]) for doc in licences]


def distributor_out(d: Distributor) -> DistributorOut:
    return DistributorOut(distributor_id=d.id, name=d.name, region=d.region, tier=d.tier, contact=d.contact,
                          active=d.active, licences=_licences_out(d.licences),
                          authorizations=[AuthorizationOut(**a, valid_today=not a.get("revoked") and a[
                              "valid_from"] <= business_today() <= a["valid_to"]) for a in d.authorizations],
                          level=d.level, parent_distributor_id=d.parent_id, targets=d.targets, version=d.version)


def contact_of(contact: ContactIn | None) -> dict | None:
    return None if contact is None else contact.model_dump(exclude_none=True)


HospitalOut.model_rebuild()  # its licences are LicenceOut, defined after it
