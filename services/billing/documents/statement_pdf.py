"""A statement of account (对账单) as the PDF the customer receives, in Chinese or English, with its CJK font
embedded (shared/platform/pdf.py), laid out like the quote (services/order/documents/quote_pdf.py).

The figures are the issued statement's own, never recomputed from the account: the customer confirms or disputes
what it was sent. Each line shows its signed amount as a debit (what the customer owes more: invoices, reversed
payments) or a credit (what it owes less: credit notes, payments), and the running balance from the opening one,
so the last balance is the closing balance. The aging at the period's end (not yet due, the buckets past due, and
unapplied cash) adds up to the same closing balance. Money shows 2 decimals with thousands separators.

Bounded: at most 5000 lines (the statement's own bound); more is refused before anything is drawn.

The styles live here and the invoice PDF takes them from here (the formats are shared/platform/pdf.py's), so that the
billing documents print figures alike.
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.billing.domain.statement import MAX_LINES, Statement
from shared.platform.pdf import Language, cell, cjk_font, escaped, money, numbered_canvas


@dataclass(frozen=True)
class LineDispute:
    reason: str
    status: str  # open | resolved
    outcome: str | None  # upheld | rejected, once resolved


@dataclass(frozen=True)
class StatementDocumentLine:
    line_no: int
    kind: str  # invoice | credit_note | payment | payment_reversal
    number: str
    on: date
    due_on: date | None
    amount: Decimal  # signed: positive raises the balance
    dispute: LineDispute | None = None

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


@dataclass(frozen=True)
class StatementDocument:
    statement_id: UUID
    customer_id: UUID
    customer_name: str
    currency: str
    period_start: date
    period_end: date
    opening_balance: Decimal
    closing_balance: Decimal
    lines: tuple[StatementDocumentLine, ...]
    aging: tuple[tuple[str, Decimal], ...]  # (bucket, amount) in the statement's order: not_due, …, unapplied
    status: str
    confirmed_by: str | None = None
    seller_name: str = ""

    @classmethod
    def of(cls, statement: Statement, customer_name: str | None, seller_name: str = "") -> "StatementDocument":
        """The issued statement as printed; a customer the read model does not know yet is named by its id."""
        lines = tuple(StatementDocumentLine(
            line_no=line["line_no"], kind=line["kind"], number=line["number"], on=line["on"], due_on=line["due_on"],
            amount=line["amount"], dispute=_dispute(statement.disputes.get(line["line_no"])))
            for line in statement.lines)
        return cls(statement_id=statement.id, customer_id=statement.customer_id,
                   customer_name=customer_name or str(statement.customer_id), currency=statement.currency,
                   period_start=statement.period_start, period_end=statement.period_end,
                   opening_balance=statement.opening_balance, closing_balance=statement.closing_balance, lines=lines,
                   aging=tuple(statement.aging.items()), status=statement.status,
                   confirmed_by=statement.confirmed_by, seller_name=seller_name)

    def balances(self) -> list[Decimal]:
        """The balance after each line, from the opening balance."""
        found, balance = [], self.opening_balance
        for line in self.lines:
            balance += line.amount
            found.append(balance)
        return found

    @property
    def debit_total(self) -> Decimal:
        return sum((line.debit or Decimal(0) for line in self.lines), Decimal("0.00"))

    @property
    def credit_total(self) -> Decimal:
        return sum((line.credit or Decimal(0) for line in self.lines), Decimal("0.00"))


def _dispute(found: dict[str, Any] | None) -> LineDispute | None:
    return None if found is None else LineDispute(found["reason"], found["status"], found.get("outcome"))


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "对账单", "customer": "客户", "customer_id": "客户编号", "period": "对账期间", "currency": "币种",
        "status": "状态", "confirmed_by": "确认人", "statement_id": "对账单标识", "opening": "期初余额",
        "closing": "期末余额", "line_no": "序号", "on": "日期", "kind": "类型", "number": "单据号",
        "due_on": "到期日", "debit": "借方（应收增加）", "credit": "贷方（应收减少）", "balance": "余额",
        "remark": "备注", "totals": "本期合计", "aging": "账龄（截至期末）", "bucket": "账龄区间",
        "amount": "金额", "aging_total": "合计", "dispute": "争议：{reason}", "resolved": "（已处理：{outcome}）",
        "footer": "请核对本对账单，并通过客户门户确认；如有异议，请在门户中对相应行提出争议并说明原因。",
        "page": "第 {page} / {pages} 页",
    },
    "en": {
        "title": "Statement of account", "customer": "Customer", "customer_id": "Customer ID", "period": "Period",
        "currency": "Currency", "status": "Status", "confirmed_by": "Confirmed by", "statement_id": "Statement ID",
        "opening": "Opening balance", "closing": "Closing balance", "line_no": "No.", "on": "Date",
        "kind": "Document", "number": "Number", "due_on": "Due", "debit": "Debit", "credit": "Credit",
        "balance": "Balance", "remark": "Remark", "totals": "Totals for the period", "aging": "Aging at period end",
        "bucket": "Bucket", "amount": "Amount", "aging_total": "Total", "dispute": "Disputed: {reason}",
        "resolved": " (resolved: {outcome})",
        "footer": "Please check this statement and confirm it through the customer portal, or dispute any line there"
                  " with your reason.",
        "page": "Page {page} of {pages}",
    },
}

KINDS: dict[str, dict[str, str]] = {
    "zh": {"invoice": "发票", "credit_note": "红字发票", "payment": "收款", "payment_reversal": "收款冲回"},
    "en": {"invoice": "Invoice", "credit_note": "Credit note", "payment": "Payment",
           "payment_reversal": "Payment reversed"},
}

STATUSES: dict[str, dict[str, str]] = {
    "zh": {"sent": "已发送，待确认", "confirmed": "已确认", "disputed": "有争议", "resolved": "争议已处理",
           "live": "未出具"},
    "en": {"sent": "Sent, awaiting confirmation", "confirmed": "Confirmed", "disputed": "Disputed",
           "resolved": "Disputes resolved", "live": "Not issued"},
}

OUTCOMES: dict[str, dict[str, str]] = {
    "zh": {"upheld": "客户意见成立", "rejected": "维持原单据"},
    "en": {"upheld": "upheld", "rejected": "rejected, the line stands"},
}


def bucket_label(bucket: str, language: Language) -> str:
    """not_due, disputed, unapplied and the day ranges ('0-30', '>365') of domain/aging.py, for a reader."""
    named = {"zh": {"not_due": "未到期", "disputed": "有争议", "unapplied": "未核销预收款"},
             "en": {"not_due": "Not yet due", "disputed": "Disputed", "unapplied": "Unapplied cash"}}[language]
    if bucket in named:
        return named[bucket]
    return f"逾期 {bucket} 天" if language == "zh" else f"{bucket} days overdue"


def remark(line: StatementDocumentLine, language: Language) -> str:
    if line.dispute is None:
        return ""
    label = LABELS[language]
    text = label["dispute"].format(reason=line.dispute.reason)
    if line.dispute.status == "resolved" and line.dispute.outcome:
        text += label["resolved"].format(outcome=OUTCOMES[language].get(line.dispute.outcome, line.dispute.outcome))
    return text


def check_language(language: str) -> None:
    if language not in LABELS:
        raise ValueError(f"language must be 'zh' or 'en', not {language!r}")


class Styles:
    def __init__(self, font: str) -> None:
        self.heading = ParagraphStyle("heading", fontName=font, fontSize=18, leading=24, spaceAfter=2)
        self.seller = ParagraphStyle("seller", fontName=font, fontSize=10, leading=14, spaceAfter=4)
        self.label = ParagraphStyle("label", fontName=font, fontSize=8.5, leading=11, textColor=colors.dimgrey)
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)
        self.head = ParagraphStyle("head", fontName=font, fontSize=8, leading=10)
        self.head_figure = ParagraphStyle("head_figure", parent=self.head, alignment=TA_RIGHT)
        self.footer = ParagraphStyle("footer", fontName=font, fontSize=9, leading=13)

    def text(self, value: str, style: ParagraphStyle | None = None) -> Paragraph:
        return cell(value, style or self.cell)


def page_template(out: io.BytesIO, title: str, author: str, subject: str, language: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                             bottomMargin=16 * mm, title=title, author=author, subject=subject, lang=language)


def header_table(pairs: list[tuple[str, str]], styles: Styles, font: str) -> Table:
    """Label/value pairs, two to a row."""
    if len(pairs) % 2:
        pairs = [*pairs, ("", "")]
    rows = [[Paragraph(escaped(a), styles.label), styles.text(b), Paragraph(escaped(c), styles.label),
             styles.text(d)] for (a, b), (c, d) in zip(pairs[::2], pairs[1::2], strict=True)]
    table = Table(rows, colWidths=[30 * mm, 106 * mm, 30 * mm, 107 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font),  # a table names its font (Helvetica) even here
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey)]))
    return table


def grid_style(font: str, figures: tuple[int, int], last_bold: bool = False) -> TableStyle:
    """The lines tables' look: a shaded header, the figure columns `figures` (first, last) right-aligned."""
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), font, 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 1), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 2),
        ("ALIGN", (figures[0], 1), (figures[1], -1), "RIGHT"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf2")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f8fa")]),
    ]
    if last_bold:
        commands += [("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black), ("FONT", (0, -1), (-1, -1), font, 9)]
    return TableStyle(commands)


# Landscape A4 less 12 mm margins: 273 mm, the remark (a dispute's reason) taking what the figures leave.
COLUMNS = ("line_no", "on", "kind", "number", "due_on", "debit", "credit", "balance", "remark")
WIDTHS_MM = (11, 22, 30, 40, 22, 32, 32, 34, 50)  # "Payment reversed" on one line
FIGURES = (COLUMNS.index("debit"), COLUMNS.index("balance"))


def render_statement_pdf(document: StatementDocument, language: Language) -> bytes:
    check_language(language)
    if len(document.lines) > MAX_LINES:
        raise ValueError(f"a statement document prints at most {MAX_LINES} lines, not {len(document.lines)}")
    label = LABELS[language]
    font = cjk_font()
    styles = Styles(font)
    out = io.BytesIO()
    page = page_template(out, f"{label['title']} {document.customer_name}", document.seller_name,
                         str(document.statement_id), language)
    story: list = [Paragraph(escaped(label["title"]), styles.heading)]
    if document.seller_name:
        story.append(Paragraph(escaped(document.seller_name), styles.seller))
    story += [header_table(_header(document, label, language), styles, font), Spacer(1, 5 * mm),
              _lines(document, label, styles, font, language), Spacer(1, 5 * mm),
              KeepTogether([Paragraph(escaped(label["aging"]), styles.label), Spacer(1, 1 * mm),
                            _aging(document, label, font, language)]),
              Spacer(1, 6 * mm), cell(label["footer"], styles.footer)]
    page.build(story, canvasmaker=numbered_canvas(lambda n, of: label["page"].format(page=n, pages=of)))
    return out.getvalue()


def _header(document: StatementDocument, label: dict[str, str], language: Language) -> list[tuple[str, str]]:
    return [
        (label["customer"], document.customer_name),
        (label["customer_id"], str(document.customer_id)),
        (label["period"], f"{document.period_start.isoformat()} – {document.period_end.isoformat()}"),
        (label["currency"], document.currency),
        (label["opening"], f"{document.currency} {money(document.opening_balance)}"),
        (label["closing"], f"{document.currency} {money(document.closing_balance)}"),
        (label["status"], STATUSES[language].get(document.status, document.status)),
        (label["confirmed_by"], document.confirmed_by or "—"),
        (label["statement_id"], str(document.statement_id)),
    ]


def _lines(document: StatementDocument, label: dict[str, str], styles: Styles, font: str,
           language: Language) -> Table:
    head = [styles.text(label[c], styles.head_figure if FIGURES[0] <= i <= FIGURES[1] else styles.head)
            for i, c in enumerate(COLUMNS)]
    rows: list[list] = [head, ["", "", "", styles.text(label["opening"]), "", "", "",
                               money(document.opening_balance), ""]]
    for line, balance in zip(document.lines, document.balances(), strict=True):
        rows.append([str(line.line_no), line.on.isoformat(), styles.text(KINDS[language].get(line.kind, line.kind)),
                     styles.text(line.number), line.due_on.isoformat() if line.due_on else "",
                     money(line.debit) if line.debit else "", money(line.credit) if line.credit else "",
                     money(balance), styles.text(remark(line, language)) if line.dispute else ""])
    rows.append(["", "", "", styles.text(label["totals"]), "", money(document.debit_total),
                 money(document.credit_total), money(document.closing_balance), styles.text(label["closing"])])
    table = Table(rows, colWidths=[w * mm for w in WIDTHS_MM], repeatRows=1)  # the header row on every page
    table.setStyle(grid_style(font, FIGURES, last_bold=True))
    return table


def _aging(document: StatementDocument, label: dict[str, str], font: str, language: Language) -> Table:
    rows = [[label["bucket"], label["amount"]]]
    rows += [[bucket_label(bucket, language), money(amount)] for bucket, amount in document.aging]
    rows.append([label["aging_total"], money(sum((amount for _, amount in document.aging), Decimal("0.00")))])
    table = Table(rows, colWidths=[50 * mm, 36 * mm], hAlign="LEFT")
    table.setStyle(grid_style(font, (1, 1), last_bold=True))
    return table
