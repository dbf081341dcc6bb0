"""Channel's request and response models: what the API takes and answers (routes.py maps them to commands)."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.channel.domain import Distributor, Hospital
from shared.domain.text import Name, ShortName, multi_line, single_line
from shared.domain.validity import ValidityPeriod
from shared.events.channel import Contact, DistributorDocumentType, HospitalGrade

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


def hospital_out(h: Hospital) -> HospitalOut:
    return HospitalOut(hospital_id=h.id, name=h.name, province=h.province, city=h.city, grade=h.grade,
                       contact=h.contact, version=h.version)


def distributor_out(d: Distributor) -> DistributorOut:
    today = date.today()
    return DistributorOut(distributor_id=d.id, name=d.name, region=d.region, tier=d.tier, contact=d.contact,
                          licences=[LicenceOut(**doc, valid_today=doc["valid_from"] <= today <= doc["valid_to"])
                                    for doc in d.licences], version=d.version)


def contact_of(contact: ContactIn | None) -> dict | None:
    return None if contact is None else contact.model_dump(exclude_none=True)
