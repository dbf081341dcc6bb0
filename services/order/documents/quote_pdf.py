"""A quote (报价单) as the PDF the customer receives, in Chinese or English, with its font embedded
(shared/platform/pdf.py).

The document computes its amounts itself, from the quoted prices, the way an invoice will: per line the
tax-inclusive (含税) amount is round(unit_price × quantity, 2) and the net (不含税) amount round(net_unit_price ×
quantity, 2), both half up; the line's VAT is their difference, so net + VAT is exactly the amount printed. The
totals are the sums of the lines' printed amounts. Money shows 2 decimals with thousands separators; unit prices
up to their 4 places (trailing zeros trimmed, never below 2). The issue time is stored in UTC and shown in the
quote's zone (China's by default) with its offset. Text cells wrap inside their columns (shared/platform/pdf.py `cell`).

Bounded: at most 500 lines (about 25 pages); more is refused before anything is drawn.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shared.platform.pdf import (
    CENT, Language, cell, cjk_font, escaped, local_time, money, numbered_canvas, percent, unit_price,
)

MAX_LINES = 500

@dataclass(frozen=True)
class QuoteDocumentLine:
    line_no: int
    gtin: str
    item_name: str
    quantity: int
    unit_price: Decimal  # tax-inclusive (含税), up to 4 places
    net_unit_price: Decimal
    vat_rate: Decimal  # Decimal("0.13") for 13 %

    @property
    def gross_amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT, ROUND_HALF_UP)

    @property
    def net_amount(self) -> Decimal:
        return (self.net_unit_price * self.quantity).quantize(CENT, ROUND_HALF_UP)

    @property
    def vat_amount(self) -> Decimal:
        return self.gross_amount - self.net_amount


@dataclass(frozen=True)
class QuoteDocument:
    quote_id: UUID
    number: str  # "Q-2026-0001"
    customer_name: str
    customer_id: UUID
    currency: str
    valid_until: date
    issued_at: datetime  # UTC, timezone-aware; shown in `zone`
    status: str
    lines: tuple[QuoteDocumentLine, ...]
    approved_by: str | None
    note: str | None
    seller_name: str = ""
    zone: str = "Asia/Shanghai"

    @property
    def gross_total(self) -> Decimal:
        return sum((line.gross_amount for line in self.lines), Decimal("0.00"))

    @property
    def net_total(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), Decimal("0.00"))

    @property
    def vat_total(self) -> Decimal:
        return sum((line.vat_amount for line in self.lines), Decimal("0.00"))


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "报价单", "number": "报价单号", "status": "状态", "customer": "客户", "customer_id": "客户编号",
        "seller": "报价方", "issued_at": "签发时间", "valid_until": "有效期至", "currency": "币种",
        "approved_by": "审批人", "quote_id": "报价单标识", "line_no": "序号", "gtin": "GTIN", "item": "品名",
        "quantity": "数量", "unit_price": "含税单价", "net_unit_price": "不含税单价", "vat_rate": "税率",
        "net_amount": "不含税金额", "vat_amount": "税额", "gross_amount": "含税金额",
        "net_total": "不含税合计", "vat_total": "税额合计", "gross_total": "合计（含税）", "note": "备注",
        "page": "第 {page} / {pages} 页",
    },
    "en": {
        "title": "Quotation", "number": "Quote no.", "status": "Status", "customer": "Customer",
        "customer_id": "Customer ID", "seller": "Quoted by", "issued_at": "Issued", "valid_until": "Valid until",
        "currency": "Currency", "approved_by": "Approved by", "quote_id": "Quote ID", "line_no": "No.",
        "gtin": "GTIN", "item": "Item", "quantity": "Qty", "unit_price": "Unit price (incl. VAT)",
        "net_unit_price": "Unit price (excl. VAT)", "vat_rate": "VAT rate", "net_amount": "Net amount",
        "vat_amount": "VAT", "gross_amount": "Amount (incl. VAT)", "net_total": "Total excl. VAT",
        "vat_total": "VAT total", "gross_total": "Total (incl. VAT)", "note": "Note",
        "page": "Page {page} of {pages}",
    },
}

STATUSES: dict[str, dict[str, str]] = {
    "zh": {"draft": "草稿", "drafted": "草稿", "submitted": "已提交", "pending_approval": "待审批",
           "approved": "已批准", "rejected": "已驳回", "sent": "已发送", "accepted": "已接受", "expired": "已过期"},
    "en": {"draft": "Draft", "drafted": "Draft", "submitted": "Submitted", "pending_approval": "Pending approval",
           "approved": "Approved", "rejected": "Rejected", "sent": "Sent", "accepted": "Accepted",
           "expired": "Expired"},
}

# Landscape A4 less 12 mm margins: 273 mm, the item name taking what the figures leave.
COLUMNS = ("line_no", "gtin", "item", "quantity", "unit_price", "net_unit_price", "vat_rate",
           "net_amount", "vat_amount", "gross_amount")
WIDTHS_MM = (11, 30, 74, 16, 24, 24, 16, 26, 24, 28)
FIGURES_FROM = COLUMNS.index("quantity")  # the columns from here on are right-aligned numbers


def render_quote_pdf(quote: QuoteDocument, language: Language) -> bytes:
    if language not in LABELS:
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")
    if len(quote.lines) > MAX_LINES:
        raise ValueError(f"a quote document prints at most {MAX_LINES} lines, not {len(quote.lines)}")
    if quote.issued_at.utcoffset() is None:
        raise ValueError("issued_at must be timezone-aware (UTC)")
    label = LABELS[language]
    font = cjk_font()
    styles = _Styles(font)

    out = io.BytesIO()
    page = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                             topMargin=12 * mm, bottomMargin=16 * mm, title=f"{label['title']} {quote.number}",
                             author=quote.seller_name, subject=str(quote.quote_id), lang=language)
    story: list = [Paragraph(escaped(label["title"]), styles.heading)]
    if quote.seller_name:
        story.append(Paragraph(escaped(quote.seller_name), styles.seller))
    story += [_header(quote, label, styles, font, language), Spacer(1, 5 * mm), _lines(quote, label, styles, font),
              Spacer(1, 3 * mm), KeepTogether(_totals(quote, label, font))]
    if quote.note:
        story += [Spacer(1, 4 * mm), Paragraph(f"{escaped(label['note'])}：" if language == "zh"
                                                 else f"{escaped(label['note'])}:", styles.label),
                  cell(quote.note, styles.cell)]
    page.build(story, canvasmaker=numbered_canvas(lambda n, of: label["page"].format(page=n, pages=of)))
    return out.getvalue()


class _Styles:
    def __init__(self, font: str) -> None:
        self.heading = ParagraphStyle("heading", fontName=font, fontSize=18, leading=24, spaceAfter=2)
        self.seller = ParagraphStyle("seller", fontName=font, fontSize=10, leading=14, spaceAfter=4)
        self.label = ParagraphStyle("label", fontName=font, fontSize=8.5, leading=11, textColor=colors.dimgrey)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)
        self.head = ParagraphStyle("head", fontName=font, fontSize=8, leading=10)
        self.head_figure = ParagraphStyle("head_figure", parent=self.head, alignment=TA_RIGHT)

    def text(self, value: str, style: ParagraphStyle | None = None) -> Paragraph:
        return cell(value, style or self.cell)


def _header(quote: QuoteDocument, label: dict[str, str], styles: _Styles, font: str, language: str) -> Table:
    issued = local_time(quote.issued_at, ZoneInfo(quote.zone))
    pairs = [
        (label["number"], quote.number),
        (label["status"], STATUSES[language].get(quote.status.lower(), quote.status)),
        (label["customer"], quote.customer_name),
        (label["customer_id"], str(quote.customer_id)),
        (label["issued_at"], issued),
        (label["valid_until"], quote.valid_until.isoformat()),
        (label["currency"], quote.currency),
        (label["approved_by"], quote.approved_by or "—"),
        (label["quote_id"], str(quote.quote_id)),
    ]
    if len(pairs) % 2:
        pairs.append(("", ""))
    rows = [[Paragraph(escaped(a), styles.label), styles.text(b), Paragraph(escaped(c), styles.label),
             styles.text(d)] for (a, b), (c, d) in zip(pairs[::2], pairs[1::2], strict=True)]
    table = Table(rows, colWidths=[26 * mm, 110 * mm, 26 * mm, 111 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font),  # a table names its font (Helvetica) even here
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey)]))
    return table


def _lines(quote: QuoteDocument, label: dict[str, str], styles: _Styles, font: str) -> Table:
    head = [styles.text(label[c], styles.head_figure if i >= FIGURES_FROM else styles.head)
            for i, c in enumerate(COLUMNS)]
    rows: list[list] = [head]
    for line in quote.lines:
        rows.append([str(line.line_no), line.gtin, styles.text(line.item_name), f"{line.quantity:,}",
                     unit_price(line.unit_price), unit_price(line.net_unit_price), percent(line.vat_rate),
                     money(line.net_amount), money(line.vat_amount), money(line.gross_amount)])
    table = Table(rows, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1)  # the header row on every page
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 1), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
        ("ALIGN", (FIGURES_FROM, 1), (-1, -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f8fa")]),
    ]))
    return table


def _totals(quote: QuoteDocument, label: dict[str, str], font: str) -> Table:
    rows = [[label["net_total"], quote.currency, money(quote.net_total)],
            [label["vat_total"], quote.currency, money(quote.vat_total)],
            [label["gross_total"], quote.currency, money(quote.gross_total)]]
    table = Table(rows, colWidths=[40 * mm, 14 * mm, 34 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("FONT", (0, -1), (-1, -1), font, 11),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
    ]))
    return table
