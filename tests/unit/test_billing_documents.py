"""Billing's printable documents (services/billing/documents/): the statement (对账单) as PDF and Excel and the
invoice as PDF, in Chinese or English. The PDFs embed their CJK font and read back as the documents' own text and
figures; each statement line's amount lands in the debit or the credit column with the running balance beside it;
the workbook holds real dates and numbers and no formula; more lines than the bound are refused; and the routes
answer the right media type and file name, and 404 outside the caller's scope."""

import io
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from reportlab.lib.units import mm

from services.billing.api import documents as documents_api
from services.billing.documents import statement_pdf
from services.billing.documents.invoice_pdf import InvoiceDocument, render_invoice_pdf, unit_price
from services.billing.documents.parties import party_name
from services.billing.documents.statement_pdf import StatementDocument, money, render_statement_pdf
from services.billing.documents.statement_xlsx import render_statement_xlsx
from services.billing.domain import Invoice, Statement, price_lines
from shared.platform.auth import issue_token
from shared.platform.context import acting_as
from shared.platform.problems import install_problem_handlers
from shared.platform.service_state import read_models, unit_of_work

HOSPITAL, DISTRIBUTOR = UUID("5d0e3c2b-8a41-4b6f-9e27-1c9d8f7a6b54"), UUID("7a1f0e9d-3c2b-4a59-8e17-6d5c4b3a2f10")
HOSPITAL_NAME, DISTRIBUTOR_NAME = "上海市第一人民医院", "华东医疗器械有限公司"
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def statement() -> Statement:
    """Opening 500.00; an invoice, its credit note, a payment and the payment bounced: balances 1,743.06,
    1,517.05, 517.05, 1,517.05. The invoice's line is disputed."""
    kinds = [("invoice", "INV-2026-000001", date(2026, 11, 3), date(2026, 12, 3), "1243.06"),
             ("credit_note", "CN-2026-000001", date(2026, 11, 10), None, "-226.01"),
             ("payment", "BR-20261115", date(2026, 11, 15), None, "-1000.00"),
             ("payment_reversal", "BR-20261115", date(2026, 11, 20), None, "1000.00")]
    lines = [{"kind": kind, "document_id": uuid4(), "number": number, "on": on, "due_on": due, "amount": Decimal(a)}
             for kind, number, on, due, a in kinds]
    aging = {"not_due": Decimal("1017.05"), "0-30": Decimal("500.00"), "31-60": Decimal("0.00"),
             ">60": Decimal("0.00"), "unapplied": Decimal("0.00")}
    with acting_as("user:test"):
        found = Statement.issue(HOSPITAL, "CNY", *NOVEMBER, Decimal("500.00"), lines, aging)
        found.dispute(1, "数量不符，少收2盒")
    return found


def invoice(distributor: UUID | None = DISTRIBUTOR) -> Invoice:
    """Line 1: 11 × 100.0045 = 1,100.05 net, 143.01 VAT, 1,243.06; line 2: 3 × 12.345 = 37.04 net at 6 %, 39.26;
    a 票折 of -113.00: 1,169.32 in all. A credit note of 2 units of line 1 (-226.01) leaves 943.31 open."""
    lines = price_lines([{"gtin": "06901234567892", "lot": "L2026-001", "quantity": 11},
                         {"gtin": "09506000134352", "lot": "DEMO-EARLY", "quantity": 3}],
                        {"06901234567892": Decimal("100.0045"), "09506000134352": Decimal("12.345")},
                        {"09506000134352": Decimal("0.06")})
    discounts = [{"vat_rate": Decimal("0.13"), "net_amount": Decimal("-100.00"), "vat_amount": Decimal("-13.00"),
                  "gross_amount": Decimal("-113.00"), "settlements": ["rebate:S-1"]}]
    with acting_as("user:test"):
        found = Invoice.raise_for(uuid4(), uuid4(), HOSPITAL, "CNY", lines, bill_to_distributor_id=distributor,
                                  discounts=discounts, number="INV-2026-000001", issued_on=date(2026, 11, 3),
                                  due_on=date(2027, 1, 2), payment_terms_days=60)
        found.issue_credit_note(uuid4(), "CN-2026-000001", "return", found.credit_note_lines(
            [{"line_no": 1, "quantity": 2}]), date(2026, 11, 10))
    return found


def statement_document(**changes: Any) -> StatementDocument:
    return replace(StatementDocument.of(statement(), HOSPITAL_NAME), **changes)


def invoice_document(**changes: Any) -> InvoiceDocument:
    return replace(InvoiceDocument.of(invoice(), HOSPITAL_NAME, DISTRIBUTOR_NAME), **changes)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts(pdf: bytes) -> list[dict]:
    found = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            found[font["/BaseFont"]] = font
    return list(found.values())


def x_of(pdf: bytes) -> dict[str, list[float]]:
    """Where on the first page each drawn string starts (points from the left edge)."""
    found: dict[str, list[float]] = {}

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip():
            found.setdefault(text.strip(), []).append(tm[4] * cm[0] + cm[4])

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("render", [lambda lang: render_statement_pdf(statement_document(), lang),
                                    lambda lang: render_invoice_pdf(invoice_document(), lang)],
                         ids=["statement", "invoice"])
def test_every_font_of_a_billing_pdf_is_a_truetype_font_embedded_in_the_file(render, language):
    pdf = render(language)
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf and b"STSong" not in pdf
    used = fonts(pdf)
    assert used
    for font in used:
        assert font["/Subtype"] == "/TrueType", font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"{font['/BaseFont']} is not embedded"
        assert re.fullmatch(r"/[A-Z]{6}\+.+", font["/BaseFont"])


def test_the_chinese_statement_reads_in_chinese_with_its_lines_balances_aging_and_dispute():
    text = text_of(render_statement_pdf(statement_document(), "zh"))
    for expected in ("对账单", HOSPITAL_NAME, str(HOSPITAL), "2026-11-01 – 2026-11-30", "期初余额", "期末余额",
                     "CNY 500.00", "CNY 1,517.05", "发票", "红字发票", "收款", "收款冲回", "INV-2026-000001",
                     "2026-12-03", "1,243.06", "226.01", "1,743.06", "517.05", "有争议", "争议：数量不符，少收2盒",
                     "未到期", "逾期 0-30 天", "未核销预收款", "1,017.05", "客户门户", "第 1 / 1 页"):
        assert expected in text, expected
    assert "-226.01" not in text and "-1,000.00" not in text  # credits are shown as positive amounts
    assert re.search(r"本期合计\s*2,243\.06\s*1,226\.01\s*1,517\.05", text), text  # debits, credits, closing
    assert "Statement of account" not in text


def test_the_english_statement_has_english_labels_and_keeps_the_chinese_names_and_reasons():
    text = text_of(render_statement_pdf(statement_document(), "en"))
    for expected in ("Statement of account", "Opening balance", "Credit note", "Payment reversed", "Disputed",
                     "Disputed: 数量不符，少收2盒", "Not yet due", "0-30 days overdue", "Unapplied cash",
                     HOSPITAL_NAME, "customer portal", "Page 1 of 1"):
        assert expected in text, expected
    assert "对账单" not in text and "期初余额" not in text


def test_each_amount_is_in_the_debit_or_the_credit_column_with_the_running_balance_beside_it():
    pdf = render_statement_pdf(statement_document(), "zh")
    left = 12 + sum(statement_pdf.WIDTHS_MM[:statement_pdf.COLUMNS.index("debit")])
    debit, credit, balance = ((left + sum(statement_pdf.WIDTHS_MM[5:5 + n])) * mm for n in range(3))
    seen = x_of(pdf)
    assert all(debit < x < credit for x in seen["1,243.06"]), seen["1,243.06"]
    assert all(credit < x < balance for x in seen["226.01"]), seen["226.01"]
    assert {debit < x < credit for x in seen["1,000.00"]} == {True, False}  # the payment credits, its reversal debits
    assert all(x > balance for x in seen["1,743.06"] + seen["517.05"]), (seen["1,743.06"], seen["517.05"])


def test_a_resolved_dispute_says_how_and_a_statement_without_dispute_says_none():
    found = statement()
    with acting_as("user:finance"):
        found.resolve(1, "rejected", "签收单核对无误")
    text = text_of(render_statement_pdf(StatementDocument.of(found, HOSPITAL_NAME), "zh"))
    assert "争议：数量不符，少收2盒（已处理：维持原单据）" in text.replace("\n", "") and "争议已处理" in text
    quiet = statement_document(lines=tuple(replace(line, dispute=None) for line in statement_document().lines),
                               status="sent")
    text = text_of(render_statement_pdf(quiet, "zh"))
    assert "争议：" not in text and "已发送，待确认" in text


def test_a_customer_billing_has_not_learned_of_yet_is_named_by_its_id():
    document = StatementDocument.of(statement(), None)
    assert document.customer_name == str(HOSPITAL)
    assert InvoiceDocument.of(invoice(), None, None).bill_to_name == str(DISTRIBUTOR)


def test_the_statement_workbook_holds_dates_and_numbers_the_running_balance_and_the_aging():
    book = load_workbook(io.BytesIO(render_statement_xlsx(statement_document(), "zh")))
    assert book.sheetnames == ["对账单", "账龄"]
    sheet = book["对账单"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    head = next(n for n, row in enumerate(rows, start=1) if row[0] == "序号")
    assert sheet.freeze_panes == f"A{head + 1}"
    header = {row[0]: row[1] for row in rows[1:head - 2]}
    assert (header["客户"], header["期初余额"], header["期末余额"]) == (HOSPITAL_NAME, 500, 1517.05)
    assert header["对账期间起"] == datetime(2026, 11, 1) and header["状态"] == "有争议"
    lines = rows[head + 1:head + 5]
    assert [row[0] for row in lines] == [1, 2, 3, 4]
    assert [(row[5], row[6]) for row in lines] == [(1243.06, None), (None, 226.01), (None, 1000), (1000, None)]
    assert [row[7] for row in lines] == [1743.06, 1517.05, 517.05, 1517.05]
    assert (lines[0][1], lines[0][4], lines[1][4]) == (datetime(2026, 11, 3), datetime(2026, 12, 3), None)
    assert (lines[0][2], lines[0][8], lines[1][8]) == ("发票", "争议：数量不符，少收2盒", None)
    assert rows[head + 5][5:8] == [2243.06, 1226.01, 1517.05]
    first = sheet.cell(row=head + 2, column=6)
    assert (first.data_type, first.number_format) == ("n", "#,##0.00")
    assert sheet.cell(row=head + 2, column=2).is_date and sheet.cell(row=head + 2, column=2).number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["I"].width == 48 and sheet.column_dimensions["D"].width == 22
    aging = book["账龄"]
    assert [list(row) for row in aging.iter_rows(values_only=True)] == [
        ["账龄区间", "金额"], ["未到期", 1017.05], ["逾期 0-30 天", 500], ["逾期 31-60 天", 0], ["逾期 >60 天", 0],
        ["未核销预收款", 0], ["合计", 1517.05]]
    assert aging["B2"].number_format == "#,##0.00"


def test_the_english_workbook_has_english_sheets_and_labels():
    book = load_workbook(io.BytesIO(render_statement_xlsx(statement_document(), "en")))
    assert book.sheetnames == ["Statement", "Aging"]
    assert book["Statement"]["A1"].value == "Statement of account" and book["Aging"]["A2"].value == "Not yet due"


def test_no_text_in_the_workbook_is_run_as_a_formula():
    evil = '=HYPERLINK("http://evil.example/x","点我")'
    document = statement_document(customer_name=evil)
    document = replace(document, lines=(replace(document.lines[0], number="+1+2"), *document.lines[1:]))
    book = load_workbook(io.BytesIO(render_statement_xlsx(document, "zh")))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and not any(cell.data_type == "f" for cell in cells)
    values = {cell.value for cell in cells}
    assert "'" + evil in values and "'+1+2" in values and evil not in values


def test_the_invoice_names_whom_it_bills_and_for_which_hospital_and_prints_its_figures():
    text = text_of(render_invoice_pdf(invoice_document(), "zh"))
    for expected in ("销售发票", "INV-2026-000001", "2026-11-03", "2027-01-02", "60 天", "购买方", DISTRIBUTOR_NAME,
                     str(DISTRIBUTOR), "收货医院", HOSPITAL_NAME, "06901234567892", "L2026-001", "DEMO-EARLY",
                     "100.0045", "12.345", "1,100.05", "143.01", "1,243.06", "37.04", "2.22", "39.26", "13%", "6%",
                     "票折", "-100.00", "-13.00", "-113.00", "1,037.09", "132.23", "1,169.32", "CN-2026-000001",
                     "2026-11-10", "退货", "-226.01", "943.31", "第 1 / 1 页"):
        assert expected in text, expected
    assert re.search(r"未结金额\s*CNY\s*943\.31", text), text
    assert re.search(r"已收款\s*CNY\s*0\.00", text) and "-0.00" not in text


def test_what_is_open_is_the_total_less_the_credit_notes_and_the_payments():
    found = invoice()
    with acting_as("user:test"):
        found.apply_payment(uuid4(), Decimal("500.00"), date(2026, 11, 20))
    text = text_of(render_invoice_pdf(InvoiceDocument.of(found, HOSPITAL_NAME, DISTRIBUTOR_NAME), "zh"))
    assert re.search(r"价税合计\s*CNY\s*1,169\.32\s*红字冲减\s*CNY\s*-226\.01\s*已收款\s*CNY\s*-500\.00\s*"
                     r"未结金额\s*CNY\s*443\.31", text), text


def test_an_invoice_billed_to_the_hospital_names_the_hospital_and_english_reads_in_english():
    document = InvoiceDocument.of(invoice(distributor=None), HOSPITAL_NAME, None)
    assert (document.bill_to_name, document.bill_to_id) == (HOSPITAL_NAME, HOSPITAL)
    text = text_of(render_invoice_pdf(document, "en"))
    for expected in ("Invoice", "Bill to", "Goods for", HOSPITAL_NAME, "Rebate discount", "Return", "Open amount",
                     "60 days", "Page 1 of 1"):
        assert expected in text, expected
    assert DISTRIBUTOR_NAME not in text and "销售发票" not in text


def test_unit_prices_and_money_are_formatted_for_a_reader():
    assert money(Decimal("1234567.5")) == "1,234,567.50" and money(Decimal("-0.00")) == "0.00"
    assert money(Decimal("-1234.565")) == "-1,234.57"
    assert unit_price(Decimal("12.5")) == "12.50" and unit_price(Decimal("100.0045")) == "100.0045"


def test_a_long_statement_runs_over_pages_and_more_than_5000_lines_is_refused_before_drawing():
    line = statement_document().lines[2]
    long = statement_document(lines=tuple(replace(line, line_no=n, number=f"BR-{n:05d}") for n in range(1, 121)))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(render_statement_pdf(long, "zh"))).pages]
    assert len(pages) >= 2 and "BR-00120" in pages[-1] and "BR-00120" not in pages[0] and "余额" in pages[1]
    too_long = statement_document(lines=tuple(replace(line, line_no=n) for n in range(1, 5002)))
    for render in (render_statement_pdf, render_statement_xlsx):
        with pytest.raises(ValueError, match="5000"):
            render(too_long, "zh")


def test_more_than_1000_invoice_lines_is_refused_and_an_unknown_language_too():
    document = invoice_document()
    with pytest.raises(ValueError, match="1000"):
        render_invoice_pdf(replace(document, lines=document.lines * 501), "zh")
    for render, found in ((render_invoice_pdf, document), (render_statement_pdf, statement_document()),
                          (render_statement_xlsx, statement_document())):
        with pytest.raises(ValueError, match="language"):
            render(found, "fr")  # type: ignore[operator]


class Reads:
    """The read model as the routes ask it: a party's name, kind and region."""

    def __init__(self) -> None:
        self.parties = {HOSPITAL: {"name": HOSPITAL_NAME, "kind": "hospital", "region": "上海市"},
                        DISTRIBUTOR: {"name": DISTRIBUTOR_NAME, "kind": "distributor", "region": "江苏省"}}
        self.asked: list[tuple[str, tuple]] = []

    def one(self, query: str, args: tuple = ()) -> dict | None:
        self.asked.append((query, args))
        return self.parties.get(args[0])


class Work:
    def __init__(self, *aggregates: Any) -> None:
        self.found = {a.id: a for a in aggregates}

    def get(self, key: UUID, kind: type) -> Any:
        found = self.found.get(key)
        return found if isinstance(found, kind) else None


def test_party_name_reads_the_known_parties_and_is_none_for_a_stranger():
    reads = Reads()
    assert party_name(reads, DISTRIBUTOR) == DISTRIBUTOR_NAME and party_name(reads, uuid4()) is None  # type: ignore
    assert reads.asked[0] == ("SELECT name FROM {schema}.known_parties WHERE party_id = %s", (DISTRIBUTOR,))


@pytest.fixture
def client() -> TestClient:
    found_statement, found_invoice = statement(), invoice()
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(documents_api.router)
    app.dependency_overrides[unit_of_work] = lambda: Work(found_statement, found_invoice)
    app.dependency_overrides[read_models] = Reads
    client = TestClient(app)
    client.ids = (found_statement.id, found_invoice.id)  # type: ignore[attr-defined]
    return client


def bearer(role: str, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token('tester', [role], scopes=list(scopes))}"}


def test_the_routes_answer_the_documents_as_attachments_with_their_media_types(client):
    statement_id, invoice_id = client.ids
    finance = bearer("finance")
    pdf = client.get(f"/statements/{statement_id}/pdf?lang=en", headers=finance)
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")
    assert pdf.headers["content-disposition"] == f'attachment; filename="statement-{statement_id}.pdf"'
    assert "Statement of account" in text_of(pdf.content) and HOSPITAL_NAME in text_of(pdf.content)
    xlsx = client.get(f"/statements/{statement_id}/xlsx", headers=finance)
    assert xlsx.headers["content-type"] == documents_api.XLSX and xlsx.content[:2] == b"PK"
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["对账单", "账龄"]
    assert xlsx.headers["content-disposition"] == f'attachment; filename="statement-{statement_id}.xlsx"'
    invoice_pdf = client.get(f"/invoices/{invoice_id}/pdf", headers=finance)
    assert invoice_pdf.headers["content-disposition"] == 'attachment; filename="invoice-INV-2026-000001.pdf"'
    assert DISTRIBUTOR_NAME in text_of(invoice_pdf.content) and "销售发票" in text_of(invoice_pdf.content)
    assert client.get(f"/statements/{statement_id}/pdf?lang=fr", headers=finance).status_code == 422
    assert client.get(f"/statements/{uuid4()}/pdf", headers=finance).status_code == 404


def test_the_routes_refuse_documents_outside_the_callers_scope_as_if_they_did_not_exist(client):
    statement_id, invoice_id = client.ids
    hospital = bearer("hospital_user", f"hospital:{HOSPITAL}")
    other = bearer("hospital_user", f"hospital:{uuid4()}")
    assert client.get(f"/statements/{statement_id}/pdf", headers=hospital).status_code == 200
    for path in (f"/statements/{statement_id}/pdf", f"/statements/{statement_id}/xlsx", f"/invoices/{invoice_id}/pdf"):
        assert client.get(path, headers=other).status_code == 404, path
    # The invoice is billed to the distributor (两票制): the hospital does not see it, the distributor does.
    assert client.get(f"/invoices/{invoice_id}/pdf", headers=hospital).status_code == 404
    distributor = bearer("distributor_user", f"distributor:{DISTRIBUTOR}")
    assert client.get(f"/invoices/{invoice_id}/pdf", headers=distributor).status_code == 200
    assert client.get(f"/invoices/{invoice_id}/pdf").status_code == 401
