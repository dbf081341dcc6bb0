"""What the scanner path tolerates and what it refuses (README, "UDI scans"), and GS1 Digital Link URIs as a QR
code carries them.

Digital Link examples follow GS1's Digital Link Standard (URI Syntax) and GS1's example GTIN 09506000134352. The
parser is ours (driven by the syntax dictionary's dlpkey and `?` flags); for every URI it accepts, biip's own
Digital Link parser (pinned in constraints.txt) must find the same AIs and values."""

from datetime import date

import pytest
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from fastapi.testclient import TestClient

from shared.domain.udi import UDIError, parse_udi
from shared.platform.auth import issue_token
from tests.apps import web_app

GS = "\x1d"
GTIN = "09506000134352"


def refused(code: str) -> UDIError:
    with pytest.raises(UDIError) as caught:
        parse_udi(code)
    return caught.value


# Leniency: separators that carry nothing are tolerated; an element without data is not ---------------------------


@pytest.mark.parametrize("symbology", ["]d2", "]C1", "]Q3", "]e0", "]J1", ""])
def test_a_gs_right_after_the_symbology_identifier_is_tolerated(symbology):
    # the symbology identifier already says FNC1 in first position; a scanner that also sends it as GS adds nothing
    parsed = parse_udi(f"{symbology}{GS}01{GTIN}17271231{GS}10L1")
    assert (parsed.gtin, parsed.expiry, parsed.lot) == (GTIN, date(2027, 12, 31), "L1")
    assert parsed.symbology_identifier == (symbology or None)


@pytest.mark.parametrize("symbology", ["]Q1", "]d1"])
def test_after_a_plain_qr_or_data_matrix_identifier_a_leading_gs_introduces_element_strings(symbology):
    # a QR/Data Matrix symbol whose encoder wrote ASCII 29 for the FNC1 a GS1 symbol starts with
    parsed = parse_udi(f"{symbology}{GS}01{GTIN}10L1")
    assert (parsed.gtin, parsed.lot, parsed.symbology_identifier) == (GTIN, "L1", symbology)
    # without it the symbol is not GS1 at all: digits in a plain QR code are not a UDI
    e = refused(f"{symbology}01{GTIN}10L1")
    assert e.rule == "symbology-identifier"
    assert f"{symbology} is a plain" in e.message


def test_a_trailing_gs_and_several_gs_in_a_row_are_tolerated():
    parsed = parse_udi(f"]d201{GTIN}10L1{GS}{GS}21S1{GS}")
    assert (parsed.lot, parsed.serial) == ("L1", "S1")
    assert parse_udi(f"01{GTIN}10L1{GS}\r\n").lot == "L1"  # and the scanner's line end after it


@pytest.mark.parametrize("code", [
    f"]d201{GTIN}10{GS}21S1",  # a lot AI and at once a separator
    f"]d201{GTIN}21S1{GS}10",  # a lot AI at the end
    f"]d201{GTIN}21S1{GS}10{GS}",
    f"(01){GTIN}(21)S1(10)",
    f"https://id.gs1.org/01/{GTIN}/10//21/S1",
])
def test_an_empty_element_is_refused(code):
    e = refused(code)
    assert (e.rule, e.message) == ("truncated", "lot (10) is empty")


def test_an_empty_data_attribute_in_a_digital_link_is_refused_not_dropped():
    e = refused(f"https://id.gs1.org/01/{GTIN}/10/L1?17=")
    assert (e.rule, e.message) == ("truncated", "expiry (17) is empty")


def test_only_separators_is_no_gs1_data():
    assert refused(f"]d2{GS}{GS}").rule == refused(f"{GS}{GS}").rule == "empty"


# GS1 Digital Link ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "]Q1", "]d1"])
def test_the_issues_digital_link_with_or_without_symbology_identifier(prefix):
    parsed = parse_udi(f"{prefix}https://id.gs1.org/01/{GTIN}/10/ABC/21/123")
    assert (parsed.scheme, parsed.gtin, parsed.device_identifier, parsed.lot, parsed.serial) == (
        "GS1", GTIN, GTIN, "ABC", "123")
    assert parsed.symbology_identifier == (prefix or None)
    assert parsed.elements == {"01": GTIN, "10": "ABC", "21": "123"}


def test_any_host_a_path_prefix_data_attributes_and_other_query_parameters():
    parsed = parse_udi(f"https://scan.example.cn/p/q/01/{GTIN}/22/V1/10/ABC?17=271200&11=250101&utm_source=x#top")
    assert (parsed.lot, parsed.expiry, parsed.production_date) == ("ABC", date(2027, 12, 31), date(2025, 1, 1))
    assert parsed.elements == {"01": GTIN, "22": "V1", "10": "ABC", "17": "271200", "11": "250101"}


def test_values_are_percent_decoded_after_the_path_is_split_and_plus_is_a_plus():
    parsed = parse_udi(f"HTTPS://id.gs1.org/01/{GTIN}/10/A%2FB%25+1/21/S%3F1?240=R%26D+1")
    assert (parsed.lot, parsed.serial, parsed.elements["240"]) == ("A/B%+1", "S?1", "R&D+1")


def test_a_gtin_13_in_the_path_is_the_same_gtin():
    assert parse_udi("https://id.gs1.org/01/9506000134352/10/L1").gtin == GTIN


def test_a_digital_link_is_held_to_the_same_cross_field_rules():
    e = refused(f"https://id.gs1.org/01/{GTIN}/21/S1?250=SEC&37=5")
    assert (e.rule, e.ais) == ("gs1-ai-exclusive", ("01", "37"))
    assert refused(f"https://id.gs1.org/01/{GTIN}?250=SEC").rule == "gs1-ai-requires"
    assert parse_udi(f"https://id.gs1.org/01/{GTIN}/21/S1?250=SEC").elements["250"] == "SEC"


@pytest.mark.parametrize(("uri", "rule", "words"), [
    (f"https://id.gs1.org/01/{GTIN}/21/S1/10/L1", "gs1-digital-link", "22, 10, 21 or 235"),  # out of order
    (f"https://id.gs1.org/01/{GTIN}/10/L1/235/T1", "gs1-digital-link", "in that order"),  # alternatives mixed
    (f"https://id.gs1.org/01/{GTIN}/10/L1/10/L2", "gs1-digital-link", "at most once"),
    (f"https://id.gs1.org/01/{GTIN}/17/271231", "gs1-digital-link", "the qualifiers of (01)"),
    (f"https://id.gs1.org/01/{GTIN}?21=S1", "gs1-digital-link", "serial (21) is not a GS1 Digital Link data"),
    (f"https://id.gs1.org/01/{GTIN}/", "gs1-digital-link", "no '/' at the end"),
    ("https://id.gs1.org/gtin/09506000134352", "gs1-digital-link", "no primary key"),
    ("https://example.com/", "gs1-digital-link", "no primary key"),
    ("https:///01/09506000134352", "gs1-digital-link", "no host"),
    ("https://id.gs1.org/01/09506000134353/10/L1", "gs1-check-digit", "GTIN check digit is 3, expected 2"),
    (f"https://id.gs1.org/01/{GTIN}/10/A%20B", "gs1-format", "lot (10) 'A B' does not match"),
    (f"https://id.gs1.org/01/{GTIN}/10/{'L' * 21}", "gs1-length", "lot (10) is 21 characters; at most 20"),
    (f"https://id.gs1.org/01/{GTIN}/10/L1?17=271301", "gs1-date", "expiry (17) 271301 is not a date"),
    (f"https://id.gs1.org/01/{GTIN}/10/L1?10=L2", "gs1-duplicate-ai", "lot (10) appears twice"),
    (f"https://id.gs1.org/01/{GTIN}/10/L1?17=271231&17=281231", "gs1-duplicate-ai", "expiry (17) appears twice"),
    ("https://id.gs1.org/00/095060001343520007", "gs1-no-gtin", "no GTIN (01)"),
    (f"]d2https://id.gs1.org/01/{GTIN}", "symbology-identifier", "]d2 announces GS1 element strings"),
    (f"]C1https://id.gs1.org/01/{GTIN}", "symbology-identifier", "a URI"),
])
def test_a_bad_digital_link_is_refused_saying_what_is_wrong(uri, rule, words):
    e = refused(uri)
    assert e.rule == rule
    assert words in e.message


def test_a_repeated_identical_value_is_the_same_element():
    assert parse_udi(f"https://id.gs1.org/01/{GTIN}/10/L1?10=L1").lot == "L1"


@pytest.mark.parametrize("uri", [
    f"https://id.gs1.org/01/{GTIN}/10/ABC/21/123",
    f"https://id.gs1.org/01/{GTIN}/22/V1/10/ABC/21/123?17=271231&3103=000195",
    f"https://example.com/a/b/01/{GTIN}/10/A%2FB?11=250101",
    f"https://id.gs1.org/01/{GTIN}/235/TPX1",
])
def test_what_we_accept_biip_reads_the_same(uri):
    ours = parse_udi(uri).elements
    theirs = {e.ai.ai: e.value for e in GS1DigitalLinkURI.parse(uri).element_strings}
    assert ours == theirs


# Through the API: the rule and the message as a problem (no database needed to parse) ---------------------------


@pytest.mark.parametrize(("code", "rule", "words"), [
    (f"(01){GTIN}(37)5", "gs1-ai-exclusive", "GTIN (01) and count (37) cannot be in one code"),
    (f"]d201{GTIN}250SEC", "gs1-ai-requires", "(250) SECONDARY SERIAL needs (01)+(21)"),
    (f"]Q1https://id.gs1.org/01/{GTIN}/21/S1/10/L1", "gs1-digital-link", "in that order"),
])
def test_the_api_answers_a_problem_naming_the_rule(code, rule, words):
    client = TestClient(web_app("inventory"))
    answer = client.post("/udi/parse", json={"code": code},
                         headers={"Authorization": f"Bearer {issue_token('wang', ['warehouse'])}"})
    assert (answer.status_code, answer.headers["content-type"]) == (422, "application/problem+json")
    (error,) = answer.json()["errors"]
    assert (error["field"], error["rule"]) == ("code", rule)
    assert words in error["message"]


def test_the_api_parses_a_digital_link():
    answer = TestClient(web_app("inventory")).post(
        "/udi/parse", json={"code": f"]Q1https://id.gs1.org/01/{GTIN}/10/ABC/21/123?17=271231"},
        headers={"Authorization": f"Bearer {issue_token('wang', ['warehouse'])}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["gtin"], body["lot"], body["serial"], body["expiry"], body["symbology_identifier"]) == (
        GTIN, "ABC", "123", "2027-12-31", "]Q1")
