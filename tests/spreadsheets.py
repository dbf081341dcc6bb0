"""Workbooks as a user's spreadsheet program would save them, for the tests of file uploads."""

import io

from openpyxl import Workbook


def xlsx(rows: list[list]) -> bytes:
    """An .xlsx file whose first sheet holds these rows (cells typed as given: numbers, dates, text)."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx file with a sheet per title, in order: a migration workbook, a sheet per kind of record."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
