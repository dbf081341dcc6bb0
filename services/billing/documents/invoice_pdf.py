"""An invoice as the PDF the billed party receives, in Chinese or English, with its CJK font embedded
(shared/platform/pdf.py), printed like the statement (statement_pdf.py, whose formats and styles it takes).

It names the party billed — the distributor the goods went through (两票制), else the hospital — and the hospital
the goods are for. The figures are the invoice's own (domain/invoice.py rounds each line and adds the lines): the
lines, the rebate discounts (票折) as negative lines, the totals, then the credit notes (红字) citing it and what is
left open after them and the payments. Unit prices (net) show up to their 4 places, never fewer than 2.

Bounded: at most 1000 lines and 1000 credit notes; more is refused before anything is drawn.
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from services.billing.documents.statement_pdf import Styles, check_language, grid_style, header_table, page_template
from services.billing.domain.invoice import Invoice
from shared.platform.pdf import Language, cjk_font, escaped, money, numbered_canvas, percent, unit_price

MAX_LINES = 1000


@dataclass(frozen=True)
class InvoiceDocumentLine:
    line_no: int
    gtin: str
    lot: str
    quantity: int
    unit_price: Decimal  # net (不含税)
    net_amount: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class InvoiceDocumentDiscount:
    vat_rate: Decimal
    net_amount: Decimal  # negative, as the invoice holds it
    vat_amount: Decimal
    gross_amount: Decimal


@dataclass(frozen=True)
class CreditNoteSummary:
    number: str
    issued_on: date
    reason: str  # return | sales_allowance | invoicing_error | other
    gross_total: Decimal  # negative: what it took back


@dataclass(frozen=True)
class InvoiceDocument:
    invoice_id: UUID
    number: str | None
    issued_on: date | None
    due_on: date | None
    payment_terms_days: int | None
    currency: str
    hospital_id: UUID
    hospital_name: str
    bill_to_distributor_id: UUID | None
    bill_to_name: str
    lines: tuple[InvoiceDocumentLine, ...]
    discounts: tuple[InvoiceDocumentDiscount, ...]
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    credit_notes: tuple[CreditNoteSummary, ...]
    credited_total: Decimal
    paid_total: Decimal
    open_amount: Decimal
    seller_name: str = ""

    @property
    def bill_to_id(self) -> UUID:
        return self.bill_to_distributor_id or self.hospital_id

    @classmethod
    def of(cls, invoice: Invoice, hospital_name: str | None, distributor_name: str | None = None,
           seller_name: str = "") -> "InvoiceDocument":
        """The invoice as printed; a party the read model does not know yet is named by its id."""
        hospital = hospital_name or str(invoice.hospital_id)
        billed = (distributor_name or str(invoice.bill_to_distributor_id)) if invoice.bill_to_distributor_id \
            else hospital
        return cls(
            invoice_id=invoice.id, number=invoice.number, issued_on=invoice.issued_on, due_on=invoice.due_on,
            payment_terms_days=invoice.payment_terms_days, currency=invoice.currency,
            hospital_id=invoice.hospital_id, hospital_name=hospital,
            bill_to_distributor_id=invoice.bill_to_distributor_id, bill_to_name=billed,
            lines=tuple(InvoiceDocumentLine(line_no=n, **{k: line[k] for k in (
                "gtin", "lot", "quantity", "unit_price", "net_amount", "vat_rate", "vat_amount", "gross_amount")})
                for n, line in enumerate(invoice.lines, start=1)),
            discounts=tuple(InvoiceDocumentDiscount(d["vat_rate"], d["net_amount"], d["vat_amount"],
                                                    d["gross_amount"]) for d in invoice.discounts),
            net_total=invoice.net_total, vat_total=invoice.vat_total, gross_total=invoice.gross_total,
            credit_notes=tuple(CreditNoteSummary(c["number"], c["issued_on"], c["reason"], c["gross_total"])
                               for c in invoice.credit_notes),
            credited_total=invoice.credited_total, paid_total=invoice.paid_total, open_amount=invoice.open_amount,
            seller_name=seller_name)


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "销售发票", "number": "发票号", "unnumbered": "未编号", "issued_on": "开票日期", "due_on": "到期日",
        "terms": "付款期限", "days": "{days} 天", "currency": "币种", "bill_to": "购买方", "bill_to_id": "购买方编号",
        "hospital": "收货医院", "hospital_id": "医院编号", "invoice_id": "发票标识", "line_no": "序号",
        "gtin": "GTIN", "lot": "批号", "quantity": "数量", "unit_price": "不含税单价", "net_amount": "不含税金额",
        "vat_rate": "税率", "vat_amount": "税额", "gross_amount": "价税合计", "discount": "票折（返利折扣）",
        "net_total": "不含税合计", "vat_total": "税额合计", "gross_total": "价税合计",
        "credit_notes": "冲红记录（红字发票）", "cn_number": "红字发票号", "cn_date": "开具日期", "cn_reason": "原因",
        "cn_gross": "价税合计", "credited": "红字冲减", "paid": "已收款", "open": "未结金额",
        "page": "第 {page} / {pages} 页",
    },
    "en": {
        "title": "Invoice", "number": "Invoice no.", "unnumbered": "not numbered", "issued_on": "Issued",
        "due_on": "Due", "terms": "Payment terms", "days": "{days} days", "currency": "Currency",
        "bill_to": "Bill to", "bill_to_id": "Bill-to ID", "hospital": "Goods for", "hospital_id": "Hospital ID",
        "invoice_id": "Invoice ID", "line_no": "No.", "gtin": "GTIN", "lot": "Lot", "quantity": "Qty",
        "unit_price": "Unit price (excl. VAT)", "net_amount": "Net amount", "vat_rate": "VAT rate",
        "vat_amount": "VAT", "gross_amount": "Amount (incl. VAT)", "discount": "Rebate discount (票折)",
        "net_total": "Total excl. VAT", "vat_total": "VAT total", "gross_total": "Total (incl. VAT)",
        "credit_notes": "Credit notes citing this invoice", "cn_number": "Credit note no.", "cn_date": "Issued",
        "cn_reason": "Reason", "cn_gross": "Amount (incl. VAT)", "credited": "Credited", "paid": "Paid",
        "open": "Open amount", "page": "Page {page} of {pages}",
    },
}

REASONS: dict[str, dict[str, str]] = {
    "zh": {"return": "退货", "sales_allowance": "销售折让", "invoicing_error": "开票有误", "other": "其他"},
    "en": {"return": "Return", "sales_allowance": "Sales allowance", "invoicing_error": "Invoicing error",
           "other": "Other"},
}

# Landscape A4 less 12 mm margins: 273 mm, the lot taking what the figures leave.
COLUMNS = ("line_no", "gtin", "lot", "quantity", "unit_price", "net_amount", "vat_rate", "vat_amount", "gross_amount")
WIDTHS_MM = (11, 32, 52, 18, 28, 34, 16, 38, 44)
FIGURES = (COLUMNS.index("quantity"), len(COLUMNS) - 1)




def render_invoice_pdf(document: InvoiceDocument, language: Language) -> bytes:
    check_language(language)
    for what, found in (("lines", document.lines), ("credit notes", document.credit_notes)):
        if len(found) > MAX_LINES:
            raise ValueError(f"an invoice document prints at most {MAX_LINES} {what}, not {len(found)}")
    label = LABELS[language]
    font = cjk_font()
    styles = Styles(font)
    out = io.BytesIO()
    number = document.number or label["unnumbered"]
    page = page_template(out, f"{label['title']} {number}", document.seller_name, str(document.invoice_id),
                         language)
    story: list = [Paragraph(escaped(label["title"]), styles.heading)]
    if document.seller_name:
        story.append(Paragraph(escaped(document.seller_name), styles.seller))
    story += [header_table(_header(document, label, number), styles, font), Spacer(1, 5 * mm),
              _lines(document, label, styles, font), Spacer(1, 3 * mm),
              KeepTogether(_totals(document, label, font))]
    if document.credit_notes:
        story += [Spacer(1, 5 * mm), Paragraph(escaped(label["credit_notes"]), styles.label), Spacer(1, 1 * mm),
                  _credit_notes(document, label, styles, font, language)]
    story += [Spacer(1, 3 * mm), KeepTogether(_open(document, label, font))]
    page.build(story, canvasmaker=numbered_canvas(lambda n, of: label["page"].format(page=n, pages=of)))
    return out.getvalue()


def _header(document: InvoiceDocument, label: dict[str, str], number: str) -> list[tuple[str, str]]:
    terms = label["days"].format(days=document.payment_terms_days) if document.payment_terms_days is not None else "—"
    return [
        (label["number"], number),
        (label["issued_on"], document.issued_on.isoformat() if document.issued_on else "—"),
        (label["due_on"], document.due_on.isoformat() if document.due_on else "—"),
        (label["terms"], terms),
        (label["bill_to"], document.bill_to_name),
        (label["bill_to_id"], str(document.bill_to_id)),
        (label["hospital"], document.hospital_name),
        (label["hospital_id"], str(document.hospital_id)),
        (label["currency"], document.currency),
        (label["invoice_id"], str(document.invoice_id)),
    ]


def _lines(document: InvoiceDocument, label: dict[str, str], styles: Styles, font: str) -> Table:
    head = [styles.text(label[c], styles.head_figure if i >= FIGURES[0] else styles.head)
            for i, c in enumerate(COLUMNS)]
    rows: list[list] = [head]
    for line in document.lines:
        rows.append([str(line.line_no), line.gtin, styles.text(line.lot), f"{line.quantity:,}",
                     unit_price(line.unit_price), money(line.net_amount), percent(line.vat_rate),
                     money(line.vat_amount), money(line.gross_amount)])
    for discount in document.discounts:
        rows.append(["", styles.text(label["discount"]), "", "", "", money(discount.net_amount),
                     percent(discount.vat_rate), money(discount.vat_amount), money(discount.gross_amount)])
    table = Table(rows, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1)  # the header row on every page
    style = grid_style(font, FIGURES)
    for row in range(len(document.lines) + 1, len(rows)):
        style.add("SPAN", (1, row), (2, row))
    table.setStyle(style)
    return table


def _summary(rows: list[list[str]], font: str) -> Table:
    table = Table(rows, colWidths=[44 * mm, 14 * mm, 36 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 9),
        ("FONT", (0, -1), (-1, -1), font, 11),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
    ]))
    return table


def _totals(document: InvoiceDocument, label: dict[str, str], font: str) -> Table:
    return _summary([[label["net_total"], document.currency, money(document.net_total)],
                     [label["vat_total"], document.currency, money(document.vat_total)],
                     [label["gross_total"], document.currency, money(document.gross_total)]], font)


def _credit_notes(document: InvoiceDocument, label: dict[str, str], styles: Styles, font: str,
                  language: Language) -> Table:
    rows: list[list] = [[styles.text(label["cn_number"]), styles.text(label["cn_date"]),
                         styles.text(label["cn_reason"]), styles.text(label["cn_gross"], styles.head_figure)]]
    for note in document.credit_notes:
        rows.append([styles.text(note.number), note.issued_on.isoformat(),
                     REASONS[language].get(note.reason, note.reason), money(note.gross_total)])
    table = Table(rows, colWidths=[50 * mm, 28 * mm, 40 * mm, 40 * mm], hAlign="LEFT", repeatRows=1)
    table.setStyle(grid_style(font, (3, 3)))
    return table


def _open(document: InvoiceDocument, label: dict[str, str], font: str) -> Table:
    """What is left to pay: the total less what credit notes took back and payments paid."""
    return _summary([[label["gross_total"], document.currency, money(document.gross_total)],
                     [label["credited"], document.currency, money(-document.credited_total)],
                     [label["paid"], document.currency, money(-document.paid_total)],
                     [label["open"], document.currency, money(document.open_amount)]], font)
