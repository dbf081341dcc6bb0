"""What traceability imports from a company's existing files (shared/platform/imports.py): historical shipments,
the lines the company shipped before go-live, so that a recall finds the hospitals that received the goods. Each
row goes through application/historical_shipments.py (a hospital or distributor registered in the channel, a GS1
lot, not in the future) and lands in the lineage like a dispatch, and in the as-of lookup at its original date.

The hospital is named as the sell-out files name it (its name, an alias, its code or its id), matched against the
terminal master by the same cleansing (domain/terminal_matching.py); a name that fits no hospital, or several, is
the row's error. A line is keyed by its delivery note number, GTIN and lot: the same line again (this file or a
corrected one) records nothing; the same key with other facts is the row's error.
"""

from datetime import date, datetime, time
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.application.historical_shipments import (
    RecordHistoricalShipment, record_historical_shipment,
)
from services.traceability.domain.terminal_matching import match
from shared.domain.gtin import GS1Date, GTINInput, LotInput, SerialInput
from shared.domain.text import single_line
from shared.platform.access import COMPANY
from shared.platform.imports import Column, ImportKind, ImportRow, Outcome, RowError, validated

# A day without a time is that day's start where the company's records were kept: China.
RECORDS_ZONE = ZoneInfo("Asia/Shanghai")

HISTORICAL_SHIPMENT_COLUMNS = (
    Column("shipment_reference", "the old system's delivery note (出库单/随货同行单) number", True,
           ("出库单号", "随货同行单号", "delivery_note"), "CK-2025-000123"),
    Column("shipped_at", "when it was shipped: a day (YYYY-MM-DD, taken in China's zone) or a time with its offset",
           True, ("发货日期", "出库日期"), "2025-06-30"),
    Column("hospital", "the hospital it went to (or, through a distributor, was for): its name, an alias, its code or"
                       " id, as registered in the channel", True, ("医院名称", "hospital_name", "终端名称"),
           "上海市第一人民医院"),
    Column("distributor_id", "the distributor it was shipped to, when not direct (its id in the channel)", False,
           ("经销商ID",), ""),
    Column("gtin", "the item's GTIN (UDI-DI)", True, ("产品标识", "UDI-DI"), "09506000134352"),
    Column("lot", "lot number", True, ("批号",), "L2401A"),
    Column("expiry", "expiry date (YYYY-MM-DD)", True, ("有效期至", "失效日期"), "2027-06-30"),
    Column("quantity", "units shipped", True, ("数量",), "10"),
    Column("serials", "serial numbers of serialised units, one per unit, separated by ; or spaces", False,
           ("序列号",), ""),
    Column("ship_from", "the warehouse or site it left from, optional", False, ("发货仓库",), "WH-SH"),
)


class HistoricalShipmentRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    shipment_reference: single_line(100, "the delivery note number")  # type: ignore[valid-type]
    shipped_at: date | datetime  # a day alone first: a date string is not taken as a naive midnight
    hospital: single_line(200, "the hospital")  # type: ignore[valid-type]
    distributor_id: UUID | None = None
    gtin: GTINInput
    lot: LotInput
    expiry: GS1Date
    quantity: int = Field(gt=0, le=1_000_000)
    serials: list[SerialInput] | None = Field(None, max_length=10_000)
    ship_from: Annotated[str, Field(min_length=1, max_length=100)] | None = None


def shipment_line_id(reference: str, gtin: str, lot: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"urn:erp-md:historical-shipment:{reference}:{gtin}:{lot}")


def import_historical_shipment(row: ImportRow, uow: TraceabilityUnitOfWork) -> Outcome:
    v = dict(row.values)
    serials = [s for s in v.pop("serials").replace(";", " ").replace(",", " ").split() if s] if "serials" in v else None
    line = validated(HistoricalShipmentRow, {**v, "serials": serials})
    shipped_at = line.shipped_at
    if not isinstance(shipped_at, datetime):
        shipped_at = datetime.combine(shipped_at, time.min, RECORDS_ZONE)
    elif shipped_at.tzinfo is None:
        raise RowError("shipped_at", "time-zone", "a time needs its offset (e.g. +08:00), or give the day alone")
    found = match(line.hospital, uow.master_data.terminals([line.hospital]))
    if not found.matched:
        raise RowError("hospital", "registered-hospital",
                       f"{line.hospital!r} is {'several hospitals' if found.candidates else 'no hospital'} of the"
                       " channel's terminal master: name it as registered (or by its id)")
    line_id = shipment_line_id(line.shipment_reference, line.gtin, line.lot)
    shipment, created = record_historical_shipment(RecordHistoricalShipment(
        shipment_line_id=line_id, shipment_reference=line.shipment_reference, hospital_id=found.hospital_id,
        distributor_id=line.distributor_id, shipped_at=shipped_at, gtin=line.gtin, lot=line.lot, expiry=line.expiry,
        quantity=line.quantity, serials=tuple(line.serials) if line.serials else None, ship_from=line.ship_from), uow)
    if not created and (shipment.quantity, shipment.hospital_id, shipment.distributor_id, shipment.shipped_at,
                        shipment.expiry) != (line.quantity, found.hospital_id, line.distributor_id, shipped_at,
                                             line.expiry):
        raise RowError("shipment_reference", "historical-shipment-unique",
                       f"delivery note {line.shipment_reference} already has {line.gtin} lot {line.lot} on record with"
                       " other facts")
    return "created" if created else "unchanged"


HISTORICAL_SHIPMENTS = ImportKind(
    name="historical-shipments", service="traceability", permission="recall:manage", scope=COMPANY,
    columns=HISTORICAL_SHIPMENT_COLUMNS, apply=import_historical_shipment,
    field_columns={"hospital_id": "hospital", "distributor_id": "distributor_id"},
    description="shipments before go-live, so that a recall finds who received the goods")

IMPORTS: tuple[ImportKind, ...] = (HISTORICAL_SHIPMENTS,)
