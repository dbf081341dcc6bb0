"""What inventory imports from a company's existing files (shared/platform/imports.py): the item master (GTIN, the
UDI-DI of each packaging level, the registration certificate 注册证) and suppliers with their licences (首营). Each row
runs through the API's own input models and the handlers of application/item_master.py and application/suppliers.py,
so it meets every rule `POST /items`, `PUT /items/{gtin}/registration-certificate`,
`POST /items/{gtin}/packaging-levels`, `POST /suppliers` and `POST /suppliers/{id}/qualifications` do.

Natural keys make a re-import a no-op: an item is its GTIN (the same data again is found, other data is the 409 of
`POST /items`), a supplier its unified social credit code (统一社会信用代码); what is already on record as the row
says is recorded again by nothing.
"""

import re
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from services.inventory.api.items import PackagingLevelIn, RegisterItem, RegistrationCertificateIn
from services.inventory.api.suppliers import RecordQualification, RegisterSupplier
from services.inventory.application import InventoryUnitOfWork, item_master, suppliers
from services.inventory.domain.supplier import BUSINESS_LICENCE, DISTRIBUTION_LICENCE, PRODUCTION_LICENCE
from shared.platform.access import COMPANY
from shared.platform.imports import Column, ImportKind, ImportRow, Outcome, RowError, validated

ITEM_COLUMNS = (
    Column("gtin", "the GTIN of the unit of use: its UDI-DI (14 digits; format the column as text in Excel so that"
                   " leading zeros stay)", True, ("产品标识", "UDI-DI", "DI"), "09506000134352"),
    Column("name", "the device's name", True, ("产品名称",), "冠状动脉药物洗脱支架系统"),
    Column("device_class", "NMPA class: 1, 2 or 3", True, ("管理类别", "class"), "3"),
    Column("model", "型号规格, optional", False, ("型号规格",), "3.0x18mm"),
    Column("manufacturer", "生产企业, optional", False, ("生产企业",), ""),
    Column("vat_rate", "VAT rate, e.g. 0.13 (13% when empty)", False, ("税率",), "0.13"),
    Column("certificate_number", "注册证编号, optional; with its holder and validity", False, ("注册证编号",),
           "国械注准20193130001"),
    Column("certificate_holder", "注册人", False, ("注册人",), "示例医疗器械有限公司"),
    Column("certificate_valid_from", "the certificate's first day (YYYY-MM-DD)", False, ("注册证生效日期",),
           "2024-01-01"),
    Column("certificate_valid_to", "its last day", False, ("注册证有效期至",), "2029-12-31"),
    Column("certificate_scope", "适用范围, optional", False, ("适用范围",), ""),
    Column("box_gtin", "the UDI-DI printed on a box (盒), optional; with box_quantity", False, ("中包装产品标识",),
           ""),
    Column("box_quantity", "units in one box", False, ("中包装数量",), ""),
    Column("case_gtin", "the UDI-DI printed on a case (箱), optional; with case_quantity", False, ("外包装产品标识",),
           ""),
    Column("case_quantity", "units in one case", False, ("外包装数量",), ""),
)
_CERTIFICATE = {"number": "certificate_number", "holder": "certificate_holder", "valid_from": "certificate_valid_from",
                "valid_to": "certificate_valid_to", "scope": "certificate_scope", "": "certificate_valid_to"}


def import_item(row: ImportRow, uow: InventoryUnitOfWork) -> Outcome:
    v = row.values
    body = validated(RegisterItem, {k: v.get(k) for k in ("gtin", "name", "device_class", "model", "manufacturer",
                                                          "vat_rate")})
    certificate = None
    if any(k.startswith("certificate_") for k in v):
        certificate = validated(RegistrationCertificateIn, {field: v.get(column) for field, column in
                                                            _CERTIFICATE.items() if field}, _CERTIFICATE)
    levels = []
    for level in ("box", "case"):
        if f"{level}_gtin" in v or f"{level}_quantity" in v:
            levels.append(validated(PackagingLevelIn, {"level": level, "gtin": v.get(f"{level}_gtin"),
                                                       "quantity": v.get(f"{level}_quantity")},
                                    {"gtin": f"{level}_gtin", "quantity": f"{level}_quantity", "level": f"{level}_gtin"}))
    item, created = item_master.register_item(item_master.RegisterItem(
        gtin=body.gtin, name=body.name, device_class=body.device_class, model=body.model,
        manufacturer=body.manufacturer, vat_rate=body.vat_rate), uow)
    before = item_master.item(uow, body.gtin).version
    if certificate is not None:
        item_master.set_registration_certificate(item_master.SetRegistrationCertificate(
            gtin=body.gtin, number=certificate.number, holder=certificate.holder, valid_from=certificate.valid_from,
            valid_to=certificate.valid_to, scope=certificate.scope), uow)
    for level in levels:
        item_master.add_packaging_level(item_master.AddPackagingLevel(
            gtin=body.gtin, level=level.level, packaging_gtin=level.gtin, quantity=level.quantity), uow)
    changed = item_master.item(uow, body.gtin).version != before
    return "created" if created else "changed" if changed else "unchanged"


ITEMS = ImportKind(
    name="items", service="inventory", permission="item:register", scope=COMPANY, columns=ITEM_COLUMNS,
    apply=import_item, description="the item master: GTIN (UDI-DI), class, registration certificate (注册证),"
                                   " packaging levels' UDI-DIs")

# One row per supplier; each licence is three columns (number, first and last day), all or none.
_DOCUMENTS = (BUSINESS_LICENCE, PRODUCTION_LICENCE, DISTRIBUTION_LICENCE)
_DOCUMENT_NAMES = {BUSINESS_LICENCE: "营业执照", PRODUCTION_LICENCE: "生产许可证", DISTRIBUTION_LICENCE: "经营许可证"}
SUPPLIER_COLUMNS = (
    Column("credit_code", "unified social credit code (统一社会信用代码), 18 characters: the supplier's key", True,
           ("统一社会信用代码", "uscc"), "91310000MA1FL0C715"),
    Column("name", "the supplier's name", True, ("供应商名称",), "示例医疗器械有限公司"),
    *(column for document in _DOCUMENTS for column in (
        Column(f"{document}_number", f"{_DOCUMENT_NAMES[document]} number, optional; with its validity", False,
               (f"{_DOCUMENT_NAMES[document]}编号",), "沪食药监械生产许20150001" if document == PRODUCTION_LICENCE
               else "91310000MA1FL0C715" if document == BUSINESS_LICENCE else ""),
        Column(f"{document}_valid_from", "its first day (YYYY-MM-DD)", False, (f"{_DOCUMENT_NAMES[document]}生效日期",),
               "2024-01-01" if document != DISTRIBUTION_LICENCE else ""),
        Column(f"{document}_valid_to", "its last day", False, (f"{_DOCUMENT_NAMES[document]}有效期至",),
               "2029-12-31" if document != DISTRIBUTION_LICENCE else ""))),
)


def import_supplier(row: ImportRow, uow: InventoryUnitOfWork) -> Outcome:
    v = row.values
    body = validated(RegisterSupplier, {"name": v.get("name"), "credit_code": v.get("credit_code")})
    documents = []
    for document in _DOCUMENTS:
        columns = {"number": f"{document}_number", "valid_from": f"{document}_valid_from",
                   "valid_to": f"{document}_valid_to", "": f"{document}_valid_to",
                   "document_type": f"{document}_number"}
        if any(c in v for c in columns.values()):
            documents.append(validated(RecordQualification, {"document_type": document, **{
                field: v.get(column) for field, column in columns.items() if field and field != "document_type"}},
                columns))
    # The supplier on record under this credit code, else an id derived from the code: the same everywhere.
    supplier_id = (uow.claimant("supplier-credit-code", body.credit_code)
                   or uuid5(NAMESPACE_URL, f"urn:erp-md:import:supplier:{body.credit_code}"))
    supplier, created = suppliers.register_supplier(suppliers.RegisterSupplier(
        supplier_id=supplier_id, name=body.name, credit_code=body.credit_code), uow)
    if not created and supplier.name != body.name:
        raise RowError("name", "supplier-name", f"credit code {body.credit_code} is on record as {supplier.name!r}")
    changed = False
    for document in documents:
        recorded = {"document_type": document.document_type, "number": document.number,
                    "valid_from": document.valid_from, "valid_to": document.valid_to}
        if any(_same(d, recorded) for d in suppliers.supplier(uow, supplier_id).documents):
            continue  # on record as it is: a re-import records nothing
        suppliers.record_qualification(suppliers.RecordQualification(supplier_id=supplier_id, **recorded), uow)
        changed = True
    return "created" if created else "changed" if changed else "unchanged"


def _same(document: dict[str, Any], recorded: dict[str, Any]) -> bool:
    return all(str(document.get(k)) == str(value) for k, value in recorded.items())


SUPPLIERS = ImportKind(
    name="suppliers", service="inventory", permission="supplier:manage", scope=COMPANY, columns=SUPPLIER_COLUMNS,
    apply=import_supplier, description="suppliers (首营) with their business, production and distribution licences")

OPENING_STOCK_COLUMNS = (
    Column("gtin", "the item's GTIN (registered: import the items first)", True, ("产品标识", "UDI-DI"),
           "09506000134352"),
    Column("lot", "lot number (GS1 AI 10)", True, ("批号",), "L2701A"),
    Column("expiry", "expiry date (YYYY-MM-DD)", True, ("有效期至", "失效日期"), "2027-06-30"),
    Column("production_date", "production date, optional", False, ("生产日期",), "2025-06-30"),
    Column("quantity", "units on hand", True, ("数量",), "50"),
    Column("serials", "serial numbers of a serialised item, one per unit, separated by ; or spaces", False,
           ("序列号",), ""),
    Column("warehouse", "warehouse code", True, ("仓库",), "WH-SH"),
    Column("location", "storage location (bin), optional", False, ("库位",), "A-01-02"),
    Column("supplier_credit_code", "the supplier's credit code (registered and qualified: import suppliers first)",
           True, ("供应商统一社会信用代码",), "91310000MA1FL0C715"),
    Column("status", "available (released by quality: the default) or quarantine (to be inspected)", False,
           ("状态",), "available"),
)


def import_opening_stock(row: ImportRow, uow: InventoryUnitOfWork) -> Outcome:
    """A lot on hand in a warehouse at go-live: received through `POST /goods-receipts`'s handler (the item's
    registration certificate, the supplier's licences, GS1 lots and serials, expiry) under a receipt id derived from
    the file and row, then released by quality's handler unless the row says `quarantine`. The row is claimed under
    that receipt id with its events, so the same file again finds it and stores nothing."""
    from services.inventory.api.receiving import ReceiptLineIn
    from services.inventory.application import quality, receiving
    from shared.platform.eventstore import UniqueClaim

    v = row.values
    status = v.get("status", "available").lower()
    if status not in ("available", "quarantine"):
        raise RowError("status", "opening-stock-status", "status is available or quarantine")
    serials = [s for s in re.split(r"[;,\s]+", v["serials"]) if s] if "serials" in v else None
    line = validated(ReceiptLineIn, {**{k: v.get(k) for k in ("gtin", "lot", "expiry", "production_date",
                                                              "quantity", "warehouse", "location")},
                                     "serials": serials})
    if "supplier_credit_code" not in v:
        raise RowError("supplier_credit_code", "missing", "name the supplier the stock came from")
    supplier_id = uow.claimant("supplier-credit-code", v["supplier_credit_code"])
    if supplier_id is None:
        raise RowError("supplier_credit_code", "registered-supplier",
                       f"no supplier is registered with credit code {v['supplier_credit_code']}")
    receipt_id = row.key("opening-stock")
    if uow.claimant("opening-stock-receipt", str(receipt_id)) is not None:
        return "unchanged"
    uow.claim(UniqueClaim("opening-stock-receipt", str(receipt_id), receipt_id))
    receiving.receive_goods(receiving.ReceiveGoods(supplier_id=supplier_id, lines=(line.model_dump(),),
                                                   receipt_id=receipt_id), uow)
    if status == "available":
        quality.inspect_lot(quality.InspectLot(gtin=line.gtin, lot=line.lot, warehouse=line.warehouse,
                                               released=True), uow)
    return "created"


OPENING_STOCK = ImportKind(
    name="opening-stock", service="inventory", permission="stock:receive", scope=COMPANY,
    columns=OPENING_STOCK_COLUMNS, apply=import_opening_stock,
    # Stock released at once is quality's decision as well as a receipt: the row needs quality:inspect too.
    row_permission=lambda row: None if (row.get("status") or "").lower() == "quarantine" else "quality:inspect",
    field_columns={**{f"lines[0].{c}": c for c in ("gtin", "lot", "expiry", "quantity", "serials", "warehouse")},
                   "supplier_id": "supplier_credit_code"},
    description="stock on hand at go-live, by lot, serial, expiry and warehouse")

IMPORTS: tuple[ImportKind, ...] = (ITEMS, SUPPLIERS, OPENING_STOCK)
