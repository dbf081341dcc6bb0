import pytest

from shared.domain.gtin import InvalidGTINError, normalize_gtin


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("09506000134352", "09506000134352"),  # GS1 example GTIN-14
        ("9506000134352", "09506000134352"),  # the same as GTIN-13
        ("614141000036", "00614141000036"),  # GTIN-12 (UPC-A) from GS1's examples
        ("96385074", "00000096385074"),  # GTIN-8
    ],
)
def test_valid_gtins_are_normalised_to_14_digits(given, expected):
    assert normalize_gtin(given) == expected


@pytest.mark.parametrize("bad", ["09506000134353", "0950600013435", "ABCDEFGHIJKLMN", "", "123456789012345"])
def test_invalid_gtins_are_refused_with_the_reason(bad):
    with pytest.raises(InvalidGTINError, match="not a valid GTIN"):
        normalize_gtin(bad)


@pytest.mark.parametrize(("bad", "why"), [
    ("00000000000000", "all zeros"),
    ("02000000000008", "Restricted Circulation"),  # prefix 200-299: a region's in-store numbers
    ("00400000000008", "Restricted Circulation"),  # prefix 04: a company's internal numbers (GTIN-12)
    ("20000004", "Restricted Circulation"),        # GTIN-8 prefix 2: internal
    ("09810000000006", "coupon"),
    ("09800000000007", "Refund receipts"),
    ("01400000000007", "not assigned"),
])
def test_numbers_that_never_identify_a_trade_item_are_refused(bad, why):
    # A device's UDI-DI is a GTIN of a trade item: restricted circulation numbers, coupons and unassigned prefixes
    # pass the check digit but identify no device.
    with pytest.raises(InvalidGTINError, match=why):
        normalize_gtin(bad)


@pytest.mark.parametrize("good", ["10614141999993", "04012345123456", "06901234567892", "09520000000004"])
def test_gtins_under_assigned_prefixes_are_accepted(good):
    assert normalize_gtin(good) == good
