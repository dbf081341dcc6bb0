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
