"""What the channel imports from a company's existing files (shared/platform/imports.py): hospitals, with their
contact and practice licence (医疗机构执业许可证), and distributors with their contact and qualifications. Each row
runs through the API's own input models and the handlers of application/parties.py, so it meets every rule
`POST /hospitals`, `POST /distributors`, their `/licences` and `/contact` routes do.

A party is found by its name (names are unique per kind, compared normalised): a row naming one on record registers
nothing, refuses a province, grade, region or tier other than the record's, and changes its contact or records a
licence only when they are new, so importing the same file again changes nothing.
"""

import re
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from services.channel.api.models import (
    AuthorizationIn, HospitalLicenceIn, LicenceIn, RegisterDistributor, RegisterHospital, contact_of,
)
from services.channel.application import parties
from services.channel.domain.parties import name_key
from shared.platform.access import COMPANY, DataScope
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
    body = validated(RegisterHospital, {"name": v.get("name"), "province": v.get("province"), "city": v.get("city"),
                                        "grade": v.get("grade"), "contact": _contact(v)}, _CONTACT)
    licence = None
    if any(k in v for k in ("licence_number", "licence_valid_from", "licence_valid_to", "licence_scope")):
        licence = validated(HospitalLicenceIn, {"number": v.get("licence_number"),
                                                "valid_from": v.get("licence_valid_from"),
                                                "valid_to": v.get("licence_valid_to"),
                                                "scope": v.get("licence_scope")}, _LICENCE)
    # The hospital on record under this name, else an id of its own derived from the name: the same everywhere.
    hospital_id = (uow.claimant("hospital-name", name_key(body.name))
                   or uuid5(NAMESPACE_URL, f"urn:erp-md:import:hospital:{name_key(body.name)}"))
    hospital, created = parties.register_hospital(parties.RegisterHospital(
        hospital_id=hospital_id, name=body.name, province=body.province, grade=body.grade, city=body.city,
        contact=contact_of(body.contact)), uow)
    if not created:
        _same_as_on_record(hospital, {"province": body.province, "grade": body.grade})
    return _outcome(created, uow, hospital_id, parties.Hospital, contact_of(body.contact),
                    [(licence.document_type, licence)] if licence else [])


def _contact(v: dict[str, str]) -> dict[str, str | None] | None:
    if not any(k in v for k in ("contact_name", "contact_phone", "contact_email")):
        return None
    return {"name": v.get("contact_name"), "phone": v.get("contact_phone"), "email": v.get("contact_email")}


def _same_as_on_record(party: Any, asked: dict[str, Any]) -> None:
    """A party found by its name is the one on record: a row saying otherwise is refused, not silently ignored."""
    for column, value in asked.items():
        if getattr(party, column) != value:
            raise RowError(column, "party-on-record", f"{party.name} is on record with {column}"
                                                      f" {getattr(party, column)!r}, not {value!r}")


def _outcome(created: bool, uow: UnitOfWork, party_id: Any, kind: Any, contact: dict | None,
             licences: list[tuple[str, Any]]) -> Outcome:
    """The party's contact (when the row gives one) and licences, through the same handlers as the routes; what is
    on record as the row says records nothing."""
    found = parties.hospital if kind is parties.Hospital else parties.distributor
    before = found(uow, party_id).version
    if contact is not None and not created:
        parties.change_contact(parties.ChangeContact(party_id=party_id, kind=kind, contact=contact), uow)
    for document_type, licence in licences:
        parties.record_licence(parties.RecordLicence(
            distributor_id=party_id, kind=kind, document_type=document_type, number=licence.number,
            valid_from=licence.valid_from, valid_to=licence.valid_to, scope=licence.scope), uow)
    changed = found(uow, party_id).version != before
    return "created" if created else "changed" if changed else "unchanged"


def hospital_in_scope(row: ImportRow, scope: DataScope, uow: UnitOfWork) -> None:
    """A regional user imports hospitals of its own provinces only, as it registers them."""
    if not scope.covers(regions=[row.get("province") or ""]):
        raise RowError("province", "within-scope", "this hospital would be outside your data scope")


DISTRIBUTOR_DOCUMENTS = {"business_licence": "营业执照", "distribution_licence": "经营许可证",
                         "filing_certificate": "备案凭证"}
DISTRIBUTOR_COLUMNS = (
    Column("name", "the distributor's registered name", True, ("经销商名称", "distributor_name"), "华东医疗器械有限公司"),
    Column("region", "its region (a province, as 江苏省)", True, ("区域", "省份"), "江苏省"),
    Column("tier", "pricing tier: platinum, gold, silver or standard", True, ("价格等级",), "gold"),
    Column("contact_name", "whom a recall officer calls, optional; with a phone or an email", False, ("联系人",), ""),
    Column("contact_phone", "the contact's phone", False, ("联系电话",), ""),
    Column("contact_email", "the contact's email", False, ("邮箱",), ""),
    *(column for document, chinese in DISTRIBUTOR_DOCUMENTS.items() for column in (
        Column(f"{document}_number", f"{chinese} number, optional; with its validity", False, (f"{chinese}编号",),
               "苏药监械经营许20190001" if document == "distribution_licence" else ""),
        Column(f"{document}_valid_from", "its first day (YYYY-MM-DD)", False, (f"{chinese}生效日期",),
               "2024-01-01" if document == "distribution_licence" else ""),
        Column(f"{document}_valid_to", "its last day", False, (f"{chinese}有效期至",),
               "2029-12-31" if document == "distribution_licence" else ""),
        Column(f"{document}_scope", "经营范围 as the document states it, optional", False, (f"{chinese}经营范围",), ""))),
)


def import_distributor(row: ImportRow, uow: UnitOfWork) -> Outcome:
    """A distributor with its qualifications (营业执照, 经营许可证, 备案凭证), as `POST /distributors` and
    `POST /distributors/{id}/licences` record them; found by its name when on record. Authorizations (授权书) are
    not imported yet."""
    v = row.values
    body = validated(RegisterDistributor, {"name": v.get("name"), "region": v.get("region"), "tier": v.get("tier"),
                                           "contact": _contact(v)}, _CONTACT)
    licences = []
    for document in DISTRIBUTOR_DOCUMENTS:
        columns = {"number": f"{document}_number", "valid_from": f"{document}_valid_from",
                   "valid_to": f"{document}_valid_to", "scope": f"{document}_scope", "": f"{document}_valid_to"}
        if any(c in v for c in columns.values()):
            licences.append((document, validated(LicenceIn, {"document_type": document, **{
                field: v.get(column) for field, column in columns.items() if field}}, columns)))
    distributor_id = (uow.claimant("distributor-name", name_key(body.name))
                      or uuid5(NAMESPACE_URL, f"urn:erp-md:import:distributor:{name_key(body.name)}"))
    distributor, created = parties.register_distributor(parties.RegisterDistributor(
        distributor_id=distributor_id, name=body.name, region=body.region, tier=body.tier,
        contact=contact_of(body.contact)), uow)
    if not created:
        _same_as_on_record(distributor, {"region": body.region, "tier": body.tier})
    return _outcome(created, uow, distributor_id, parties.Distributor, contact_of(body.contact), licences)


def distributor_in_scope(row: ImportRow, scope: DataScope, uow: UnitOfWork) -> None:
    if not scope.covers(regions=[row.get("region") or ""]):
        raise RowError("region", "within-scope", "this distributor would be outside your data scope")


DISTRIBUTORS = ImportKind(
    name="distributors", service="channel", permission="distributor:register", scope="distributor",
    columns=DISTRIBUTOR_COLUMNS, apply=import_distributor,
    # Its licences are recorded as `POST /distributors/{id}/licences` does: with distributor:update.
    row_permission=lambda row: "distributor:update" if any(
        k.endswith(("_number", "_valid_from", "_valid_to", "_scope")) or k.startswith("contact_")
        for k in row.values) else None,
    description="distributors with their contact and qualifications (营业执照, 经营许可证, 备案凭证)")

HOSPITALS = ImportKind(
    name="hospitals", service="channel", permission="hospital:register", scope="hospital",
    columns=HOSPITAL_COLUMNS, apply=import_hospital,
    # Its licence and a changed contact are recorded as `POST /hospitals/{id}/licences` and `PUT …/contact` do.
    row_permission=lambda row: "hospital:update" if any(
        k.startswith(("licence_", "contact_")) for k in row.values) else None,
    description="hospitals with their contact and practice licence (医疗机构执业许可证)")

PRICE_LIST_COLUMNS = (
    Column("price_list", "the price list's name: created by the first row naming it (ids derived from the name), or"
                         " give price_list_id for one created otherwise", False, ("价格表",), "2026 标准价"),
    Column("price_list_id", "the id of an existing price list, instead of its name", False, ("价格表ID",), ""),
    Column("currency", "a new list's currency (CNY when empty)", False, ("币种",), "CNY"),
    Column("tax_included", "a new list's prices include VAT: true (the default, 含税) or false", False, ("含税",), "true"),
    Column("gtin", "the item's GTIN", True, ("产品标识", "UDI-DI"), "09506000134352"),
    Column("price", "the list price of one unit", True, ("价格", "单价"), "1480.00"),
    Column("valid_from", "the first day (YYYY-MM-DD)", True, ("生效日期",), "2026-01-01"),
    Column("valid_to", "the last day, empty for open-ended", False, ("失效日期",), ""),
)


def import_list_price(row: ImportRow, uow: UnitOfWork) -> Outcome:
    """A list price, as `POST /price-lists` and `POST /price-lists/{id}/prices` record it (a period overlapping
    another of the same GTIN is refused; the same price again records nothing)."""
    from services.channel.api.prices import ListPriceIn, PriceListIn
    from services.channel.application import prices

    v = row.values
    price = validated(ListPriceIn, {k: v.get(k) for k in ("gtin", "price", "valid_from", "valid_to")})
    created = False
    if "price_list_id" in v:
        try:
            price_list_id = UUID(v["price_list_id"])
        except ValueError:
            raise RowError("price_list_id", "uuid", "a price list id is a UUID") from None
        prices.price_list_of(uow, price_list_id)
    elif "price_list" in v:
        body = validated(PriceListIn, {"name": v["price_list"], "currency": v.get("currency"),
                                       "tax_included": v.get("tax_included")}, {"name": "price_list"})
        price_list_id = uuid5(NAMESPACE_URL, f"urn:erp-md:import:price-list:{name_key(body.name)}")
        price_list, created = prices.create_price_list(prices.CreatePriceList(
            price_list_id=price_list_id, name=body.name, currency=body.currency, tax_included=body.tax_included), uow)
        if (price_list.currency, price_list.tax_included) != (body.currency, body.tax_included):
            raise RowError("currency", "price-list-on-record", f"price list {body.name} is on record in"
                                                               f" {price_list.currency}, tax included"
                                                               f" {price_list.tax_included}")
    else:
        raise RowError("price_list", "missing", "name the price list (price_list or price_list_id)")
    before = prices.price_list_of(uow, price_list_id).version
    after = prices.set_list_price(prices.SetListPrice(price_list_id=price_list_id, gtin=price.gtin, price=price.price,
                                                      valid_from=price.valid_from, valid_to=price.valid_to), uow)
    return "created" if created else "changed" if after.version != before else "unchanged"


PRICE_LISTS = ImportKind(
    name="price-lists", service="channel", permission="price:manage", scope=COMPANY, columns=PRICE_LIST_COLUMNS,
    apply=import_list_price, description="list prices per GTIN and period, by price list")

AUTHORIZATION_COLUMNS = (
    Column("distributor", "the distributor's name, as registered", True, ("经销商名称", "distributor_name"),
           "华东医疗器械有限公司"),
    Column("number", "the authorization letter's number", True, ("授权书编号",), "SQ-2026-001"),
    Column("gtins", "GTINs it covers, separated by ; (or product_groups)", False, ("产品标识",), "09506000134352"),
    Column("product_groups", "product groups it covers, separated by ;", False, ("产品组",), ""),
    Column("provinces", "provinces, separated by ;", False, ("授权省份",), "江苏省"),
    Column("cities", "cities as province/city, separated by ;", False, ("授权城市",), ""),
    Column("hospitals", "hospitals by their registered names, separated by ;", False, ("授权医院",), ""),
    Column("valid_from", "the first day (YYYY-MM-DD)", True, ("生效日期",), "2026-01-01"),
    Column("valid_to", "the last day", True, ("失效日期", "有效期至"), "2026-12-31"),
    Column("exclusive", "true: no other distributor may share a product, territory and day with it", False,
           ("独家",), "false"),
)
_LIST = re.compile(r"[;；、\n]+")


def _items(value: str | None) -> list[str]:
    return [item.strip() for item in _LIST.split(value or "") if item.strip()]


def _distributor_named(row: ImportRow, uow: UnitOfWork) -> Any:
    name = row.get("distributor") or ""
    distributor_id = uow.claimant("distributor-name", name_key(name)) if name else None
    if distributor_id is None:
        raise RowError("distributor", "registered-distributor", f"no distributor named {name!r} is registered")
    return parties.distributor(uow, distributor_id)


def import_authorization(row: ImportRow, uow: UnitOfWork) -> Outcome:
    """An authorization (授权书), as `POST /distributors/{id}/authorizations` grants it: registered against every
    other distributor's territory (an exclusive overlap is refused, naming the other); the same letter again records
    nothing."""
    v = row.values
    distributor = _distributor_named(row, uow)
    hospitals = []
    for n, name in enumerate(_items(v.get("hospitals"))):
        hospital_id = uow.claimant("hospital-name", name_key(name))
        if hospital_id is None:
            raise RowError("hospitals", "registered-hospital", f"no hospital named {name!r} is registered")
        hospitals.append(hospital_id)
    cities = []
    for pair in _items(v.get("cities")):
        province, _, city = pair.partition("/")
        cities.append({"province": province.strip(), "city": city.strip()})
    body = validated(AuthorizationIn, {
        "number": v.get("number"), "gtins": _items(v.get("gtins")), "product_groups": _items(v.get("product_groups")),
        "provinces": _items(v.get("provinces")), "cities": cities, "hospitals": hospitals,
        "valid_from": v.get("valid_from"), "valid_to": v.get("valid_to"),
        "exclusive": v.get("exclusive", "false")}, {"": "valid_to"})
    before = distributor.version
    after = parties.authorize(parties.Authorize(
        distributor_id=distributor.id, number=body.number, gtins=tuple(body.gtins),
        product_groups=tuple(body.product_groups), provinces=tuple(body.provinces), hospitals=tuple(body.hospitals),
        valid_from=body.valid_from, valid_to=body.valid_to, exclusive=body.exclusive,
        cities=tuple((c.province, c.city) for c in body.cities)), uow)
    return "created" if after.version != before else "unchanged"


def authorization_in_scope(row: ImportRow, scope: DataScope, uow: UnitOfWork) -> None:
    """The distributor named must be within the caller's scope, as `_distributor` requires on the route (a
    distributor outside it is answered as unknown)."""
    if scope.everything:
        return
    distributor = _distributor_named(row, uow)
    if not scope.covers(distributors=[distributor.id], regions=[distributor.region]):
        raise RowError("distributor", "registered-distributor",
                       f"no distributor named {row.get('distributor')!r} is registered")


AUTHORIZATIONS = ImportKind(
    name="distributor-authorizations", service="channel", permission="distributor:authorize", scope="distributor",
    columns=AUTHORIZATION_COLUMNS, apply=import_authorization,
    field_columns={"number": "number", "valid_from": "valid_from", "valid_to": "valid_to"},
    description="distributors' authorizations (授权书): products, territory, period, exclusivity")

IMPORTS: tuple[ImportKind, ...] = (HOSPITALS, DISTRIBUTORS, AUTHORIZATIONS, PRICE_LISTS)
SCOPE_CHECKS: dict[str, Any] = {"hospitals": hospital_in_scope, "distributors": distributor_in_scope,
                                "distributor-authorizations": authorization_in_scope}
