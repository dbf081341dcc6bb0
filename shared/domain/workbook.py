"""Reading an untrusted file's rows within bounds, before anything trusts it: CSV text, and Excel workbooks (.xlsx).
Pure: bytes in, rows out (cells as text, numbers or dates). Every upload reads through it: sell-out and inventory
reports (traceability), bank statements (billing).

An .xlsx is a zip archive, and a few hundred kilobytes can inflate to gigabytes. Before openpyxl sees one, the
archive's declared uncompressed sizes are checked, then every member is inflated in chunks and counted against the
same bound (a member that inflates beyond what it declares is refused), and the worksheets' cells are counted (one
row of a million cells is within any row bound, and parsing it takes many seconds). openpyxl then reads in streaming
(read-only) mode at most `max_rows` + 1 rows of MAX_COLUMNS columns, within MAX_PARSE_SECONDS.
"""

import csv
import io
import re
import time
import zipfile
from typing import Any, Literal

FileFormat = Literal["csv", "xlsx"]

# A 10,000-row report of six columns is about 3 MB of workbook XML and 60,000 cells: these bounds leave room for
# styles, serial lists and stray formatted cells, and stop a compressed bomb before it costs real memory or time.
MAX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 200
MAX_CELLS = 200_000
MAX_COLUMNS = 50  # columns beyond it are not read (a sell-out report has six)
MAX_PARSE_SECONDS = 20.0
_CHUNK = 1024 * 1024
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")  # a worksheet cell element, with or without a prefix


class UnreadableFile(ValueError):  # noqa: N818 - the file as a whole, answered as a 422 naming `file`
    status = 422

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class FileTooLarge(UnreadableFile):
    """More to read than an upload may hold once inflated: answered as a 413."""

    status = 413


def too_many_rows(max_rows: int) -> UnreadableFile:
    return UnreadableFile("max-rows", f"at most {max_rows} rows in one report")


def csv_rows(content: bytes, max_rows: int) -> list[list[Any]]:
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
    rows = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row[:MAX_COLUMNS])
            if len(rows) > max_rows + 1:
                raise too_many_rows(max_rows)
    except csv.Error as e:
        raise UnreadableFile("readable-file", f"the CSV cannot be read: {e}") from None
    return rows


def check_archive(content: bytes) -> None:
    """Refuse a zip archive that inflates to more than an upload may hold, before anything parses it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise UnreadableFile("readable-file", f"the Excel workbook cannot be read: {e}") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise FileTooLarge("max-archive-members", f"a workbook holds at most {MAX_ARCHIVE_MEMBERS} parts")
        declared = sum(m.file_size for m in members)
        if declared > MAX_UNCOMPRESSED_BYTES:
            raise _too_large(f"it declares {declared} bytes uncompressed")
        inflated = cells = 0  # the declared sizes may lie: count what inflating really gives, stop at the bound
        try:
            for member in members:
                worksheet = member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")
                with archive.open(member) as stream:
                    carry = b""  # an element split between two chunks is counted in the next
                    while chunk := stream.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > MAX_UNCOMPRESSED_BYTES:
                            raise _too_large("it inflates beyond that")
                        if worksheet:
                            text = carry + chunk
                            cut = text.rfind(b"<") if b"<" in text else len(text)
                            cells += len(_CELL.findall(text, 0, cut))
                            carry = text[cut:]
                            if cells > MAX_CELLS:
                                raise FileTooLarge("max-cells", f"a workbook holds at most {MAX_CELLS} cells")
                    cells += len(_CELL.findall(carry))
        except UnreadableFile:
            raise
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError) as e:
            raise UnreadableFile("readable-file", f"the Excel workbook cannot be read: {e}") from None
        if cells > MAX_CELLS:
            raise FileTooLarge("max-cells", f"a workbook holds at most {MAX_CELLS} cells")


def _too_large(why: str) -> FileTooLarge:
    return FileTooLarge("max-uncompressed-size", f"a workbook holds at most {MAX_UNCOMPRESSED_BYTES // 2**20} MB"
                                                 f" uncompressed; {why}")


def xlsx_rows(content: bytes, max_rows: int, sheet: str | None = None) -> list[list[Any]]:
    """The rows of one sheet: the only one, or, in a workbook of several (a migration workbook, a sheet per kind of
    record), the one titled `sheet` (without case and blanks). A workbook of several sheets none of which is titled
    so is refused, naming its sheets: reading whichever came first would import the wrong records."""
    from openpyxl import load_workbook  # only when an Excel file arrives

    check_archive(content)
    deadline = time.monotonic() + MAX_PARSE_SECONDS
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise UnreadableFile("readable-file", f"the Excel workbook cannot be read: {e}") from None
    try:
        sheet = _sheet(workbook, sheet)
        rows = []
        # Bounded columns and rows: a sheet may declare 16,384 columns, and gaps between rows are filled with blanks.
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, max_row=max_rows + 2, values_only=True):
            rows.append(list(row))
            if len(rows) > max_rows + 1:
                raise too_many_rows(max_rows)
            if time.monotonic() > deadline:
                raise FileTooLarge("max-parse-time", f"the workbook takes more than {MAX_PARSE_SECONDS:.0f} s to read")
        return rows
    except IndexError:
        raise UnreadableFile("readable-file", "the Excel workbook has no sheet") from None
    finally:
        workbook.close()


def _sheet(workbook: Any, title: str | None) -> Any:
    sheets = workbook.worksheets
    if len(sheets) <= 1 or title is None:
        return sheets[0]
    wanted = _title(title)
    for sheet in sheets:
        if _title(sheet.title) == wanted:
            return sheet
    raise UnreadableFile("sheet", f"the workbook has {len(sheets)} sheets ({', '.join(s.title for s in sheets[:20])}):"
                                  f" name the one to read {title!r}")


def _title(text: str) -> str:
    return "".join(text.split()).lower()


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


def cell_of(row: list[Any], index: int) -> Any:
    value = row[index] if index < len(row) else None
    return value.strip() if isinstance(value, str) else value


def header_columns(header: list[Any], columns: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Column -> its index, from a header row naming it by any of its names (without case and blanks)."""
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    return {column: names.index(next(a for a in aliases if a in names))
            for column, aliases in columns.items() if any(a in names for a in aliases)}
