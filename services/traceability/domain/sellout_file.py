"""Reading an uploaded sell-out (流向) file, CSV or Excel (.xlsx), into lines and row-level errors. Pure: bytes in.

The first row names the columns (in any order; English or Chinese names, see COLUMNS); every further row is a line.
Rows are numbered as the spreadsheet shows them (the header is row 1), so an error names the row a person fixes.
A row with an error is left out and reported; the valid rows make the report. Blank rows are skipped.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from services.traceability.domain.sellout import MAX_LINES, LineError, ReportedLine
from shared.domain.gtin import InvalidGTINError, normalize_gtin

FileFormat = Literal["csv", "xlsx"]

# Column -> the header names accepted for it (compared without case and surrounding blanks).
COLUMNS: dict[str, tuple[str, ...]] = {
    "hospital_id": ("hospital_id", "医院id", "医院编号"),
    "gtin": ("gtin", "udi-di", "di", "产品标识"),
    "lot": ("lot", "批号"),
    "quantity": ("quantity", "数量"),
    "sold_at": ("sold_at", "销售日期", "配送日期"),
    "serials": ("serials", "序列号"),
}
REQUIRED = ("hospital_id", "gtin", "lot", "quantity", "sold_at")
SERIAL_SEPARATORS = (";", "；", "|", ",", "，")  # several serials in one cell
LOT_MAX_LENGTH = 20
MAX_QUANTITY = 100_000


class UnreadableFile(ValueError):  # noqa: N818 - the file as a whole, answered as a 422 naming `file`
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass
class ParsedFile:
    lines: list[tuple[int, ReportedLine]] = field(default_factory=list)  # (row, line)
    errors: list[LineError] = field(default_factory=list)


def file_format(filename: str | None, content: bytes) -> FileFormat:
    """By the content first (an .xlsx is a zip archive), else by the name."""
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xlsm")):
        raise UnreadableFile("readable-file", "the file is named .xlsx but is not an Excel workbook")
    if name.endswith(".xls"):
        raise UnreadableFile("csv-or-xlsx", "the old Excel format (.xls) is not read: save it as .xlsx or .csv")
    return "csv"


def parse_file(filename: str | None, content: bytes) -> tuple[FileFormat, ParsedFile]:
    kind = file_format(filename, content)
    rows = _xlsx_rows(content) if kind == "xlsx" else _csv_rows(content)
    return kind, parse_rows(rows)


def parse_rows(rows: list[list[Any]]) -> ParsedFile:
    """Rows as read from the file, the header first: cells as text, numbers or dates (Excel)."""
    if not rows:
        raise UnreadableFile("header-row", "the file is empty: the first row names the columns")
    columns = _columns(rows[0])
    if len(rows) - 1 > MAX_LINES:
        raise UnreadableFile("max-rows", f"at most {MAX_LINES} rows in one report")
    parsed = ParsedFile()
    for row_no, row in enumerate(rows[1:], start=2):
        cells = {name: _cell(row, index) for name, index in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        line, errors = _line(row_no, cells)
        if errors:
            parsed.errors.extend(errors)
        else:
            parsed.lines.append((row_no, line))
    return parsed


def _columns(header: list[Any]) -> dict[str, int]:
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    found = {}
    for column, aliases in COLUMNS.items():
        matches = [i for i, name in enumerate(names) if name in aliases]
        if len(matches) > 1:
            raise UnreadableFile("header-row", f"the column {column} is named twice in the first row")
        if matches:
            found[column] = matches[0]
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise UnreadableFile("header-row", f"the first row must name the columns {', '.join(REQUIRED)}"
                                           f" (serials optional); missing: {', '.join(missing)}")
    return found


def _cell(row: list[Any], index: int) -> Any:
    value = row[index] if index < len(row) else None
    return value.strip() if isinstance(value, str) else value


def _line(row: int, cells: dict[str, Any]) -> tuple[ReportedLine | None, list[LineError]]:
    errors: list[LineError] = []

    def fail(field_: str, rule: str, message: str) -> None:
        errors.append(LineError(row, field_, rule, message))

    texts_with_nul = [name for name, value in cells.items() if isinstance(value, str) and "\x00" in value]
    for name in texts_with_nul:  # PostgreSQL text cannot hold it
        fail(name, "no-nul-character", "remove the NUL character")
    if errors:
        return None, errors
    hospital_id = gtin = lot = quantity = sold_at = None
    try:
        hospital_id = UUID(str(cells["hospital_id"]))
    except ValueError:
        fail("hospital_id", "uuid", "the hospital's id (a UUID, as the channel service registered it)")
    try:
        gtin = normalize_gtin(_digits(cells["gtin"]))
    except InvalidGTINError as e:
        fail("gtin", "gtin", str(e))
    lot = "" if cells["lot"] is None else str(cells["lot"])
    if not 1 <= len(lot) <= LOT_MAX_LENGTH:
        fail("lot", "lot-length", f"a lot number is 1 to {LOT_MAX_LENGTH} characters")
    quantity = _whole_number(cells["quantity"])
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        fail("quantity", "quantity-range", f"a whole number of units from 1 to {MAX_QUANTITY}")
    sold_at = _date(cells["sold_at"])
    if sold_at is None:
        fail("sold_at", "date", "a date as YYYY-MM-DD")
    serials = _serials(cells.get("serials"))
    if errors:
        return None, errors
    return ReportedLine(hospital_id=hospital_id, gtin=gtin, lot=lot, quantity=quantity, sold_at=sold_at,
                        serials=serials), []


def _digits(value: Any) -> str:
    # Excel keeps a GTIN typed as a number without its leading zeros; normalize_gtin pads it back to 14.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = "" if value is None else str(value)
    return int(text) if text.isascii() and text.isdigit() else None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).replace("/", "-")) if value not in (None, "") else None
    except ValueError:
        return None


def _serials(value: Any) -> tuple[str, ...] | None:
    text = "" if value is None else str(value)
    for separator in SERIAL_SEPARATORS:
        text = text.replace(separator, " ")
    serials = tuple(text.split())
    return serials or None


def _csv_rows(content: bytes) -> list[list[Any]]:
    # Excel on a Chinese Windows saves CSV as GB18030 (GBK); elsewhere UTF-8, often with a byte-order mark.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("text-encoding", "a CSV file is UTF-8 or GB18030 (GBK) text")
    # The delimiter the header row uses: Excel writes ";" where the decimal comma is usual, some tools a tab.
    header = text.splitlines()[0] if text else ""
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as e:
        raise UnreadableFile("readable-file", f"the CSV cannot be read: {e}") from None


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook  # only when an Excel file arrives

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise UnreadableFile("readable-file", f"the Excel workbook cannot be read: {e}") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_LINES + 1:
                raise UnreadableFile("max-rows", f"at most {MAX_LINES} rows in one report")
        return rows
    except IndexError:
        raise UnreadableFile("readable-file", "the Excel workbook has no sheet") from None
    finally:
        workbook.close()
