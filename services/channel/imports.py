"""What the channel imports from a company's existing files (shared/platform/imports.py): hospitals, with their
contact and practice licence (医疗机构执业许可证). Each row runs through the API's own input models and the
handlers of application/parties.py, so it meets every rule `POST /hospitals` and `POST /hospitals/{id}/licences` do.

A hospital is found by its name (names are unique, compared normalised): a row naming one on record registers
nothing and records its licence only if that licence is new, so importing the same file again changes nothing.
"""

from typing import Any
from uuid import NAMESPACE_URL, uuid5

from services.channel.api.models import HospitalLicenceIn, RegisterHospital, contact_of
from services.channel.application import parties
from services.channel.domain.parties import name_key
from shared.platform.access import DataScope
from shared.platform.imports import Column, ImportKind, ImportRow, Outcome, RowError, validated
from shared.platform.unit_of_work import UnitOfWork

HOSPITAL_COLUMNS = (
    Column("name", "the hospital's registered name", True, ("医院名称", "hospital_name"), "上海市第一人民医院"),
    Column("province", "its province (省级行政区, as 上海市, 江苏省)", True, ("省份",), "上海市"),
    Column("city", "its city (地级市), optional", False, ("城市",), "上海市"),
    Column("grade", "3A, 3B, 3C, 2A, 2B, 2C, 1A, 1B, 1C or ungraded (医院等级)", True, ("等级", "医院等级"), "3A"),
    Column("contact_name", "whom a recall officer calls (e.g. 设备科), optional; with a phone or an email", False,
           ("联系人",), "设备科 王老师"),
    Column("contact_phone", "the contact's phone", False, ("联系电话",), "021-63240090"),
    Column("contact_email", "the contact's email", False, ("邮箱",), ""),
    Column("licence_number", "医疗机构执业许可证 number, optional; with its validity", False, ("执业许可证号",),
           "PDY00001131010118A1001"),
    Column("licence_valid_from", "the licence's first day (YYYY-MM-DD)", False, ("许可证生效日期",), "2024-01-01"),
    Column("licence_valid_to", "its last day", False, ("许可证有效期至",), "2029-12-31"),
    Column("licence_scope", "诊疗科目 as the licence states it, optional", False, ("诊疗科目",), ""),
)
# The API models' fields, as the file's columns name them (so that an error names the column).
_CONTACT = {"contact.name": "contact_name", "contact.phone": "contact_phone", "contact.email": "contact_email",
            "contact": "contact_name"}
_LICENCE = {"number": "licence_number", "valid_from": "licence_valid_from", "valid_to": "licence_valid_to",
            "scope": "licence_scope", "": "licence_valid_to"}


def import_hospital(row: ImportRow, uow: UnitOfWork) -> Outcome:
    v = row.values
    contact = None
    if any(k in v for k in ("contact_name", "contact_phone", "contact_email")):
        contact = {"name": v.get("contact_name"), "phone": v.get("contact_phone"), "email": v.get("contact_email")}
    body = validated(RegisterHospital, {"name": v.get("name"), "province": v.get("province"), "city": v.get("city"),
                                        "grade": v.get("grade"), "contact": contact}, _CONTACT)
    licence = None
    if any(k in v for k in ("licence_number", "licence_valid_from", "licence_valid_to", "licence_scope")):
        licence = validated(HospitalLicenceIn, {"number": v.get("licence_number"),
                                                "valid_from": v.get("licence_valid_from"),
                                                "valid_to": v.get("licence_valid_to"),
                                                "scope": v.get("licence_scope")}, _LICENCE)
    # The hospital on record under this name, else an id of its own derived from the name: the same everywhere.
    hospital_id = (uow.claimant("hospital-name", name_key(body.name))
                   or uuid5(NAMESPACE_URL, f"urn:erp-md:import:hospital:{name_key(body.name)}"))
    _, created = parties.register_hospital(parties.RegisterHospital(
        hospital_id=hospital_id, name=body.name, province=body.province, grade=body.grade, city=body.city,
        contact=contact_of(body.contact)), uow)
    changed = False
    if licence is not None:
        before = parties.hospital(uow, hospital_id).version
        after = parties.record_licence(parties.RecordLicence(
            distributor_id=hospital_id, kind=parties.Hospital, document_type=licence.document_type,
            number=licence.number, valid_from=licence.valid_from, valid_to=licence.valid_to, scope=licence.scope), uow)
        changed = after.version != before
    return "created" if created else "changed" if changed else "unchanged"


def hospital_in_scope(row: ImportRow, scope: DataScope) -> None:
    """A regional user imports hospitals of its own provinces only, as it registers them."""
    if not scope.covers(regions=[row.get("province") or ""]):
        raise RowError("province", "within-scope", "this hospital would be outside your data scope")


HOSPITALS = ImportKind(
    name="hospitals", service="channel", permission="hospital:register", scope="hospital",
    columns=HOSPITAL_COLUMNS, apply=import_hospital,
    description="hospitals with their contact and practice licence (医疗机构执业许可证)")

IMPORTS: tuple[ImportKind, ...] = (HOSPITALS,)
SCOPE_CHECKS: dict[str, Any] = {"hospitals": hospital_in_scope}
