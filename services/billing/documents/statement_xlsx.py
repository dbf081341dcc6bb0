"""A statement of account (对账单) as an Excel workbook, for the customer's accountant to tick off against its own
books: the same figures as the PDF (statement_pdf.py), dates as dates and amounts as numbers, so they sort, sum and
match. Sheet 1 holds the header and the lines with the running balance (the column header frozen), sheet 2 the
aging.

Text from outside (a customer's name, a document number, a dispute's reason) that a spreadsheet would evaluate as a
formula gets a leading apostrophe (OWASP's CSV injection rule, as traceability's exports do), and characters XML
cannot hold are dropped.
"""

import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.billing.documents.statement_pdf import (
    KINDS,
    LABELS,
    STATUSES,
    Language,
    StatementDocument,
    bucket_label,
    check_language,
    remark,
)
from services.billing.domain.statement import MAX_LINES

MONEY = "#,##0.00"
DAY = "yyyy-mm-dd"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOLD = Font(bold=True)
SHADE = PatternFill("solid", fgColor="E8ECF2")

SHEETS = {"zh": ("对账单", "账龄"), "en": ("Statement", "Aging")}
COLUMNS = ("line_no", "on", "kind", "number", "due_on", "debit", "credit", "balance", "remark")
WIDTHS = (7, 12, 14, 22, 12, 16, 16, 18, 48)
PERIOD = {"zh": ("对账期间起", "对账期间止"), "en": ("Period from", "Period to")}


def text(value: str) -> str:
    """Text as a cell shows it, never run as a formula."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def render_statement_xlsx(document: StatementDocument, language: Language) -> bytes:
    check_language(language)
    if len(document.lines) > MAX_LINES:
        raise ValueError(f"a statement document holds at most {MAX_LINES} lines, not {len(document.lines)}")
    label = LABELS[language]
    book = Workbook()
    book.properties.title = f"{label['title']} {text(document.customer_name)}"
    lines = book.active
    lines.title = SHEETS[language][0]
    _header(lines, document, language)
    _lines(lines, document, language)
    aging = book.create_sheet(SHEETS[language][1])
    _aging(aging, document, language)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _header(sheet: Worksheet, document: StatementDocument, language: Language) -> None:
    label = LABELS[language]
    sheet.append([label["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    rows: list[tuple[str, str | date | Decimal]] = [
        (label["customer"], text(document.customer_name)),
        (label["customer_id"], str(document.customer_id)),
        (PERIOD[language][0], document.period_start),
        (PERIOD[language][1], document.period_end),
        (label["currency"], document.currency),
        (label["opening"], document.opening_balance),
        (label["closing"], document.closing_balance),
        (label["status"], STATUSES[language].get(document.status, document.status)),
        (label["confirmed_by"], text(document.confirmed_by or "")),
        (label["statement_id"], str(document.statement_id)),
    ]
    for name, value in rows:
        sheet.append([name, value])
        _format(sheet.cell(row=sheet.max_row, column=2))
    sheet.append([])


def _lines(sheet: Worksheet, document: StatementDocument, language: Language) -> None:
    label = LABELS[language]
    sheet.append([label[c] for c in COLUMNS])
    head = sheet.max_row
    for cell in sheet[head]:
        cell.font, cell.fill = BOLD, SHADE
    sheet.freeze_panes = f"A{head + 1}"
    sheet.append([None, None, None, label["opening"], None, None, None, document.opening_balance, None])
    for line, balance in zip(document.lines, document.balances(), strict=True):
        sheet.append([line.line_no, line.on, KINDS[language].get(line.kind, line.kind), text(line.number),
                      line.due_on, line.debit, line.credit, balance, text(remark(line, language))])
    sheet.append([None, None, None, label["totals"], None, document.debit_total, document.credit_total,
                  document.closing_balance, label["closing"]])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for row in sheet.iter_rows(min_row=head + 1):
        for cell in row:
            _format(cell)
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for row in sheet.iter_rows(min_row=head + 1, min_col=len(COLUMNS), max_col=len(COLUMNS)):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _aging(sheet: Worksheet, document: StatementDocument, language: Language) -> None:
    label = LABELS[language]
    sheet.append([label["bucket"], label["amount"]])
    for cell in sheet[1]:
        cell.font, cell.fill = BOLD, SHADE
    sheet.freeze_panes = "A2"
    for bucket, amount in document.aging:
        sheet.append([bucket_label(bucket, language), amount])
    sheet.append([label["aging_total"], sum((amount for _, amount in document.aging), Decimal("0.00"))])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    sheet.cell(row=sheet.max_row, column=2).font = BOLD
    for (cell,) in sheet.iter_rows(min_row=2, min_col=2, max_col=2):
        _format(cell)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 18


def _format(cell) -> None:  # noqa: ANN001 - an openpyxl cell
    if isinstance(cell.value, Decimal | float):
        cell.number_format = MONEY
    elif isinstance(cell.value, date):
        cell.number_format = DAY
