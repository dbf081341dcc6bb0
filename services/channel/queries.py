"""What channel's API reads: its directory read model (projections/directory.py), paged and filtered."""

from datetime import date
from dataclasses import dataclass
from uuid import UUID

from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels


@dataclass(frozen=True)
class HospitalFilter:
    province: str | None = None
    grade: str | None = None
    name: str | None = None  # a substring, case-insensitive


@dataclass(frozen=True)
class DistributorFilter:
    region: str | None = None
    tier: str | None = None
    name: str | None = None


def hospitals(read: ReadModels, where: HospitalFilter, scope: DataScope, paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.hospitals", paging, order_by="name, hospital_id", where={
        "province = %s": where.province, "grade = %s": where.grade,
        "name ILIKE %s": f"%{where.name}%" if where.name else None,
        **scope.condition(hospital="hospital_id", region="province")})


def distributors(read: ReadModels, where: DistributorFilter, scope: DataScope,
                 paging: PageRequest) -> tuple[list[dict], int]:
    return read.page("{schema}.distributors", paging, order_by="name, distributor_id", where={
        "region = %s": where.region, "tier = %s": where.tier, "name ILIKE %s": f"%{where.name}%" if where.name else None,
        **scope.condition(distributor="distributor_id", region="region")})


def expiring_qualifications(read: ReadModels, by: date, kind: str | None, paging: PageRequest) -> tuple[list[dict], int]:
    """Qualification documents valid until `by` or before (expired ones too), soonest first, with the party's name."""
    return read.page(
        "{schema}.qualifications q LEFT JOIN {schema}.hospitals h ON h.hospital_id = q.party_id"
        " LEFT JOIN {schema}.distributors d ON d.distributor_id = q.party_id", paging,
        columns="q.*, coalesce(h.name, d.name) AS name", order_by="q.valid_to, q.party_id, q.number",
        where={"q.valid_to <= %s": by, "q.kind = %s": kind})


def price_lists(read: ReadModels, name: str | None, currency: str | None, gtin: str | None,
                paging: PageRequest) -> tuple[list[dict], int]:
    """Price lists by name, with how many GTINs each prices; filtered by name (a substring), currency and a GTIN
    they price."""
    return read.page(
        "{schema}.price_lists l", paging, order_by="l.name, l.price_list_id",
        columns="l.*, (SELECT count(DISTINCT p.gtin) FROM {schema}.list_prices p"
                " WHERE p.price_list_id = l.price_list_id) AS gtins".format(schema=read.schema),
        where={"l.name ILIKE %s": f"%{name}%" if name else None, "l.currency = %s": currency,
               "l.price_list_id IN (SELECT price_list_id FROM {schema}.list_prices WHERE gtin = %s)".format(
                   schema=read.schema): gtin})


class SqlItemMaster:
    """The item master port of the unit of work (application/__init__.py) on channel's copy (projections/items.py)."""

    def __init__(self, read: ReadModels) -> None:
        self.read = read

    def product_group(self, gtin: str) -> str | None:
        row = self.read.one("SELECT product_group FROM {schema}.items WHERE gtin = %s", (gtin,))
        return None if row is None else row["product_group"]


@dataclass(frozen=True)
class AlertFilter:
    status: str | None = None  # open | resolved
    distributor_id: UUID | None = None
    hospital_id: UUID | None = None
    serial: str | None = None


def diversion_alerts(read: ReadModels, where: AlertFilter, scope: DataScope,
                     paging: PageRequest) -> tuple[list[dict], int]:
    return read.page(
        "{schema}.diversion_alerts a LEFT JOIN {schema}.distributors d ON d.distributor_id = a.distributor_id"
        " LEFT JOIN {schema}.hospitals h ON h.hospital_id = a.hospital_id LEFT JOIN {schema}.items i ON i.gtin = a.gtin",
        paging, columns="a.*, a.gtin::text AS gtin, d.name AS distributor_name, h.name AS hospital_name,"
                        " i.name AS item_name",
        order_by="a.outcome IS NOT NULL, a.raised_at DESC, a.alert_id", where={
            "(a.outcome IS NULL) = %s": None if where.status is None else where.status == "open",
            "a.distributor_id = %s": where.distributor_id, "a.hospital_id = %s": where.hospital_id,
            "%s = ANY(a.serials)": where.serial,
            **scope.condition(distributor="a.distributor_id", region="d.region")})
