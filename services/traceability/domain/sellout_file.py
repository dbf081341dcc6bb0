"""Reading an uploaded sell-out (流向) file, CSV or Excel (.xlsx), into lines and row-level errors. Pure: bytes in.

The first row names the columns (in any order; English or Chinese names, see COLUMNS); every further row is a line.
Rows are numbered as the spreadsheet shows them (the header is row 1), so an error names the row a person fixes.
A row with an error is left out and reported; the valid rows make the report. Blank rows are skipped.

An upload is untrusted: its rows are read within bounds (workbook.py) before any of them is looked at.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.traceability.domain.sellout import MAX_LINES, LineError, ReportedLine
from shared.domain.workbook import (
    FileFormat, FileTooLarge, UnreadableFile, cell_of, check_archive, csv_rows, file_format, too_many_rows, xlsx_rows,
)
from shared.domain.gtin import InvalidGTINError, gs1_encodable, normalize_gtin
from shared.domain.text import forbidden_character

# Column -> the header names accepted for it (compared without case and surrounding blanks).
COLUMNS: dict[str, tuple[str, ...]] = {
    "hospital_id": ("hospital_id", "医院id", "医院编号"),
    "hospital_name": ("hospital_name", "hospital", "医院名称", "终端名称", "医院"),
    "gtin": ("gtin", "udi-di", "di", "产品标识"),
    "lot": ("lot", "批号"),
    "quantity": ("quantity", "数量"),
    "sold_at": ("sold_at", "销售日期", "配送日期"),
    "serials": ("serials", "序列号"),
}
REQUIRED = ("gtin", "lot", "quantity", "sold_at")  # and the hospital: its id, or its name (matched on recording)
HOSPITAL_NAME_MAX_LENGTH = 200
SERIAL_SEPARATORS = (";", "；", "|", ",", "，")  # several serials in one cell
LOT_MAX_LENGTH = 20
MAX_QUANTITY = 100_000


@dataclass
class ParsedFile:
    lines: list[tuple[int, ReportedLine]] = field(default_factory=list)  # (row, line)
    errors: list[LineError] = field(default_factory=list)



def parse_file(filename: str | None, content: bytes) -> tuple[FileFormat, ParsedFile]:
    kind = file_format(filename, content)
    rows = xlsx_rows(content, MAX_LINES) if kind == "xlsx" else csv_rows(content, MAX_LINES)
    return kind, parse_rows(rows)


def parse_rows(rows: list[list[Any]]) -> ParsedFile:
    """Rows as read from the file, the header first: cells as text, numbers or dates (Excel)."""
    if not rows:
        raise UnreadableFile("header-row", "the file is empty: the first row names the columns")
    columns = _columns(rows[0])
    if len(rows) - 1 > MAX_LINES:
        raise too_many_rows(MAX_LINES)
    parsed = ParsedFile()
    for row_no, row in enumerate(rows[1:], start=2):
        cells = {name: cell_of(row, index) for name, index in columns.items()}
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
    if "hospital_id" not in found and "hospital_name" not in found:
        missing.insert(0, "hospital_id or hospital_name")
    if missing:
        raise UnreadableFile("header-row", f"the first row must name the columns hospital_id or hospital_name,"
                                           f" {', '.join(REQUIRED)} (serials optional); missing: {', '.join(missing)}")
    return found



def text_errors(row: int, cells: dict[str, Any]) -> list[LineError]:
    """The text rules every cell meets first: a cell breaking them is not read any further."""
    errors = []
    for name, value in cells.items():
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold it
            errors.append(LineError(row, name, "no-nul-character", "remove the NUL character"))
        elif isinstance(value, str) and (problem := forbidden_character(value)):
            errors.append(LineError(row, name, "no-control-characters",
                                    f"contains {problem}; use plain printable text on one line"))
    return errors


def lot_problem(lot: str) -> tuple[str, str] | None:
    """(rule, message) of a lot number a GS1 barcode cannot carry, or None."""
    if not 1 <= len(lot) <= LOT_MAX_LENGTH:
        return "lot-length", f"a lot number is 1 to {LOT_MAX_LENGTH} characters"
    if not gs1_encodable(lot):
        return "gs1-character-set", (f"{lot!r} cannot be printed in a GS1 barcode: letters, digits and"
                                     " !\"%&'()*+,-./:;<=>?_ only, no spaces")
    return None


def _line(row: int, cells: dict[str, Any]) -> tuple[ReportedLine | None, list[LineError]]:
    errors: list[LineError] = text_errors(row, cells)

    def fail(field_: str, rule: str, message: str) -> None:
        errors.append(LineError(row, field_, rule, message))

    if errors:
        return None, errors
    hospital_id = gtin = lot = quantity = sold_at = hospital_name = None
    if cells.get("hospital_id") not in (None, ""):  # the id decides; a name beside it is the distributor's note
        try:
            hospital_id = UUID(str(cells["hospital_id"]))
        except ValueError:
            fail("hospital_id", "uuid", "the hospital's id (a UUID, as the channel service registered it)")
    elif cells.get("hospital_name") not in (None, ""):
        hospital_name = str(cells["hospital_name"])
        if len(hospital_name) > HOSPITAL_NAME_MAX_LENGTH:
            fail("hospital_name", "max-length", f"a hospital name is at most {HOSPITAL_NAME_MAX_LENGTH} characters")
    else:
        fail("hospital_id" if "hospital_id" in cells else "hospital_name", "required",
             "name the hospital: its id or its name")
    try:
        gtin = normalize_gtin(digits_of(cells["gtin"]))
    except InvalidGTINError as e:
        fail("gtin", "gtin", str(e))
    lot = "" if cells["lot"] is None else str(cells["lot"])
    if problem := lot_problem(lot):
        fail("lot", *problem)
    quantity = whole_number(cells["quantity"])
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        fail("quantity", "quantity-range", f"a whole number of units from 1 to {MAX_QUANTITY}")
    sold_at = _date(cells["sold_at"])
    if sold_at is None:
        fail("sold_at", "date", "a date as YYYY-MM-DD")
    serials = _serials(cells.get("serials"))
    if any(not gs1_encodable(s) for s in serials or () if len(s) <= LOT_MAX_LENGTH):
        fail("serials", "gs1-character-set", "a serial is letters, digits and !\"%&'()*+,-./:;<=>?_ (GS1 set 82)")
    if errors:
        return None, errors
    return ReportedLine(hospital_id=hospital_id, gtin=gtin, lot=lot, quantity=quantity, sold_at=sold_at,
                        serials=serials, hospital_name=hospital_name), []


def digits_of(value: Any) -> str:
    # Excel keeps a GTIN typed as a number without its leading zeros; normalize_gtin pads it back to 14.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def whole_number(value: Any) -> int | None:
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


__all__ = ["FileTooLarge", "UnreadableFile", "check_archive", "file_format", "parse_file", "parse_rows"]
