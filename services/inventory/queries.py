"""What inventory's API reads from its read models (projections/): the item master list, stock on hand and what
nears expiry, serialised units, suppliers and returns — paged and filtered. (The reads its rules ask are ports:
application/__init__.py.)"""

from dataclasses import dataclass
from uuid import UUID
from datetime import date, timedelta

from services.inventory.domain.retention import ARCHIVABLE_FROM_SQL
from services.inventory.projections.stock import STATUS_SQL
from shared.platform.access import DataScope
from shared.platform.paging import PageRequest
from shared.platform.read_models import ReadModels

Found = tuple[list[dict], int]  # a page of rows, and how many match in all

# What can still be reserved: nothing unless the lot is available (released, not held).
_AVAILABLE_SQL = "CASE WHEN quality = 'available' AND NOT held THEN on_hand - allocated ELSE 0 END"


@dataclass(frozen=True)
class StockFilter:
    gtin: str | None = None
    lot: str | None = None
    warehouse: str | None = None
    expiring_before: date | None = None
    status: str | None = None  # quarantine, available, on_hold, rejected


@dataclass(frozen=True)
class SerialFilter:
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    status: str | None = None  # in_stock, shipped, returned, scrapped


@dataclass(frozen=True)
class ReturnFilter:
    reason: str | None = None
    gtin: str | None = None
    lot: str | None = None
    disposition: str | None = None


def items(read: ReadModels, name: str | None, device_class: int | None, paging: PageRequest) -> Found:
    return read.page("{schema}.items", paging, order_by="name, gtin", where={
        "name ILIKE %s": f"%{name}%" if name else None, "device_class = %s": device_class})


def stock(read: ReadModels, where: StockFilter, paging: PageRequest) -> Found:
    return read.page(
        "{schema}.stock_on_hand s LEFT JOIN {schema}.items i USING (gtin)", paging,
        columns=f"s.*, i.name AS item_name, {STATUS_SQL} AS status, {_AVAILABLE_SQL} AS available",
        order_by="s.gtin, s.expiry, s.lot, s.warehouse",
        where={"s.gtin = %s": where.gtin, "s.lot = %s": where.lot, "s.warehouse = %s": where.warehouse,
               "s.expiry < %s": where.expiring_before, f"{STATUS_SQL} = %s": where.status})


def consignment_stock(read: ReadModels, consignee_id: UUID | None, loaner_order_id: UUID | None, gtin: str | None,
                      paging: PageRequest) -> Found:
    return read.page("{schema}.consignment_stock s JOIN {schema}.consignment_locations l USING (location_id)",
                     paging, order_by="l.consignee_id, s.gtin, s.expiry, s.lot", where={
                         "l.consignee_id = %s": consignee_id, "l.loaner_order_id = %s": loaner_order_id,
                         "s.gtin = %s": gtin})


def near_expiry(read: ReadModels, today: date, within_days: int, gtin: str | None, warehouse: str | None,
                paging: PageRequest) -> Found:
    """Stock on hand expiring within `within_days` of `today`, earliest first, expired stock included."""
    return read.page(
        "{schema}.stock_on_hand", paging,
        columns=f"*, {STATUS_SQL} AS status, expiry - DATE '{today.isoformat()}' AS days_left",  # a date, not input
        order_by="expiry, gtin, lot, warehouse",
        where={"on_hand > %s": 0, "expiry <= %s": today + timedelta(days=within_days), "gtin = %s": gtin,
               "warehouse = %s": warehouse})


def serials(read: ReadModels, where: SerialFilter, paging: PageRequest) -> Found:
    return read.page("{schema}.serials", paging, order_by="gtin, lot, serial", where={
        "gtin = %s": where.gtin, "lot = %s": where.lot, "serial = %s": where.serial, "status = %s": where.status})


def suppliers(read: ReadModels, name: str | None, paging: PageRequest) -> Found:
    return read.page("{schema}.suppliers", paging, order_by="name, supplier_id", where={"name = %s": name})


def returns(read: ReadModels, where: ReturnFilter, scope: DataScope, paging: PageRequest) -> Found:
    return read.page("{schema}.returns", paging, order_by="returned_at DESC, return_id, line_no", where={
        "reason = %s": where.reason, "gtin = %s": where.gtin, "lot = %s": where.lot,
        "disposition = %s": where.disposition,
        **scope.condition(hospital="hospital_id", region="(SELECT province FROM {schema}.hospital_provinces p"
                                                         " WHERE p.hospital_id = returns.hospital_id)".format(
                                                             schema=read.schema))})


def hospital_province(read: ReadModels, hospital_id: UUID) -> str | None:
    """The hospital's province, as inventory learned it from channel (None if not yet learned)."""
    row = read.one("SELECT province FROM {schema}.hospital_provinces WHERE hospital_id = %s", (hospital_id,))
    return None if row is None else row["province"]


def fulfilment_queue(read: ReadModels, state: str | None, waiting: bool | None, hospital_id: UUID | None,
                     scope: DataScope, paging: PageRequest) -> Found:
    """Fulfilments within the caller's scope, the earliest delivery date first: with `waiting`, those with units
    reserved and not yet shipped (the pick list)."""
    return read.page("{schema}.fulfilment_queue q LEFT JOIN {schema}.hospital_provinces h"
                     " ON h.hospital_id = q.hospital_id", paging,
                     columns="q.*, h.name AS hospital_name, greatest(q.reserved - q.picked, 0) AS to_pick",
                     order_by="coalesce(q.requested_delivery_date, q.requested_at::date), q.requested_at, q.order_id",
                     where={"q.state = %s": state, "(q.reserved > 0) = %s": waiting, "q.hospital_id = %s": hospital_id,
                            **scope.condition(hospital="q.hospital_id", distributor="q.distributor_id",
                                              region="h.province")})


def udi_submission(read: ReadModels, limit: int, offset: int) -> tuple[list[dict], dict[str, dict[str, dict]], int]:
    """Items for the UDI database's submission file, by GTIN, one bounded slice: the items' rows, their packaging
    levels (gtin -> level -> row) and how many items there are in all."""
    total = read.one("SELECT count(*) AS n FROM {schema}.udi_items")["n"]
    items = read.all("SELECT * FROM {schema}.udi_items ORDER BY gtin LIMIT %s OFFSET %s", (limit, offset))
    packaging: dict[str, dict[str, dict]] = {}
    if items:
        for row in read.all("SELECT * FROM {schema}.udi_packaging WHERE gtin = ANY(%s)",
                            ([i["gtin"] for i in items],)):
            packaging.setdefault(row["gtin"].strip(), {})[row["level"]] = row
    return items, packaging, total


@dataclass(frozen=True)
class RetentionFilter:
    before: date | None = None  # archivable on or before this day (implants never are)
    lot_class: str | None = None  # implant, standard
    gtin: str | None = None


def retention(read: ReadModels, where: RetentionFilter, paging: PageRequest) -> Found:
    """Per lot: its expiry, the last day purchase or sales records were made of it, its class and the first day its
    records may be archived (domain/retention.py; null for implants: kept for ever)."""
    lots = ("(SELECT l.gtin, l.lot, l.expiry, l.first_recorded, l.last_movement, i.name AS item_name,"
            " coalesce(i.implant, false) AS implant,"
            " CASE WHEN coalesce(i.implant, false) THEN 'implant' ELSE 'standard' END AS lot_class,"
            f" CASE WHEN coalesce(i.implant, false) THEN NULL ELSE {ARCHIVABLE_FROM_SQL} END AS archivable_from"
            " FROM {schema}.retention_lots l LEFT JOIN {schema}.retention_items i USING (gtin)) r")
    return read.page(lots, paging, order_by="r.archivable_from NULLS LAST, r.gtin, r.lot", where={
        "r.archivable_from <= %s": where.before, "r.lot_class = %s": where.lot_class, "r.gtin = %s": where.gtin})
