"""Documents for regulators and partners: one neutral shape (`Document`: header fields and tables), rendered as
PDF (reportlab, with a CJK font: names and reasons are often Chinese), Excel (openpyxl) or CSV.

Every line that names a lot or unit carries its UDI in GS1 human-readable form, `(01)GTIN(17)YYMMDD(10)LOT`
(and `(21)SERIAL`), the identification a regulator matches against the label.

Times are stored in UTC and shown in China's time with the offset (`2026-11-24 16:00:00+08:00`): the readers
are Chinese regulators and quality staff. Text that a spreadsheet would take for a formula (a hospital named
`=HYPERLINK(…)`) is written with a leading apostrophe in every CSV and Excel file (OWASP's CSV injection rule), so
it shows as the text it is and never runs.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

CJK_FONT = "STSong-Light"  # an Adobe CID font every PDF reader has: nothing to embed or ship
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

Cell = str | int | float | date | datetime | None

SHOWN_IN = ZoneInfo("Asia/Shanghai")
# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text a spreadsheet would evaluate, made inert with a leading apostrophe; other text as it is."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


@dataclass
class DocumentTable:
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Document:
    title: str
    fields: list[tuple[str, Cell]]
    tables: list[DocumentTable]


def udi_text(gtin: str, lot: str | None = None, expiry: date | None = None, serial: str | None = None) -> str:
    """GS1 human-readable UDI: (01) GTIN, (17) expiry YYMMDD, (10) lot, (21) serial."""
    text = f"(01){gtin}"
    if expiry is not None:
        text += f"(17){expiry:%y%m%d}"
    if lot is not None:
        text += f"(10){lot}"
    if serial is not None:
        text += f"(21){serial}"
    return text


def text_of(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHOWN_IN).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2%}"
    return str(value)


def as_csv(table: DocumentTable) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralised(c) for c in table.columns])
    # Only text is neutralised: a number (a negative one too) is written as the number it is.
    writer.writerows([[neutralised(v) if isinstance(v, str) else text_of(v) for v in row] for row in table.rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8 (Chinese names) correctly


def as_xlsx(document: Document) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append([_excel_value(document.title)])
    summary["A1"].font = Font(bold=True, size=14)
    for label, value in document.fields:
        summary.append([_excel_value(label), _excel_value(value)])
    for n, table in enumerate(document.tables, start=1):
        sheet = book.create_sheet(_sheet_name(table.caption, n))
        sheet.append([_excel_value(c) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_excel_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_pdf(document: Document) -> bytes:
    out = io.BytesIO()
    page = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                             topMargin=12 * mm, bottomMargin=12 * mm, title=document.title)
    heading = ParagraphStyle("heading", fontName=CJK_FONT, fontSize=15, leading=20, spaceAfter=6)
    caption = ParagraphStyle("caption", fontName=CJK_FONT, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=8, leading=10)
    story: list = [Paragraph(_escaped(document.title), heading)]
    fields = [[Paragraph(_escaped(label), body), Paragraph(_escaped(text_of(value)), body)]
              for label, value in document.fields]
    story.append(_grid(fields, [60 * mm, 200 * mm], header=False))
    for table in document.tables:
        story += [Spacer(1, 4 * mm), Paragraph(_escaped(table.caption), caption)]
        rows = [[Paragraph(_escaped(c), body) for c in table.columns]]
        rows += [[Paragraph(_escaped(text_of(v)), body) for v in row] for row in table.rows]
        if not table.rows:
            rows.append([Paragraph("—", body)] + [""] * (len(table.columns) - 1))
        story.append(_grid(rows, None, header=True))
    page.build(story)
    return out.getvalue()


def _grid(rows: list[list], widths: list[float] | None, header: bool) -> Table:
    grid = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")))
    grid.setStyle(TableStyle(style))
    return grid


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _excel_value(value: Cell) -> Cell:
    # Excel has no time zones: write timestamps as text with their offset, so nobody misreads the zone.
    if isinstance(value, datetime):
        return text_of(value)
    if not isinstance(value, str):
        return value
    # A worksheet cannot hold control characters (a lot number typed with one, say): shown as U+FFFD instead.
    # Tab and CR are left for neutralised() to see: they start a formula as much as "=" does.
    return neutralised(ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))


def _sheet_name(caption: str, n: int) -> str:
    cleaned = "".join(ch for ch in caption if ch not in "[]:*?/\\")
    return f"{n} {cleaned}"[:31]
