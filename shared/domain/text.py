"""Text that people type and other people (and regulators) read: names, references, reasons and notes.

Such text is stored forever in the event log and printed in PDFs, spreadsheets and terminals, so characters that
only make sense to a machine are refused at the door, not cleaned up later:
- control characters (C0, DEL, C1): BEL, ESC and ANSI sequences garble terminals and PDFs, NUL cannot be stored;
- bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the invisible direction
  marks (U+200E, U+200F, U+061C): they make a text display as something else than it is ("Trojan Source").
Single-line text (names, references, reasons, codes) also refuses tab, CR and LF; multi-line text (notes,
descriptions, summaries) keeps tab and line breaks.
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # every control but tab, LF and CR
_FORBIDDEN_MULTI_LINE = re.compile(f"[{_CONTROLS}{_BIDI}]")
_FORBIDDEN_SINGLE_LINE = re.compile(f"[{_CONTROLS}\t\n\r{_BIDI}]")


def forbidden_character(value: str, *, multi_line: bool = False) -> str | None:
    """A description of the first character such text may not hold, or None when the text is clean."""
    found = (_FORBIDDEN_MULTI_LINE if multi_line else _FORBIDDEN_SINGLE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    kind = "a bidirectional control" if re.match(f"[{_BIDI}]", char) else "a control character"
    return f"{kind} (U+{ord(char):04X}) at position {found.start()}"


def _single_line(value: str) -> str:
    problem = forbidden_character(value)
    if problem:  # the error's type is the rule a 422 names
        raise PydanticCustomError("plain-text", "contains {problem}; use plain printable text on one line",
                                  {"problem": problem})
    return value


def _multi_line(value: str) -> str:
    problem = forbidden_character(value, multi_line=True)
    if problem:
        raise PydanticCustomError("plain-text", "contains {problem}; use plain printable text", {"problem": problem})
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("not-blank", "must not be blank")
    return value


# The same rules as JSON Schema patterns (escapes both ECMA-262 and Python read), so that clients and API fuzzers
# know them; the validators above give the clearer message.
_BIDI_ESCAPED = r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS_ESCAPED = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_SINGLE = rf"{_CONTROLS_ESCAPED}\t\n\r{_BIDI_ESCAPED}"
_MULTI = rf"{_CONTROLS_ESCAPED}{_BIDI_ESCAPED}"
SINGLE_LINE_PATTERN = rf"^[^{_SINGLE}]*[^{_SINGLE}\s][^{_SINGLE}]*$"  # at least one character that is not a blank
MULTI_LINE_PATTERN = rf"^[^{_MULTI}]*[^{_MULTI}\s][^{_MULTI}]*$"


def single_line(max_length: int, description: str | None = None) -> object:
    """A single-line text type of at most `max_length` characters, not blank."""
    return Annotated[str, Field(min_length=1, max_length=max_length, description=description,
                                json_schema_extra={"pattern": SINGLE_LINE_PATTERN}),
                     AfterValidator(_single_line), AfterValidator(_not_blank)]


def multi_line(max_length: int, description: str | None = None) -> object:
    return Annotated[str, Field(min_length=1, max_length=max_length, description=description,
                                json_schema_extra={"pattern": MULTI_LINE_PATTERN}),
                     AfterValidator(_multi_line), AfterValidator(_not_blank)]


# The kinds of text the APIs take. Lengths are what the event contracts and read models hold.
Name = single_line(200, "a name as people write it; one line, no control or bidirectional characters")
ShortName = single_line(100)
Reference = single_line(100, "a document number or reference; one line, no control or bidirectional characters")
Reason = single_line(500, "why, in the person's words; one line")
Note = multi_line(500)
Description = multi_line(4000)
