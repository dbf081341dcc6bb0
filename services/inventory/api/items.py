"""The item master over HTTP: register and list items (GTIN-keyed), and their master data — UDI-DIs per packaging
level, registration certificate (注册证), storage conditions, tracking. Handlers: application/item_master.py."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from services.inventory import queries
from services.inventory.api.common import ItemCommand, ItemReader, SalesBlockCommand, Work
from services.inventory.application import item_master
from services.inventory.documents import udi_submission
from shared.domain.gtin import GTINInput
from shared.domain.text import Description, Name, single_line
from shared.domain.validity import ValidityPeriod
from shared.platform.api import REPLAYED, command_reason
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads

router = APIRouter()
ItemGTIN = Annotated[GTINInput, Path()]


class RegisterItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    name: Name
    device_class: int = Field(ge=1, le=3, description="NMPA device class I, II or III")
    model: single_line(200, "型号规格: the model / specification on the label") | None = None  # type: ignore[valid-type]
    manufacturer: single_line(200, "生产企业: who makes the device") | None = None  # type: ignore[valid-type]
    vat_rate: Decimal | None = Field(None, ge=0, lt=1, max_digits=5, decimal_places=4,
                                     description="VAT rate, e.g. 0.13 (the 13% devices carry when absent)")


class ItemOut(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    model: str | None = None
    manufacturer: str | None = None
    vat_rate: Decimal = Field(description="its VAT rate: its own, else the 13% devices carry")
    version: int


class ItemRow(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    model: str | None
    manufacturer: str | None
    certificate_number: str | None = Field(description="注册证编号, when one is on record")
    certificate_valid_to: date | None


class PackagingLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    level: Literal["box", "case"] = Field(description="the item's own GTIN is the each level (quantity 1)")
    gtin: GTINInput = Field(description="the UDI-DI (GTIN-14) printed on this packaging level")
    quantity: int = Field(ge=2, le=1_000_000, description="units of the item (each) in one package of this level")


class RegistrationCertificateIn(ValidityPeriod):
    number: single_line(100, "注册证编号, e.g. 国械注准20193130001")  # type: ignore[valid-type]
    holder: single_line(200, "注册人 (registration holder)")  # type: ignore[valid-type]
    scope: Description | None = Field(None, description="适用范围 (scope)")


class StorageConditionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    min_temperature_c: float | None = Field(None, ge=-273.15, le=200)
    max_temperature_c: float | None = Field(None, ge=-273.15, le=200)
    description: single_line(500, "e.g. 干燥、避光保存") | None = None  # type: ignore[valid-type]

    @field_validator("max_temperature_c")
    @classmethod
    def _not_below_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_temperature_c")
        if value is not None and low is not None and value < low:
            raise ValueError("max_temperature_c must not be below min_temperature_c")
        return value


class TrackingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lot_tracked: bool
    serial_tracked: bool
    implant: bool

    @model_validator(mode="after")
    def _tracked_somehow(self) -> "TrackingIn":
        if not (self.lot_tracked or self.serial_tracked):
            raise ValueError("an item is lot-tracked, serial-tracked or both")
        return self


class UDIDIOut(BaseModel):
    level: Literal["each", "box", "case"]
    gtin: str
    quantity: int = Field(description="units of the item (each) per package")


class ItemMasterOut(BaseModel):
    item_id: UUID
    gtin: str
    name: str
    device_class: int
    udi_dis: list[UDIDIOut]
    registration_certificate: RegistrationCertificateIn | None
    storage_conditions: StorageConditionsIn | None
    tracking: TrackingIn
    sales_blocked: bool = Field(False, description="blocked for sale: orders for it are refused")
    product_group: str | None = Field(None, description="pricing rules may select by it")
    insurance_code: str | None = Field(None, description="医保耗材编码 (医保医用耗材分类与代码), 20 or 27 characters")
    version: int


def _item_out(item: Any) -> ItemOut:
    return ItemOut(item_id=item.id, gtin=item.gtin, name=item.name, device_class=item.device_class, model=item.model,
                   manufacturer=item.manufacturer, vat_rate=item.effective_vat_rate, version=item.version)


def _master_out(item: Any) -> ItemMasterOut:
    master = item.master
    return ItemMasterOut(
        item_id=item.id, gtin=item.gtin, name=item.name, device_class=item.device_class, version=item.version,
        udi_dis=[UDIDIOut(level=level, gtin=gtin, quantity=quantity)
                 for gtin, (level, quantity) in sorted(master.gtins().items(), key=lambda g: g[1][1])],
        registration_certificate=master.registration_certificate, storage_conditions=master.storage_conditions,
        tracking=master.tracking, sales_blocked=master.sales_blocked, product_group=master.product_group,
        insurance_code=master.insurance_code)


@router.post("/items", status_code=status.HTTP_201_CREATED, operation_id="register_item", tags=["inventory"],
             responses=REPLAYED)
def register_item(body: RegisterItem, response: Response, _: ItemCommand, uow: Work) -> ItemOut:
    """Items are keyed by GTIN: the same GTIN with the same data again answers 200 with the item; other data is 409."""
    item, created = item_master.register_item(item_master.RegisterItem(
        gtin=body.gtin, name=body.name, device_class=body.device_class, model=body.model,
        manufacturer=body.manufacturer, vat_rate=body.vat_rate), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _item_out(item)


@router.get("/items", operation_id="list_items", tags=["inventory"])
def list_items(read: Reads, _: ItemReader, paging: Paging,
               name: Annotated[str | None, Query(max_length=200, description="substring, case-insensitive")] = None,
               device_class: Annotated[int | None, Query(ge=1, le=3)] = None) -> Page[ItemRow]:
    """The item master: every registered device with its class and registration certificate."""
    return Page.of(ItemRow, queries.items(read, name, device_class, paging), paging)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UDI_SUBMISSION_MAX_ITEMS = 10_000


@router.get("/items/udi-submission", operation_id="export_udi_submission", tags=["item master"],
            response_class=Response, responses={200: {"content": {"text/csv": {}, XLSX: {}},
                                                          "description": "the items, one row per packaging level"}})
def export_udi_submission(read: Reads, _: ItemReader,
                          format: Annotated[Literal["csv", "xlsx"], Query(description="file type")] = "xlsx",
                          limit: Annotated[int, Query(ge=1, le=UDI_SUBMISSION_MAX_ITEMS,
                                                      description="items in this file, by GTIN")] = UDI_SUBMISSION_MAX_ITEMS,
                          offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="items to skip")] = 0,
                          ) -> Response:
    """The item master in the NMPA UDI database's submission layout (医疗器械唯一标识数据库, YY/T 1752/1753-2020's data
    elements as column headings): one row per packaging level of each item. At most 10,000 items per file;
    `X-Total-Count` says how many there are, `offset` takes the next slice."""
    items, packaging, total = queries.udi_submission(read, limit, offset)
    table = udi_submission.rows(items, packaging)
    headers = {"X-Total-Count": str(total),
               "Content-Disposition": f'attachment; filename="udi-submission-{offset + 1}.{format}"'}
    if format == "csv":
        return Response(udi_submission.as_csv_bytes(table), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(udi_submission.as_xlsx(table), media_type=XLSX, headers=headers)


@router.get("/items/{gtin}", operation_id="get_item", tags=["inventory"])
def get_item(gtin: ItemGTIN, uow: Work, _: ItemReader) -> ItemOut:
    return _item_out(item_master.item(uow, gtin))


@router.get("/items/{gtin}/master-data", operation_id="get_item_master_data", tags=["item master"])
def get_master_data(gtin: ItemGTIN, uow: Work, _: ItemReader) -> ItemMasterOut:
    """The item with every UDI-DI (each, box, case), certificate, storage conditions and tracking.
    Its history of changes: GET /audit/aggregates/{item_id}/history."""
    return _master_out(item_master.item(uow, gtin))


@router.post("/items/{gtin}/packaging-levels", operation_id="add_packaging_level", tags=["item master"])
def add_packaging_level(gtin: ItemGTIN, body: PackagingLevelIn, _: ItemCommand, uow: Work) -> ItemMasterOut:
    """Add a box or case GTIN. A level, once defined, keeps its GTIN and quantity (409 otherwise); posting the same
    again changes nothing."""
    return _master_out(item_master.add_packaging_level(item_master.AddPackagingLevel(
        gtin=gtin, level=body.level, packaging_gtin=body.gtin, quantity=body.quantity), uow))


@router.put("/items/{gtin}/registration-certificate", operation_id="set_registration_certificate",
            tags=["item master"])
def set_registration_certificate(gtin: ItemGTIN, body: RegistrationCertificateIn, _: ItemCommand,
                                 uow: Work) -> ItemMasterOut:
    return _master_out(item_master.set_registration_certificate(item_master.SetRegistrationCertificate(
        gtin=gtin, number=body.number, holder=body.holder, valid_from=body.valid_from, valid_to=body.valid_to,
        scope=body.scope), uow))


@router.put("/items/{gtin}/storage-conditions", operation_id="set_storage_conditions", tags=["item master"])
def set_storage_conditions(gtin: ItemGTIN, body: StorageConditionsIn, _: ItemCommand,
                           uow: Work) -> ItemMasterOut:
    return _master_out(item_master.set_storage_conditions(item_master.SetStorageConditions(
        gtin=gtin, min_temperature_c=body.min_temperature_c, max_temperature_c=body.max_temperature_c,
        description=body.description), uow))


class SalesBlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    blocked: bool
    reason: str | None = Field(None, min_length=1, max_length=500, description="or the X-Reason header")


@router.put("/items/{gtin}/sales-block", operation_id="set_sales_block", tags=["item master"])
def set_sales_block(gtin: ItemGTIN, body: SalesBlockIn, meta: SalesBlockCommand, uow: Work) -> ItemMasterOut:
    """Block an item for sale (a registration problem, a field action), or lift the block, with a reason: the order
    service refuses orders for a blocked item (409 `item-sellable`)."""
    command_reason(body.reason, meta)
    return _master_out(item_master.set_sales_block(item_master.SetSalesBlock(gtin=gtin, blocked=body.blocked), uow))


class ProductGroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    group: str | None = Field(None, min_length=1, max_length=50, pattern=r"^[^\s,]+(?: [^\s,]+)*$",
                              description="e.g. 冠脉支架; null: none")


@router.put("/items/{gtin}/product-group", operation_id="set_product_group", tags=["item master"])
def set_product_group(gtin: ItemGTIN, body: ProductGroupIn, _: ItemCommand, uow: Work) -> ItemMasterOut:
    """The item's product group, which pricing rules may select by (`scope.groups`)."""
    return _master_out(item_master.set_product_group(item_master.SetProductGroup(gtin=gtin, group=body.group), uow))


@router.put("/items/{gtin}/tracking", operation_id="set_tracking", tags=["item master"])
def set_tracking(gtin: ItemGTIN, body: TrackingIn, _: ItemCommand, uow: Work) -> ItemMasterOut:
    return _master_out(item_master.set_tracking(item_master.SetTracking(
        gtin=gtin, lot_tracked=body.lot_tracked, serial_tracked=body.serial_tracked, implant=body.implant), uow))


class InsuranceCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str | None = Field(None, min_length=1, max_length=40,
                             description='医保耗材编码: "C", 6 classification, 3 generic-name, 5 feature and 5 manufacturer'
                                         " digits (20), or 27 with a 7-character product suffix; null takes it off")


@router.put("/items/{gtin}/insurance-code", operation_id="set_insurance_code", tags=["item master"])
def set_insurance_code(gtin: ItemGTIN, body: InsuranceCodeIn, _: ItemCommand, uow: Work) -> ItemMasterOut:
    """The national medical-insurance consumables code (医保医用耗材分类与代码). A code whose structure is wrong is a 422
    naming `code`, the rule `nhsa-consumable-code` and the part that is wrong."""
    return _master_out(item_master.set_insurance_code(item_master.SetInsuranceCode(gtin=gtin, code=body.code), uow))
