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
