"""Documents for regulators and partners: one neutral shape (`Document`: header fields and tables), rendered as
PDF (reportlab, on shared/platform/pdf.py's embedded CJK font: names and reasons are often Chinese, and the file
must read the same on a regulator's machine without Chinese fonts), Excel (openpyxl) or CSV.

Every line that names a lot or unit carries its UDI in GS1 human-readable form, `(01)GTIN(17)YYMMDD(10)LOT`
(and `(21)SERIAL`), the identification a regulator matches against the label.

Times are stored in UTC and shown in China's time with the offset: the readers are Chinese regulators and quality
staff. The PDF prints them to the minute as every printed document does (`2026-11-24 16:00 +08:00`); the
spreadsheets keep the seconds (`2026-11-24 16:00:00+08:00`). Every PDF cell wraps inside its column.

Text that a spreadsheet would take for a formula (a hospital named `=HYPERLINK(…)`) is written with a leading
apostrophe in every CSV and Excel file (OWASP's CSV injection rule), so it shows as the text it is and never runs.
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
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from shared.domain.business_day import CHINA
from shared.platform.pdf import CJK, cell, cjk_font, local_time, numbered_canvas

Cell = str | int | float | date | datetime | None

SHOWN_IN = CHINA
PAGE = landscape(A4)
MARGIN = 12 * mm
TEXT_WIDTH = PAGE[0] - 2 * MARGIN
CELL_PADDING = 3  # a cell's left and right padding, each: half reportlab's default, for tables of many columns
LONGEST_WORD = 64  # points a column gives a word at least: a GTIN at 8 points is 62
LONGEST_CHINESE = 32  # and a run of Chinese: four characters at 8 points (转售数量); longer runs break between them
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
        for heading in sheet[1]:
            heading.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_excel_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_pdf(document: Document, zone: ZoneInfo = SHOWN_IN) -> bytes:
    """The document on landscape A4, its times in `zone`; every cell wraps inside its column."""
    font = cjk_font()
    out = io.BytesIO()
    page = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                             bottomMargin=16 * mm, title=document.title)
    heading = ParagraphStyle("heading", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    caption = ParagraphStyle("caption", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4,
                             keepWithNext=1)  # a table's caption goes to the next page with it
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    story: list = [cell(document.title, heading)]
    fields = [[cell(label, body), cell(_printed(value, zone), body)] for label, value in document.fields]
    story.append(_grid(fields, [60 * mm, TEXT_WIDTH - 60 * mm], font, header=False))
    for table in document.tables:
        story += [Spacer(1, 4 * mm), cell(table.caption, caption)]
        texts = [[_printed(v, zone) for v in row] for row in table.rows]
        rows = [[cell(c, body) for c in table.columns]] + [[cell(text, body) for text in row] for row in texts]
        if not table.rows:
            rows.append([cell("—", body)] + [""] * (len(table.columns) - 1))
        story.append(_grid(rows, _column_widths(table.columns, texts, body), font, header=True))
    page.build(story, canvasmaker=numbered_canvas(lambda n, of: f"第 {n} / {of} 页 Page {n} of {of}"))
    return out.getvalue()


def _printed(value: Cell, zone: ZoneInfo) -> str:
    return local_time(value, zone) if isinstance(value, datetime) else text_of(value)


def _column_widths(columns: list[str], rows: list[list[str]], style: ParagraphStyle) -> list[float]:
    """The page's width shared among the columns, which wrap their text (a report has up to 17 of them).

    Each column gets at least its longest word (a header's too), so that no word is cut; a code longer than
    `LONGEST_WORD` (a UDI, a path of lots) is cut wherever its column ends, as it must be somewhere, and a Chinese
    name breaks between characters after `LONGEST_CHINESE`. What is left of the page goes to the columns that hold
    more text, by how much more (its widest text, up to a third of the page): a column of names gets more room than
    one of quantities.
    """
    def width(text: str) -> float:
        return stringWidth(text, style.fontName, style.fontSize)

    least, wanted = [], []
    for i, name in enumerate(columns):
        texts = [name] + [row[i] for row in rows]
        words = [min(width(word), LONGEST_CHINESE if CJK.search(word) else LONGEST_WORD)
                 for text in texts for word in text.split()]
        least.append(max(words, default=0.0) + 2 * CELL_PADDING)
        wanted.append(max(least[-1], min(max(map(width, texts[1:]), default=0.0), TEXT_WIDTH / 3) + 2 * CELL_PADDING))
    if sum(wanted) <= TEXT_WIDTH:  # room for all of it: shared in proportion
        return [TEXT_WIDTH * want / sum(wanted) for want in wanted]
    spare = TEXT_WIDTH - sum(least)
    if spare <= 0:  # more columns than the page holds with their words whole: words are cut
        return [TEXT_WIDTH * w / sum(least) for w in least]
    more = sum(wanted) - sum(least)  # above `spare`, as the columns want more than the page
    return [w + spare * (want - w) / more for w, want in zip(least, wanted, strict=True)]


def _grid(rows: list[list], widths: list[float], font: str, header: bool) -> Table:
    grid = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONT", (0, 0), (-1, -1), font),  # else the table names Helvetica, a font not embedded, on the page
             ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")))
    grid.setStyle(TableStyle(style))
    return grid


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
