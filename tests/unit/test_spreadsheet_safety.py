"""Every CSV and Excel file traceability writes neutralises text a spreadsheet would run as a formula (OWASP's CSV
injection rule) and shows times in China's time with the offset; numbers stay numbers."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from services.traceability.reports.documents import Document, DocumentTable, as_csv, as_xlsx, neutralised, text_of

EVIL = '=HYPERLINK("http://evil.example/x","点我")'
TRIGGERS = [EVIL, "+1+2", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_text_a_spreadsheet_would_evaluate_gets_a_leading_apostrophe(text):
    assert neutralised(text) == "'" + text
    assert neutralised("上海市第一人民医院") == "上海市第一人民医院" and neutralised("a=b") == "a=b"


def table() -> DocumentTable:
    return DocumentTable("Consignees", ["name", "region", "quantity", "delta", "as of"],
                         [[text, "-上海", 10, -3, datetime(2026, 11, 24, 8, 0, tzinfo=UTC)] for text in TRIGGERS])


def test_no_cell_of_an_excel_export_is_a_formula_and_numbers_stay_numbers():
    book = load_workbook(io.BytesIO(as_xlsx(Document(EVIL, [("hospital", EVIL), ("units", -3)], [table()]))))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and not any(cell.data_type == "f" for cell in cells)
    sheet = book.worksheets[1]
    # (XML reads a stored CR back as LF.)
    assert [sheet.cell(row=n, column=1).value for n in range(2, 8)] == ["'" + t.replace("\r", "\n") for t in TRIGGERS]
    assert [(sheet["B2"].value, sheet["C2"].value, sheet["D2"].value)] == [("'-上海", 10, -3)]
    assert isinstance(sheet["D2"].value, int)  # a negative number is a number, not text to neutralise
    summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
    assert (summary["hospital"], summary["units"], book["Summary"]["A1"].value) == ("'" + EVIL, -3, "'" + EVIL)


def test_a_csv_export_neutralises_text_cells_only_and_shows_china_time():
    rows = list(csv.reader(io.StringIO(as_csv(table()).decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in TRIGGERS]
    assert rows[1][1:] == ["'-上海", "10", "-3", "2026-11-24 16:00:00+08:00"]


def test_times_are_shown_in_china_with_their_offset():
    assert text_of(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027-01-01 00:30:00+08:00"
