"""Every PDF the product prints — the quote, the invoice, the statement, the recall event and implementation reports
— read back from the file itself (pypdf), as a machine without Chinese fonts and a reader would see it:

* every font it uses is embedded (a /FontFile2 or /FontFile3 in the font's descriptor; reportlab's 'STSong-Light'
  CID font only names an Adobe font and shows empty boxes where that is missing);
* a long name mixing Chinese and English wraps inside its column: it reads back whole, English words are never cut,
  and no text runs off the page or over other text;
* times are shown in China's time with the offset (`2026-11-24 16:05 +08:00`), never in UTC.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import SimpleDocTemplate, Table

from services.billing.documents.invoice_pdf import (
    CreditNoteSummary,
    InvoiceDocument,
    InvoiceDocumentDiscount,
    InvoiceDocumentLine,
    render_invoice_pdf,
)
from services.billing.documents.statement_pdf import (
    LineDispute,
    StatementDocument,
    StatementDocumentLine,
    render_statement_pdf,
)
from services.order.documents.quote_pdf import QuoteDocument, QuoteDocumentLine, render_quote_pdf
from services.traceability.domain.recall import RecallCase
from services.traceability.queries.answers import AffectedLot, LotRef, RecallLookup
from services.traceability.queries.case_consignees import RecallConsignee
from services.traceability.queries.master_data import Product
from services.traceability.reports.documents import Document, DocumentTable, as_pdf
from services.traceability.reports.regulator import implementation_report, recall_event_report
from shared.events.channel import Contact
from shared.platform.context import acting_as
from shared.platform.pdf import CJK, CJK_FONT, Language, cell, cjk_font, local_time

LONG_NAME = "北京协和医院国际医疗部 Peking Union Medical College Hospital International Medical Services 心血管内科导管室"
ENGLISH_WORDS = re.findall(r"[A-Za-z]+", LONG_NAME)
GTIN, LOT, EXPIRY = "09506000134352", "R-2026-001", date(2027, 12, 31)
HOSPITAL = UUID("5d0e3c2b-8a41-4b6f-9e27-1c9d8f7a6b54")
DECIDED = datetime(2026, 11, 24, 8, 5, tzinfo=UTC)  # 16:05 in Shanghai
NOTIFIED = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
AS_OF = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)  # 17:05 in Shanghai
MARGIN = 12 * mm  # every document's left and right margin


# --- the documents, from plain data ------------------------------------------------------------------------------

def quote(language: Language) -> bytes:
    line = QuoteDocumentLine(1, GTIN, LONG_NAME, 10, Decimal("12.3450"), Decimal("10.9248"), Decimal("0.13"))
    return render_quote_pdf(QuoteDocument(
        quote_id=UUID("0b7c6f5e-2f4a-4d7e-9a51-4a3f2d1c0b9a"), number="Q-2026-0001", customer_name=LONG_NAME,
        customer_id=HOSPITAL, currency="CNY", valid_until=date(2026, 12, 31), issued_at=DECIDED, status="approved",
        lines=(line,), approved_by="王芳", note=f"送货至 Deliver to: {LONG_NAME}", seller_name="苏州某医疗器械有限公司"),
        language)


def invoice(language: Language) -> bytes:
    line = InvoiceDocumentLine(1, GTIN, LOT, 11, Decimal("100.0045"), Decimal("1100.05"), Decimal("0.13"),
                               Decimal("143.01"), Decimal("1243.06"))
    discount = InvoiceDocumentDiscount(Decimal("0.13"), Decimal("-100.00"), Decimal("-13.00"), Decimal("-113.00"))
    credit_note = CreditNoteSummary("CN-2026-000001", date(2026, 11, 10), "sales_allowance", Decimal("-226.01"))
    return render_invoice_pdf(InvoiceDocument(
        invoice_id=UUID("7a1f0e9d-3c2b-4a59-8e17-6d5c4b3a2f10"), number="INV-2026-000001", issued_on=date(2026, 11, 3),
        due_on=date(2027, 1, 2), payment_terms_days=60, currency="CNY", hospital_id=HOSPITAL, hospital_name=LONG_NAME,
        bill_to_distributor_id=None, bill_to_name=LONG_NAME, lines=(line,), discounts=(discount,),
        net_total=Decimal("1000.05"), vat_total=Decimal("130.01"), gross_total=Decimal("1130.06"),
        credit_notes=(credit_note,), credited_total=Decimal("226.01"), paid_total=Decimal("0.00"),
        open_amount=Decimal("904.05")), language)


def statement(language: Language) -> bytes:
    """Every kind of line ("Payment reversed" is the longest), the invoice disputed with the long name."""
    lines = (StatementDocumentLine(1, "invoice", "INV-2026-000001", date(2026, 11, 3), date(2027, 1, 2),
                                   Decimal("1243.06"), LineDispute(LONG_NAME, "open", None)),
             StatementDocumentLine(2, "credit_note", "CN-2026-000001", date(2026, 11, 10), None, Decimal("-226.01")),
             StatementDocumentLine(3, "payment", "BR-20261115", date(2026, 11, 15), None, Decimal("-1000.00")),
             StatementDocumentLine(4, "payment_reversal", "BR-20261115", date(2026, 11, 20), None, Decimal("1000.00")))
    return render_statement_pdf(StatementDocument(
        statement_id=UUID("3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98"), customer_id=HOSPITAL, customer_name=LONG_NAME,
        currency="CNY", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), opening_balance=Decimal("0.00"),
        closing_balance=Decimal("1017.05"), lines=lines, aging=(("not_due", Decimal("1017.05")),), status="sent"),
        language)


def recall() -> tuple[RecallCase, list[RecallLookup], list[RecallConsignee], dict[str, Product]]:
    """A level-2 recall of one lot that reached one hospital, notified on the 25th; the product and the hospital both
    carry the long name."""
    with acting_as("user:test"):
        case = RecallCase.open(UUID("1e2d3c4b-5a69-4877-8695-a4b3c2d1e0f9"), "支架输送系统召回 Delivery system recall",
                               "NMPA", 2, "输送系统回撤困难 Difficult withdrawal", DECIDED,
                               [{"gtin": GTIN, "lot": LOT}], [], AS_OF, number="RC-2026-0001")
        case.notify(HOSPITAL, NOTIFIED, "phone", None, NOTIFIED)
    affected = AffectedLot(gtin=GTIN, lot=LOT, expiry=EXPIRY, via=[LotRef(gtin=GTIN, lot=LOT)], quantity_shipped=10,
                           quantity_returned=0, quantity_outstanding=10)
    lookup = RecallLookup(gtin=GTIN, lot=LOT, expiry=EXPIRY, quantity_shipped=10, quantity_returned=0,
                          quantity_outstanding=10, affected_lots=[affected], consignees=[], total=1, limit=100,
                          offset=0)
    consignee = RecallConsignee(
        consignee_id=HOSPITAL, kind="hospital", name=LONG_NAME, region="北京市",
        contact=Contact(name="设备科 王主任", phone="010-6915 6114"), via_distributor=None, status="notified",
        notified_at=NOTIFIED, notification_method="phone", acknowledged_at=None, acknowledged_by=None,
        quantity_shipped=10, quantity_returned=0, quantity_outstanding=10, quantity_sold_on=0, quantity_in_stock=None,
        units_to_recover=10, units_recovered=0, affected_lots=[affected], shipments=[])
    product = Product(gtin=GTIN, name=LONG_NAME, model="RX-3.0×18mm", manufacturer="苏州医疗器械制造有限公司",
                      certificate_number="国械注准20193130001")
    return case, [lookup], [consignee], {GTIN: product}


def recall_event(_: Language) -> bytes:
    case, lookups, consignees, products = recall()
    return as_pdf(recall_event_report(case, lookups, consignees, products, AS_OF))


def recall_implementation(_: Language) -> bytes:
    case, _lookups, consignees, products = recall()
    return as_pdf(implementation_report(case, consignees, products, AS_OF))


# (render, language, the times it prints as its reader reads them)
DOCUMENTS: dict[str, tuple[Callable[[Language], bytes], Language, tuple[str, ...]]] = {
    "quote-zh": (quote, "zh", ("2026-11-24 16:05 +08:00",)),
    "quote-en": (quote, "en", ("2026-11-24 16:05 +08:00",)),
    "invoice-zh": (invoice, "zh", ()),  # an invoice and a statement print dates (China's business days), no times
    "invoice-en": (invoice, "en", ()),
    "statement-zh": (statement, "zh", ()),
    "statement-en": (statement, "en", ()),
    "recall-event-report": (recall_event, "zh", (
        "2026-11-24 16:05 +08:00", "2026-11-27 16:05 +08:00", "2026-11-30 17:05 +08:00")),  # decided, notify by, as of
    "recall-implementation-report": (recall_implementation, "zh", (
        "2026-11-24 16:05 +08:00", "2026-11-27 16:05 +08:00", "2026-11-30 17:05 +08:00", "2026-11-25 09:30 +08:00")),
}


@pytest.fixture(params=list(DOCUMENTS), scope="module")
def printed(request: pytest.FixtureRequest) -> tuple[bytes, tuple[str, ...]]:
    render, language, times = DOCUMENTS[request.param]
    return render(language), times


# --- reading a PDF back ------------------------------------------------------------------------------------------

def fonts(pdf: bytes) -> list[DictionaryObject]:
    """Every font object in the file, wherever it is used."""
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/Font":
            found.append(obj)
    return found


def lines_of(pdf: bytes) -> list[str]:
    """The text as extracted, line by line."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return [line.strip() for line in text.splitlines() if line.strip()]


def reading(pdf: bytes) -> str:
    """The text as a reader reads it: a line broken inside Chinese runs on, one broken at a space reads a space."""
    joined = ""
    for line in lines_of(pdf):
        glue = "" if joined and CJK.match(joined[-1]) and CJK.match(line[0]) else " "
        joined += glue + line
    return joined


@dataclass(frozen=True)
class Run:
    """A string drawn on a page, and the box it covers (points)."""

    page: int
    text: str
    left: float
    right: float
    bottom: float
    top: float


def runs(pdf: bytes) -> list[Run]:
    found: list[Run] = []
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        def visit(text: str, cm: Any, tm: Any, font: Any, size: float, page_no: int = number) -> None:
            if text.strip():
                x, y, scaled = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5], size * tm[0] * cm[0]
                # Only the CJK font is ever drawn (see the font test): its metrics give each string's width.
                width = stringWidth(text.strip(), CJK_FONT, scaled)
                found.append(Run(page_no, text.strip(), x, x + width, y - 0.2 * scaled, y + 0.75 * scaled))

        page.extract_text(visitor_text=visit)
    return found


# --- every document ----------------------------------------------------------------------------------------------

def test_every_font_is_embedded(printed):
    pdf, _ = printed
    used = fonts(pdf)
    assert used
    for font in used:
        if font["/Subtype"] == "/Type0":  # a CID font: the glyphs are in its descendant's descriptor, if anywhere
            font = font["/DescendantFonts"][0].get_object()
        descriptor = font.get("/FontDescriptor")
        assert descriptor is not None, f"{font['/BaseFont']} has no descriptor: a standard font, not embedded"
        embedded = {"/FontFile2", "/FontFile3"} & set(descriptor.get_object())
        assert embedded, f"{font['/BaseFont']} is named, not embedded"


def test_a_report_with_an_empty_table_names_no_font_it_does_not_embed():
    # An empty table prints a dash and blank cells: reportlab would name Helvetica for those unless told otherwise.
    pdf = as_pdf(Document("空报告 Empty report", [("报告时间 As of", AS_OF)], [DocumentTable("无 None", ["甲 A", "乙 B"])]))
    assert fonts(pdf) and all(font["/BaseFont"].endswith("WenQuanYiMicroHei-0") for font in fonts(pdf))
    assert "2026-11-30 17:05 +08:00" in reading(pdf)


def test_the_long_name_reads_back_whole(printed):
    pdf, _ = printed
    assert LONG_NAME in reading(pdf)


def test_the_long_name_wraps_at_spaces_and_keeps_english_words_whole(printed):
    pdf, _ = printed
    lines = lines_of(pdf)
    # A wide field may hold it on one line; a table cell may not.
    assert sum(LONG_NAME in line for line in lines) < reading(pdf).count(LONG_NAME), "nowhere wrapped"
    words = {word for line in lines for word in line.split()}
    assert [w for w in ENGLISH_WORDS if w not in words] == []


def test_no_text_runs_off_the_page_or_over_other_text(printed):
    pdf, _ = printed
    width = landscape(A4)[0]
    drawn = runs(pdf)
    for run in drawn:
        assert MARGIN - 1 <= run.left and run.right <= width - MARGIN + 1, run
    for i, a in enumerate(drawn):
        for b in drawn[i + 1:]:
            if a.page == b.page and a.bottom < b.top and b.bottom < a.top:  # on the same line of print
                assert a.right <= b.left + 0.5 or b.right <= a.left + 0.5, (a, b)


def test_times_are_shown_in_chinas_time_with_the_offset(printed):
    pdf, times = printed
    text = reading(pdf)
    for shown in times:
        assert shown in text, shown
    assert "+00:00" not in text and not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text)  # never UTC, never ISO's T


# --- the shared helpers ------------------------------------------------------------------------------------------

def _in_a_column(text: str, width: float) -> list[Run]:
    """`text` as the only cell of a one-column table `width` points wide, its lines as drawn."""
    out = io.BytesIO()
    style = ParagraphStyle("cell", fontName=cjk_font(), fontSize=8.5, leading=11)
    table = Table([[cell(text, style)]], colWidths=[width], hAlign="LEFT")
    SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN).build([table])
    return runs(out.getvalue())


@pytest.mark.parametrize("width", [70.0, 90.0, 150.0])  # reportlab's CJK wrap cuts words at 70 and 90
def test_a_cell_wraps_inside_its_column_keeping_english_words_whole(width):
    drawn = _in_a_column(LONG_NAME, width)
    assert len(drawn) > 2
    start = drawn[0].left  # the column's left edge and reportlab's 6-point padding on either side
    for run in drawn:
        assert run.left == start and run.right <= start + width - 2 * 6 + 0.01, run
    lines = [run.text for run in drawn]
    assert [w for w in ENGLISH_WORDS if w not in {word for line in lines for word in line.split()}] == []


def test_a_chinese_name_without_spaces_breaks_between_characters():
    name = "中国人民解放军总医院第一医学中心心血管内科介入导管室耗材二级库"
    drawn = _in_a_column(name, 60.0)
    assert len(drawn) > 2 and "".join(run.text for run in drawn) == name
    assert all(run.right <= drawn[0].left + 60.0 - 2 * 6 + 0.01 for run in drawn)


def test_a_style_that_would_break_english_words_is_refused():
    with pytest.raises(ValueError, match="English words"):
        cell(LONG_NAME, ParagraphStyle("cjk", fontName=cjk_font(), wordWrap="CJK"))


def test_a_time_is_printed_in_the_readers_zone_with_its_offset():
    assert local_time(AS_OF) == "2026-11-30 17:05 +08:00"
    assert local_time(datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == "2027-01-01 00:30 +08:00"  # the next day there
    assert local_time(AS_OF, ZoneInfo("America/New_York")) == "2026-11-30 04:05 -05:00"
    assert local_time(AS_OF, ZoneInfo("Asia/Kolkata")) == "2026-11-30 14:35 +05:30"
    with pytest.raises(ValueError, match="timezone-aware"):
        local_time(datetime(2026, 11, 30, 9, 5))
