"""UDI scanning: GS1 (via biip) and HIBC LIC (ours), with published examples and malformed inputs.

Sources of the examples:
- GS1 General Specifications §7.8 / §5.1.3, decoder output with symbology identifiers:
  ]d20110012345678902, ]Q30110012345678902, ]e0011001234567890210ABC123 (GTIN 10012345678902).
- GS1's example GTIN 09506000134352 (used throughout GS1's documents, and in this repo's tests).
- ANSI/HIBC 2.6 (HIBCC Supplier Labeling Standard): Appendix B.2.0 primary +A123BJC5D6E71G; Appendix E1.3
  linked pair +A123BJC5D6E71G / +$$52001510X3GD; §2.2.1.1 concatenation +A99912345/$$52001510X3 (check 3);
  Appendix E1.1 MMYY example +$$09053C001 (with L and C as placeholders for link and check); the 2.6 sample
  with supplemental fields +A99912349/$10X3/16D20111231/14D20200131/Q500Z.
Every HIBC check character below is computed in a comment: sum of the values (0-9 = 0-9, A-Z = 10-35,
- = 36, . = 37, space = 38, $ = 39, / = 40, + = 41, % = 42) modulo 43.
"""

from datetime import date

import pytest

from shared.domain.hibc import check_character
from shared.domain.udi import UDIError, parse_udi
from tests.udi_cases import GS, MALFORMED_GS1, MALFORMED_HIBC


def error(code: str) -> UDIError:
    with pytest.raises(UDIError) as caught:
        parse_udi(code)
    return caught.value


# GS1 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["]d20110012345678902", "]Q30110012345678902", "]C10110012345678902",
                                  "0110012345678902", "(01)10012345678902"])
def test_gs1_spec_examples_with_and_without_symbology_identifier(code):
    parsed = parse_udi(code)
    assert (parsed.scheme, parsed.gtin, parsed.device_identifier) == ("GS1", "10012345678902", "10012345678902")
    assert parsed.symbology_identifier == (code[:3] if code.startswith("]") else None)


def test_gs1_databar_example_with_lot():
    parsed = parse_udi("]e0011001234567890210ABC123")
    assert (parsed.gtin, parsed.lot, parsed.symbology_identifier) == ("10012345678902", "ABC123", "]e0")


def test_gs1_datamatrix_with_gs_separators():
    parsed = parse_udi(f"]d201095060001343521125010110A1B2C3{GS}21SN-0001{GS}17270331")
    assert parsed.gtin == "09506000134352"
    assert parsed.production_date == date(2025, 1, 1)
    assert (parsed.lot, parsed.serial, parsed.expiry) == ("A1B2C3", "SN-0001", date(2027, 3, 31))
    assert parsed.elements == {"01": "09506000134352", "11": "250101", "10": "A1B2C3", "21": "SN-0001",
                               "17": "270331"}


def test_a_single_gs_after_a_fixed_length_field_and_a_leading_gs_are_tolerated():
    parsed = parse_udi(f"{GS}0109506000134352{GS}17270331{GS}10L1{GS}")
    assert (parsed.gtin, parsed.expiry, parsed.lot) == ("09506000134352", date(2027, 3, 31), "L1")


@pytest.mark.parametrize(("expiry", "expected"), [("251200", date(2025, 12, 31)), ("280200", date(2028, 2, 29)),
                                                  ("270200", date(2027, 2, 28)), ("270400", date(2027, 4, 30))])
def test_gs1_expiry_day_00_is_the_last_day_of_the_month(expiry, expected):
    assert parse_udi(f"010950600013435217{expiry}10L1").expiry == expected
    assert parse_udi(f"(01)09506000134352(17){expiry}(10)L1").expiry == expected


def test_gs1_human_readable_form_with_spaces_and_a_scanner_newline():
    parsed = parse_udi("(01) 09506000134352 (11) 240229 (17) 290200 (10) 1234567p (21) 12345678p901\r\n")
    assert (parsed.gtin, parsed.production_date, parsed.expiry) == ("09506000134352", date(2024, 2, 29),
                                                                    date(2029, 2, 28))
    assert (parsed.lot, parsed.serial) == ("1234567p", "12345678p901")  # lower case is GS1 CSET 82, as GenSpecs shows


def test_gs1_quantity_and_other_application_identifiers_are_kept():
    parsed = parse_udi(f"0109506000134352{GS}3024{GS}240REF-9")
    assert parsed.quantity == 24
    assert parsed.elements["240"] == "REF-9"


def test_lot_and_serial_of_exactly_20_characters_are_accepted():
    parsed = parse_udi(f"0109506000134352{'10' + 'L' * 20}{GS}21{'S' * 20}")
    assert (parsed.lot, parsed.serial) == ("L" * 20, "S" * 20)


@pytest.mark.parametrize(("code", "rule", "message"), MALFORMED_GS1)
def test_malformed_gs1_is_refused_saying_what_is_wrong(code, rule, message):
    e = error(code)
    assert e.rule == rule
    assert message in e.message


# HIBC: check characters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "check"),
    [
        # ANSI/HIBC 2.6 B.2.0: + A 1 2 3 B J C 5 D 6 E 7 1 = 41+10+1+2+3+11+19+12+5+13+6+14+7+1 = 145;
        # 145 = 3*43 + 16 -> G
        ("+A123BJC5D6E71", "G"),
        # E1.3 secondary with link G: + $ $ 5 2 0 0 1 5 1 0 X 3 G = 41+39+39+(5+2+0+0+1+5+1+0)+33+3+16
        # = 119+14+52 = 185 = 4*43 + 13 -> D
        ("+$$52001510X3G", "D"),
        # §2.2.1.1: + A 9 9 9 1 2 3 4 5 / $ $ 5 2 0 0 1 5 1 0 X 3 = 41+10+27+15+40+78+14+33+3 = 261
        # = 6*43 + 3 -> 3
        ("+A99912345/$$52001510X3", "3"),
        # + A 1 2 3 B J C M D 6 E 7 9 = 41+10+1+2+3+11+19+12+22+13+6+14+7+9 = 170 = 3*43 + 41 -> +
        ("+A123BJCMD6E79", "+"),
        # + $ $ 5 2 0 0 1 5 1 0 X 3 + = 41+39+39+14+33+3+41 = 210 = 4*43 + 38 -> space
        ("+$$52001510X3+", " "),
    ],
)
def test_mod_43_check_character(data, check):
    assert check_character(data) == check


# HIBC: published examples ---------------------------------------------------------------------------------


def test_hibc_primary_from_the_standard():
    parsed = parse_udi("+A123BJC5D6E71G")  # check G: see test_mod_43_check_character
    assert (parsed.scheme, parsed.labeler, parsed.product, parsed.unit_of_measure) == ("HIBC", "A123", "BJC5D6E7", 1)
    assert parsed.device_identifier == "A123BJC5D6E71"  # as GUDID records it: no + flag, no check character
    assert parsed.link_character == "G"  # what its separate secondary carries
    assert parsed.gtin is None


def test_hibc_primary_in_code_39_human_readable_form_and_after_a_symbology_identifier():
    assert parse_udi("*+A123BJC5D6E71G*").product == "BJC5D6E7"
    assert parse_udi("]d1+A123BJC5D6E71G").symbology_identifier == "]d1"
    assert parse_udi("]A0+A123BJC5D6E71G").labeler == "A123"


def test_hibc_secondary_alone_carries_the_link_character():
    # +$$5 20015 10X3, link G, check D (185 mod 43 = 13 -> D, computed above): Julian 2020-015 = 15 January
    parsed = parse_udi("+$$52001510X3GD")
    assert (parsed.scheme, parsed.labeler, parsed.device_identifier) == ("HIBC", None, None)
    assert (parsed.expiry, parsed.lot, parsed.link_character) == (date(2020, 1, 15), "10X3", "G")


def test_hibc_primary_and_secondary_linear_symbols_read_together():
    parsed = parse_udi("+A123BJC5D6E71G+$$52001510X3GD")
    assert (parsed.labeler, parsed.product, parsed.unit_of_measure) == ("A123", "BJC5D6E7", 1)
    assert (parsed.expiry, parsed.lot) == (date(2020, 1, 15), "10X3")


def test_hibc_check_and_link_character_plus_and_space():
    # primary check + (170 mod 43 = 41); secondary + $$5 20015 10X3 link + check space (210 mod 43 = 38)
    parsed = parse_udi("+A123BJCMD6E79++$$52001510X3+ ")
    assert (parsed.product, parsed.unit_of_measure, parsed.lot) == ("BJCMD6E7", 9, "10X3")
    # the human-readable form prints a space check character as an underscore
    assert parse_udi("+$$52001510X3+_").lot == "10X3"


def test_hibc_concatenated_example_from_the_standard():
    parsed = parse_udi("+A99912345/$$52001510X33")  # check 3: 261 mod 43 = 3, computed above
    assert (parsed.labeler, parsed.product, parsed.unit_of_measure) == ("A999", "1234", 5)
    assert (parsed.expiry, parsed.lot, parsed.serial) == (date(2020, 1, 15), "10X3", None)


def test_hibc_2_6_sample_with_supplemental_fields():
    # "+A99912349/"  = 41+10+9+9+9+1+2+3+4+9+40 = 137
    # "$10X3/"       = 39+1+0+33+3+40 = 116
    # "16D20111231/" = 1+6+13+2+0+1+1+1+2+3+1+40 = 71
    # "14D20200131/" = 1+4+13+2+0+2+0+0+1+3+1+40 = 67
    # "Q500"         = 26+5+0+0 = 31
    # 137+116+71+67+31 = 422 = 9*43 + 35 -> Z
    parsed = parse_udi("+A99912349/$10X3/16D20111231/14D20200131/Q500Z")
    assert (parsed.labeler, parsed.product, parsed.unit_of_measure) == ("A999", "1234", 9)
    assert (parsed.lot, parsed.production_date, parsed.expiry, parsed.quantity) == (
        "10X3", date(2011, 12, 31), date(2020, 1, 31), 500)


def test_hibc_mmyy_expiry_uses_the_first_digit_of_the_month_as_format_digit():
    # E1.1: +$$ 0905 3C001: MMYY 09/05, lot 3C001. With link G:
    # + $ $ 0 9 0 5 3 C 0 0 1 G = 41+39+39+0+9+0+5+3+12+0+0+1+16 = 165 = 3*43 + 36 -> -
    parsed = parse_udi("+$$09053C001G-")
    assert (parsed.expiry, parsed.lot, parsed.link_character) == (date(2005, 9, 30), "3C001", "G")


def test_hibc_old_julian_secondary_and_serial_supplement():
    # +J123AQ3451 / 25330 BC34567 / S4012: 41+19+1+2+3+10+26+3+4+5+1 + 40+2+5+3+3+0+11+12+3+4+5+6+7
    # + 40+28+4+0+1+2 = 115+101+75 = 291 = 6*43 + 33 -> X.  Julian 2025-330 = 26 November 2025
    parsed = parse_udi("+J123AQ3451/25330BC34567/S4012X")
    assert (parsed.expiry, parsed.lot, parsed.serial) == (date(2025, 11, 26), "BC34567", "4012")


def test_hibc_quantity_date_and_serial_variants():
    # +E203PB414109/$$8 24 3 280112 R00089525: 41+14+2+0+3+25+11+4+1+4+1+0+9 + 40+39+39+8+2+4+3+2+8+0+1+1+2
    # + 27+0+0+0+8+9+5+2+5 = 115+149+56 = 320 = 7*43 + 19 -> J
    parsed = parse_udi("+E203PB414109/$$8243280112R00089525J")
    assert (parsed.quantity, parsed.expiry, parsed.lot) == (24, date(2028, 1, 12), "R00089525")
    # +EHWD3551419/$$9 00100: 41+14+17+32+13+3+5+5+1+4+1+9 + 40+39+39+9+0+0+1+0+0 = 145+128 = 273
    # = 6*43 + 15 -> F
    assert parse_udi("+EHWD3551419/$$900100F").quantity == 100
    # +$$+5 20015 10X3 G: 41+39+39+41+(5+2+0+0+1+5+1+0)+33+3+16 = 160+14+52 = 226 = 5*43 + 11 -> B
    serial = parse_udi("+A123BJC5D6E71G+$$+52001510X3GB")
    assert (serial.serial, serial.lot, serial.expiry) == ("10X3", None, date(2020, 1, 15))


@pytest.mark.parametrize(
    ("secondary", "expiry", "lot"),
    [("$$0925LOT1", date(2025, 9, 30), "LOT1"), ("$$2093025LOT1", date(2025, 9, 30), "LOT1"),
     ("$$3250930LOT1", date(2025, 9, 30), "LOT1"), ("$$3250900LOT1", date(2025, 9, 30), "LOT1"),
     ("$$425093014LOT1", date(2025, 9, 30), "LOT1"), ("$$525273LOT1", date(2025, 9, 30), "LOT1"),
     ("$$62527314LOT1", date(2025, 9, 30), "LOT1"), ("$$7LOT1", None, "LOT1"), ("$LOT1", None, "LOT1")],
)
def test_hibc_every_date_format(secondary, expiry, lot):
    data = f"+A99912345/{secondary}"
    parsed = parse_udi(data + check_character(data))  # the check character itself is tested above
    assert (parsed.expiry, parsed.lot) == (expiry, lot)


@pytest.mark.parametrize(("code", "rule", "message"), MALFORMED_HIBC)
def test_malformed_hibc_is_refused_saying_what_is_wrong(code, rule, message):
    e = error(code)
    assert e.rule == rule
    assert message in e.message
