"""The ledger export's file, in the layout Chinese accounting systems import vouchers from (金蝶 KIS/K3 and 用友 U8
take a sheet of these columns; a mapping of columns is all either needs): one row per entry line, the voucher's
date, year and period, 凭证字 记, its number, the line's number, a summary, the account's code and name (from
BILLING_LEDGER_ACCOUNTS), debit, credit, currency and the customer (核算项目). CSV is UTF-8 with a byte-order mark,
so that Excel and the importers read the Chinese right; xlsx keeps amounts as numbers."""

import csv
import hashlib
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

COLUMNS = ["凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "分录号", "摘要", "科目代码", "科目名称", "借方金额",
           "贷方金额", "币别", "核算项目-客户"]
SUMMARIES = {"invoice": "销售开票", "credit_note": "红字发票冲减", "payment": "收到货款", "payment_reversal": "退票冲回"}


def rows(lines: list[dict[str, Any]], accounts: dict[str, dict[str, str]], currency: str) -> list[list[Any]]:
    """The file's rows, from the numbered vouchers' lines (domain/ledger.py `vouchers`)."""
    found = []
    for line in lines:
        account = accounts[line["account"]]
        customer = line.get("customer_name") or str(line["customer_id"])
        found.append([line["on_date"].isoformat(), line["on_date"].year, line["on_date"].month, "记", line["voucher"],
                      line["line_no"], f"{SUMMARIES[line['kind']]} {line['number'] or ''} {customer}".strip(),
                      account["code"], account["name"], Decimal(line["debit"]), Decimal(line["credit"]), currency,
                      customer])
    return found


def digest(table: list[list[Any]]) -> str:
    """SHA-256 of the rows as CSV: two exports of the same journal have the same digest."""
    return hashlib.sha256(as_csv(table).encode("utf-8")).hexdigest()


def as_csv(table: list[list[Any]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[f"{v:.2f}" if isinstance(v, Decimal) else v for v in row] for row in table])
    return text.getvalue()


def as_csv_bytes(table: list[list[Any]]) -> bytes:
    return ("\ufeff" + as_csv(table)).encode("utf-8")


def as_xlsx(table: list[list[Any]], period: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"凭证 {period}"
    sheet.append(COLUMNS)
    for row in table:
        sheet.append(row)
        for cell in sheet[sheet.max_row][9:11]:
            cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHIJKLM", (12, 8, 8, 6, 8, 6, 48, 12, 30, 14, 14, 6, 30), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
