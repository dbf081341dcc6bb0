from decimal import Decimal
from uuid import uuid4

from services.billing.domain import Invoice, price_lines
from shared.platform.context import acting_as


def test_lines_are_priced_with_vat_rounded_half_up_per_line():
    lines = price_lines([{"gtin": "09506000134352", "lot": "A", "quantity": 3}], {"09506000134352": Decimal("33.35")})
    assert lines[0]["net_amount"] == Decimal("100.05")
    assert lines[0]["vat_amount"] == Decimal("13.01")  # 13.0065 rounds half up to 13.01
    assert lines[0]["gross_amount"] == Decimal("113.06")


def test_invoice_totals_are_the_sums_of_its_lines():
    prices = {"09506000134352": Decimal("1280.00"), "00614141000036": Decimal("0.99")}
    lines = price_lines(
        [{"gtin": "09506000134352", "lot": "A", "quantity": 10}, {"gtin": "00614141000036", "lot": "B", "quantity": 7}],
        prices,
    )
    with acting_as("user:test"):
        invoice = Invoice.raise_for(uuid4(), uuid4(), uuid4(), "CNY", lines)
    assert invoice.net_total == Decimal("12806.93")
    assert invoice.vat_total == Decimal("1664.00") + Decimal("0.90")
    assert invoice.gross_total == invoice.net_total + invoice.vat_total
    assert all(isinstance(v, Decimal) for v in (invoice.net_total, invoice.vat_total, invoice.gross_total))
