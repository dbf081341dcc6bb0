"""The quote PDF (services/order/documents/quote_pdf.py): its CJK font is embedded in the file (not only named, as
reportlab's 'STSong-Light' is), the text a reader extracts is the quote's own in Chinese or English, the amounts
are rounded half up per line and summed, a long quote runs over pages with the column header on each, and more
than 500 lines is refused."""

import io
import re
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from services.order.documents.quote_pdf import (
    QuoteDocument,
    QuoteDocumentLine,
    money,
    percent,
    render_quote_pdf,
    unit_price,
)

CUSTOMER = "上海市第一人民医院"
ITEM = "一次性使用无菌注射器"


def line(n: int, price: str = "12.3450", net: str = "10.9248", quantity: int = 10, name: str = ITEM,
         rate: str = "0.13") -> QuoteDocumentLine:
    return QuoteDocumentLine(n, "06901234567892", f"{name} {n}", quantity, Decimal(price), Decimal(net),
                             Decimal(rate))


def quote(lines: tuple[QuoteDocumentLine, ...], **changes) -> QuoteDocument:
    document = QuoteDocument(
        quote_id=uuid.UUID("0b7c6f5e-2f4a-4d7e-9a51-4a3f2d1c0b9a"), number="Q-2026-0001", customer_name=CUSTOMER,
        customer_id=uuid.UUID("5d0e3c2b-8a41-4b6f-9e27-1c9d8f7a6b54"), currency="CNY",
        valid_until=date(2026, 12, 31), issued_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC), status="approved",
        lines=lines, approved_by="王芳", note="价格含运费 <b>& 安装</b>", seller_name="苏州某医疗器械有限公司")
    return replace(document, **changes)


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def fonts(pdf: bytes) -> list[dict]:
    found = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            found[font["/BaseFont"]] = font
    return list(found.values())


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_font_of_the_quote_is_a_truetype_font_embedded_in_the_file(language):
    pdf = render_quote_pdf(quote((line(1),)), language)
    assert b"/FontFile2" in pdf and b"STSong" not in pdf
    used = fonts(pdf)
    assert used
    for font in used:
        assert font["/Subtype"] == "/TrueType", font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"{font['/BaseFont']} is not embedded"
        assert re.fullmatch(r"/[A-Z]{6}\+.+", font["/BaseFont"])  # a subset: only the glyphs the quote uses


def test_the_chinese_quote_reads_in_chinese_with_the_customers_and_items_names():
    text = "\n".join(pages(render_quote_pdf(quote((line(1), line(2))), "zh")))
    for expected in ("报价单", "客户", "有效期至", "品名", "数量", "含税单价", "不含税单价", "税率", "含税金额",
                     "合计", CUSTOMER, f"{ITEM} 1", f"{ITEM} 2", "Q-2026-0001", "2026-12-31", "已批准", "王芳",
                     "苏州某医疗器械有限公司", "价格含运费 <b>& 安装</b>", "第 1 / 1 页"):
        assert expected in text, expected
    assert "Quotation" not in text


def test_the_english_quote_has_english_labels_and_keeps_the_chinese_names():
    text = "\n".join(pages(render_quote_pdf(quote((line(1),)), "en")))
    for expected in ("Quotation", "Customer", "Valid until", "Approved", CUSTOMER, f"{ITEM} 1", "Page 1 of 1"):
        assert expected in text, expected
    assert "报价单" not in text


def test_the_issue_time_is_shown_in_chinas_time_unless_the_quote_names_another_zone():
    assert "2026-11-24 16:00 +08:00" in pages(render_quote_pdf(quote((line(1),)), "zh"))[0]
    assert "2026-11-24 03:00 -05:00" in pages(render_quote_pdf(quote((line(1),), zone="America/New_York"), "en"))[0]


def test_amounts_are_rounded_half_up_per_line_and_the_totals_are_their_sums():
    lines = (
        line(1, price="2.0025", net="1.7721", quantity=2),  # 4.005 -> 4.01 half up (4.00 half even)
        line(2, price="1234.5675", net="1092.5376", quantity=3),  # 3,703.7025 -> 3,703.70
        line(3, price="0.0125", net="0.0111", quantity=1_000, rate="0.13"),  # 12.50 exactly
        line(4, price="99.9950", net="94.3349", quantity=7, rate="0.06"),  # 699.965 -> 699.97
    )
    cent = Decimal("0.01")
    gross = sum((x.unit_price * x.quantity).quantize(cent, ROUND_HALF_UP) for x in lines)
    net = sum((x.net_unit_price * x.quantity).quantize(cent, ROUND_HALF_UP) for x in lines)
    assert gross == Decimal("4420.18")  # the figures above, added by hand
    half_even = sum((x.unit_price * x.quantity).quantize(cent, ROUND_HALF_EVEN) for x in lines)
    assert half_even != gross  # so the test tells the two roundings apart

    document = quote(lines)
    assert document.gross_total == gross and document.net_total == net and document.vat_total == gross - net
    text = pages(render_quote_pdf(document, "zh"))[-1]
    assert re.search(r"合计（含税）\s*CNY\s*4,420\.18", text), text
    assert f"{net:,.2f}" in text and f"{gross - net:,.2f}" in text
    for shown in ("4.01", "3,703.70", "12.50", "699.97", "2.0025", "1,234.5675", "0.0125", "99.995", "6%", "13%"):
        assert shown in text, shown
    assert f"{half_even:,.2f}" not in text


def test_figures_are_formatted_for_a_reader():
    assert money(Decimal("1234567.5")) == "1,234,567.50" and money(Decimal("0")) == "0.00"
    assert unit_price(Decimal("12.5")) == "12.50" and unit_price(Decimal("12.3450")) == "12.345"
    assert unit_price(Decimal("1234.0001")) == "1,234.0001" and unit_price(Decimal("7")) == "7.00"
    assert percent(Decimal("0.13")) == "13%" and percent(Decimal("0.065")) == "6.5%" and percent(Decimal("0")) == "0%"


@pytest.mark.parametrize(("language", "header", "page"), [("zh", ("品名", "含税单价", "含税金额"), "第 {} / {} 页"),
                                                          ("en", ("Item", "Qty", "VAT rate"), "Page {} of {}")])
def test_a_long_quote_runs_over_pages_with_the_column_header_on_each(language, header, page):
    text = pages(render_quote_pdf(quote(tuple(line(n) for n in range(1, 121))), language))
    assert len(text) >= 2
    for number, content in enumerate(text, start=1):
        assert page.format(number, len(text)) in content
    for expected in header:
        assert expected in text[1], expected
    assert f"{ITEM} 120" in text[-1] and f"{ITEM} 120" not in text[0]
    assert sorted(int(n) for n in re.findall(rf"{ITEM} (\d+)", "\n".join(text))) == list(range(1, 121))


def test_more_than_500_lines_is_refused_and_500_is_printed():
    with pytest.raises(ValueError, match="500"):
        render_quote_pdf(quote(tuple(line(n) for n in range(1, 502))), "zh")
    assert render_quote_pdf(quote(tuple(line(n) for n in range(1, 501))), "zh").startswith(b"%PDF")


def test_an_unknown_language_or_a_naive_issue_time_is_refused():
    with pytest.raises(ValueError):
        render_quote_pdf(quote((line(1),)), "fr")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render_quote_pdf(quote((line(1),), issued_at=datetime(2026, 11, 24, 8, 0)), "zh")
