"""The item master in the layout of the NMPA UDI database's submission (医疗器械唯一标识数据库, data template import:
YY/T 1753-2020 医疗器械唯一标识数据库填报指南 §5, whose data items are YY/T 1752-2020 医疗器械唯一标识数据库基本数据集).

We could not obtain the database's own bulk-upload template, so the column headings are the data elements' Chinese
names as the standard and the database's published records name them; the public download's field name of each is
in COLUMNS' comments (README, "Codes"). One row per packaging level of an item (the box, then the case), the item's
columns repeated on each; an item without packaging levels has one row with the packaging columns empty. Elements we
do not hold (商品名称, 分类编码, 产品描述, sterilisation, contacts, ...) are left for the registrant to fill in on the
database. CSV is UTF-8 with a byte-order mark (Excel reads the Chinese right); xlsx keeps every identifier as text."""

import csv
import io
from typing import Any

from openpyxl import Workbook

COLUMNS = [
    "最小销售单元产品标识",  # zxxsdycpbs: the item's own GTIN (the base unit, "each")
    "产品标识编码体系名称",  # cpbsbmtxmc: GS1, the only issuing agency's codes we hold
    "产品名称/通用名称",  # cpmctymc
    "规格型号",  # ggxh
    "注册证编号或者备案凭证编号",  # zczbhhzbapzbh
    "医疗器械注册人/备案人名称",  # ylqxzcrbarmc: the certificate's holder
    "医保耗材分类编码",  # ybbm: 医保医用耗材分类与代码
    "生产标识是否包含批号",  # scbssfbhph
    "生产标识是否包含序列号",  # scbssfbhxlh
    "储存或操作条件",  # cchcztj (with 最低值 zdz, 最高值 zgz, 计量单位 jldw)
    "最低值",
    "最高值",
    "计量单位",
    "产品包装级别",  # cpbzjb: 盒 (box) or 箱 (case)
    "包装产品标识",  # bzcpbs: the level's own DI
    "包装内含小一级产品标识数量",  # bznhxyjcpbssl: units of the level below in one package of this level
    "包装内含小一级包装产品标识",  # bznhxyjbzcpbs: the DI of the level below
]
LEVEL_NAMES = {"box": "盒", "case": "箱"}
LEVEL_ORDER = ("box", "case")


def _yes_no(value: bool) -> str:
    return "是" if value else "否"


def _temperature(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def packaging_rows(gtin: str, levels: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """The packaging columns of an item's levels, lowest first: each level's DI, how many of the level below one
    package holds and that level's DI (a case holds boxes when the item has a box level, else base units)."""
    found, below = [], (gtin, 1)
    for level in LEVEL_ORDER:
        if level not in levels:
            continue
        package = levels[level]
        lower_gtin, lower_units = below
        found.append([LEVEL_NAMES[level], package["packaging_gtin"], package["quantity"] // lower_units, lower_gtin])
        below = (package["packaging_gtin"], package["quantity"])
    return found


def rows(items: list[dict[str, Any]], packaging: dict[str, dict[str, dict[str, Any]]]) -> list[list[Any]]:
    """The file's rows, from the udi_items rows and each item's packaging levels (gtin -> level -> row)."""
    table = []
    for item in items:
        gtin = item["gtin"].strip()
        stored = item["min_temperature_c"] is not None or item["max_temperature_c"] is not None
        common = [gtin, "GS1", item["name"], item["model"] or "", item["certificate_number"] or "",
                  item["certificate_holder"] or "", item["insurance_code"] or "", _yes_no(item["lot_tracked"]),
                  _yes_no(item["serial_tracked"]), "温度" if stored else "",
                  _temperature(item["min_temperature_c"]), _temperature(item["max_temperature_c"]),
                  "℃" if stored else ""]
        levels = packaging_rows(gtin, packaging.get(gtin, {}))
        table.extend([common + level for level in levels] or [common + ["", "", "", ""]])
    return table


def as_csv_bytes(table: list[list[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def as_xlsx(table: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "产品标识"
    sheet.append(COLUMNS)
    for row in table:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "s":
                cell.number_format = "@"  # a GTIN's leading zero stays
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
