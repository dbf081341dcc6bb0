"""Names, references and reasons refuse what only a machine can read: control and bidirectional characters."""

import re

import pytest
from pydantic import BaseModel, ValidationError

from shared.domain.gtin import LotInput, gs1_encodable
from shared.domain.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, Name, Note, forbidden_character


class Named(BaseModel):
    name: Name
    note: Note | None = None


@pytest.mark.parametrize("text", [
    "a\x07b",              # BEL
    "\x1b[31mred\x1b[0m",  # ANSI colour
    "line\r\nbreak",       # CR/LF in a name
    "tab\there",
    "abc\u202edcba",       # right-to-left override ("Trojan Source")
    "a\u2066b\u2069",      # isolates
    "x\u200fy",            # right-to-left mark
    "c1\x85control",       # NEL, a C1 control
    "del\x7f",
])
def test_a_name_refuses_control_and_bidirectional_characters(text):
    with pytest.raises(ValidationError) as raised:
        Named(name=text)
    assert "U+" in raised.value.errors()[0]["msg"]
    assert re.match(SINGLE_LINE_PATTERN, text) is None  # and the documented pattern says the same


@pytest.mark.parametrize("text", ["上海市第一人民医院", "St. Mary's (East) – Ward 3", "苏州大学附属第一医院（东院）"])
def test_plain_names_in_any_script_pass(text):
    assert Named(name=text).name == text
    assert re.match(SINGLE_LINE_PATTERN, text)


def test_a_note_keeps_line_breaks_and_tabs_but_not_other_controls():
    assert Named(name="n", note="first line\nsecond\tline").note == "first line\nsecond\tline"
    assert re.match(MULTI_LINE_PATTERN, "first line\nsecond")
    with pytest.raises(ValidationError):
        Named(name="n", note="bell\x07")
    assert forbidden_character("ok\nok", multi_line=True) is None
    assert forbidden_character("ok\nok") == "a control character (U+000A) at position 2"


def test_blank_text_is_refused():
    with pytest.raises(ValidationError, match="blank"):
        Named(name="   ")


@pytest.mark.parametrize(("lot", "encodable"), [
    ("L2701A", True), ("ABC-123/4.5", True), ("!\"%&'()*+,-./:;<=>?_", True),
    ("批号一", False), ("X'; DROP TABLE x;--", False),  # a space is not in GS1 character set 82
    ("A" * 21, False), ("", False), ("lot#1", False), ("lot\x1d1", False),
])
def test_lots_and_serials_are_what_a_gs1_barcode_can_carry(lot, encodable):
    class Lot(BaseModel):
        lot: LotInput

    assert gs1_encodable(lot) is encodable
    if encodable:
        assert Lot(lot=lot).lot == lot
    else:
        with pytest.raises(ValidationError):
            Lot(lot=lot)
