"""A table of rows as a file people open in Excel: CSV in UTF-8 with a byte-order mark (so that Excel reads the
Chinese right) and amounts with two decimals, or xlsx with amounts kept as numbers."""

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_000_000  # below Excel's 1,048,576 rows a sheet


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([[_text(value) for value in row] for row in rows[:MAX_ROWS]])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
    sheet.append(list(columns))
    for row in rows[:MAX_ROWS]:
        sheet.append([_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else value


def _cell(value: Any) -> Any:
    if isinstance(value, (Decimal, int, float, str)) or value is None:
        return value
    return str(value)  # ids, dates as ISO text
