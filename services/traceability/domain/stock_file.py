"""Reading an uploaded inventory report (进销存), CSV or Excel: a header row naming gtin, lot and quantity (English or
Chinese), then one row per lot. Bad rows are answered by row number, field and rule; the valid rows make the report.
Bounded like the sell-out upload (workbook.py)."""

from typing import Any

from services.traceability.domain.channel_stock import MAX_STOCK_LINES, MAX_STOCK_QUANTITY, StockLine
from services.traceability.domain.sellout import LineError
from services.traceability.domain.sellout_file import digits_of, lot_problem, text_errors, whole_number
from shared.domain.workbook import (
    FileFormat, UnreadableFile, cell_of, csv_rows, file_format, too_many_rows, xlsx_rows,
)
from shared.domain.gtin import InvalidGTINError, normalize_gtin

COLUMNS: dict[str, tuple[str, ...]] = {
    "gtin": ("gtin", "udi-di", "di", "产品标识"),
    "lot": ("lot", "批号"),
    "quantity": ("quantity", "数量", "库存数量", "结存数量"),
}


def parse_stock_file(filename: str | None, content: bytes) -> tuple[FileFormat, list[tuple[int, StockLine]],
                                                                      list[LineError]]:
    kind = file_format(filename, content)
    rows = xlsx_rows(content, MAX_STOCK_LINES) if kind == "xlsx" else csv_rows(content, MAX_STOCK_LINES)
    if not rows:
        raise UnreadableFile("header-row", "the file is empty: the first row names the columns")
    names = [str(h).strip().lower() if h is not None else "" for h in rows[0]]
    columns = {column: names.index(next(a for a in aliases if a in names))
               for column, aliases in COLUMNS.items() if any(a in names for a in aliases)}
    if len(columns) < len(COLUMNS):
        raise UnreadableFile("header-row", "the first row must name the columns gtin, lot and quantity; missing: "
                             + ", ".join(c for c in COLUMNS if c not in columns))
    if len(rows) - 1 > MAX_STOCK_LINES:
        raise too_many_rows(MAX_STOCK_LINES)
    lines, errors = [], []
    for row_no, row in enumerate(rows[1:], start=2):
        cells = {name: cell_of(row, index) for name, index in columns.items()}
        if all(value in (None, "") for value in cells.values()):
            continue
        line, found = _line(row_no, cells)
        errors.extend(found)
        if line is not None:
            lines.append((row_no, line))
    return kind, lines, errors


def _line(row: int, cells: dict[str, Any]) -> tuple[StockLine | None, list[LineError]]:
    errors = text_errors(row, cells)
    if errors:
        return None, errors
    gtin = None
    try:
        gtin = normalize_gtin(digits_of(cells["gtin"]))
    except InvalidGTINError as e:
        errors.append(LineError(row, "gtin", "gtin", str(e)))
    lot = "" if cells["lot"] is None else str(cells["lot"])
    if problem := lot_problem(lot):
        errors.append(LineError(row, "lot", *problem))
    quantity = whole_number(cells["quantity"])
    if quantity is None or not 0 <= quantity <= MAX_STOCK_QUANTITY:
        errors.append(LineError(row, "quantity", "quantity-range", f"a whole number from 0 to {MAX_STOCK_QUANTITY}"))
    return (None, errors) if errors else (StockLine(gtin=gtin, lot=lot, quantity=quantity), [])
