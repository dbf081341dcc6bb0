"""UDI scanning: what a barcode scanner sends, parsed into one result or refused saying what is wrong.

Pure (no I/O). Accepted:

- GS1 element strings (GS1 DataMatrix, GS1-128, GS1 QR, DataBar), with or without the symbology identifier
  a scanner puts in front (``]d2``, ``]C1``, ``]Q3``, ``]e0``, ``]J1``), variable-length fields ended by GS
  (ASCII 29, how scanners send FNC1). A variable-length field runs to the next GS or to the end, as the GS1
  General Specifications say (§7.8.5), so a lot of 21 characters is reported as such. GS1 element strings
  are interpreted by `biip` (AI table, formats, GTIN check digit, dates with day 00 = last day of the month).
- The GS1 human-readable form, ``(01)09506000134352(17)251200(10)A1``.
- HIBC LIC primary, secondary and concatenated codes: see `shared.domain.hibc`.

A GS1 code must carry a GTIN (01): it is the UDI-DI.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from stdnum import ean

from shared.domain.hibc import HIBCError, parse_hibc

GS = "\x1d"
#: Symbology identifiers (ISO/IEC 15424) of the symbols that carry GS1 element strings.
GS1_SYMBOLOGIES = {"]C1": "GS1-128", "]d2": "GS1 DataMatrix", "]Q3": "GS1 QR Code", "]e0": "GS1 DataBar",
                   "]J1": "GS1 DotCode"}
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9A-Za-z]")

_NAMES = {"01": "GTIN", "10": "lot", "11": "production date", "17": "expiry", "21": "serial", "30": "quantity",
          "37": "count"}
_DATES = {"11", "12", "13", "15", "16", "17"}


class UDIError(ValueError):
    """The code is not a valid UDI; `message` says what is wrong, `rule` names the kind of fault."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.message, self.rule = message, rule


@dataclass(frozen=True)
class ParsedUDI:
    scheme: Literal["GS1", "HIBC"]
    raw: str
    device_identifier: str | None = None  # GS1: the GTIN-14; HIBC: labeler + product + unit of measure
    gtin: str | None = None
    labeler: str | None = None
    product: str | None = None
    unit_of_measure: int | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None
    production_date: date | None = None
    quantity: int | None = None
    symbology_identifier: str | None = None
    link_character: str | None = None  # HIBC: the primary's check character / the link a lone secondary carries
    elements: dict[str, str] = field(default_factory=dict)  # GS1: every application identifier and its data


def parse_udi(raw: str) -> ParsedUDI:
    """Parse what a scanner sent; raise UDIError naming what is wrong."""
    # Scanners end with CR/LF; a trailing space may be an HIBC check character, so spaces stay for HIBC.
    text = raw.lstrip().rstrip("\r\n\t")
    if not text.strip():
        raise UDIError("the code is empty", "empty")
    symbology = None
    if text.startswith("]"):
        if not _SYMBOLOGY.match(text):
            raise UDIError(f"{text[:3]!r} is not a symbology identifier (']' then a letter and a character)",
                           "symbology-identifier")
        symbology, text = text[:3], text[3:]
        if symbology not in GS1_SYMBOLOGIES and not text.lstrip("*").startswith("+"):
            raise UDIError(f"symbology identifier {symbology} is not a GS1 one ({', '.join(GS1_SYMBOLOGIES)})"
                           " and the data is not HIBC (+…): the symbol carries no UDI", "symbology-identifier")
    if text.lstrip("*").startswith("+") and (symbology is None or symbology not in GS1_SYMBOLOGIES):
        return _hibc(raw, text, symbology)
    text = text.rstrip()
    if symbology is None and text.startswith("("):
        return _gs1(raw, _hri(text), symbology)
    if text[:1].isdigit() or text.startswith(GS):
        return _gs1(raw, _element_strings(text), symbology)
    if symbology is not None:
        raise UDIError(f"symbology identifier {symbology} announces GS1 data, but what follows does not start"
                       " with an application identifier", "symbology-identifier")
    raise UDIError("not a UDI: expected GS1 data (digits, or '(01)…' as printed) or HIBC data ('+…')",
                   "not-a-udi")


# GS1 ------------------------------------------------------------------------------------------------------


def _name(ai: str) -> str:
    return f"{_NAMES[ai]} ({ai})" if ai in _NAMES else f"({ai})"


def _lookup(ai: str) -> GS1ApplicationIdentifier | None:
    try:
        found = GS1ApplicationIdentifier.extract(ai)
    except ParseError:
        return None
    return found if found.ai == ai else None


def _fixed_length(ai: GS1ApplicationIdentifier) -> int | None:
    """Data length of an AI of GS1's predefined-length table (no FNC1 after it); None if variable."""
    if ai.separator_required:
        return None
    match = re.fullmatch(r"N\d\+N(\d+)", ai.format)
    assert match, ai.format  # every predefined-length AI in biip's table is Nk+Nm
    return int(match.group(1))


def _max_length(ai: GS1ApplicationIdentifier) -> int:
    total = 0
    for part in ai.format.split("+")[1:]:
        part = part.strip("[]")
        digits = re.search(r"(\d+)$", part)
        total += int(digits.group(1)) if digits else 1
    return total


def _element_strings(text: str) -> Iterator[tuple[GS1ApplicationIdentifier, str]]:
    """Split an element string into (AI, data); FNC1 as GS; a single GS after any field is tolerated."""
    count, pos = 0, 0
    while pos < len(text):
        if text[pos] == GS:
            pos += 1
            continue
        try:
            ai = GS1ApplicationIdentifier.extract(text[pos:])
        except ParseError:
            shown = text[pos : pos + 4].split(GS)[0]
            raise UDIError(f"unknown application identifier at character {pos + 1}: no GS1 AI begins {shown!r}",
                           "gs1-unknown-ai") from None
        start = pos + len(ai.ai)
        length = _fixed_length(ai)
        if length is None:
            end = text.find(GS, start)
            end = len(text) if end < 0 else end
        else:
            end = start + length
            data = text[start:end].split(GS)[0]
            if len(data) < length:
                raise UDIError(f"truncated: {_name(ai.ai)} needs {length} digits, got {len(data)}", "truncated")
        yield ai, text[start:end]
        count += 1
        pos = end
    if not count:
        raise UDIError("the code has no GS1 data, only separators", "empty")


def _hri(text: str) -> Iterator[tuple[GS1ApplicationIdentifier, str]]:
    """The human-readable form: (AI)data(AI)data…; spaces are ignored (GS1 data has none)."""
    text = "".join(text.split())
    pos = 0
    for match in re.finditer(r"\(([^()]*)\)([^()]*)", text):
        if match.start() != pos:
            break
        pos = match.end()
        ai = _lookup(match.group(1))
        if ai is None:
            raise UDIError(f"unknown application identifier ({match.group(1)})", "gs1-unknown-ai")
        length = _fixed_length(ai)
        data = match.group(2)
        if length is not None and len(data) < length:
            raise UDIError(f"truncated: {_name(ai.ai)} needs {length} digits, got {len(data)}", "truncated")
        if length is not None and len(data) > length:
            raise UDIError(f"{_name(ai.ai)} has {len(data)} digits; it has exactly {length}", "gs1-length")
        yield ai, data
    if pos != len(text):
        raise UDIError(f"malformed human-readable form at character {pos + 1}: expected '(AI)data'", "gs1-hri")


def _element(ai: GS1ApplicationIdentifier, data: str) -> GS1ElementString:
    if not data:
        raise UDIError(f"{_name(ai.ai)} is empty", "truncated")
    limit = _max_length(ai)
    if _fixed_length(ai) is None and len(data) > limit:
        raise UDIError(f"{_NAMES.get(ai.ai, 'application identifier')} ({ai.ai}) is {len(data)} characters;"
                       f" at most {limit}", "gs1-length")
    try:
        element = GS1ElementString.parse(ai.ai + data)
    except ParseError:
        if ai.ai in _DATES and data.isdigit():
            raise UDIError(f"{_name(ai.ai)} {data} is not a date (YYMMDD; day 00 means the month's last day)",
                           "gs1-date") from None
        raise UDIError(f"{_name(ai.ai)} {data!r} does not match the GS1 format {ai.format}", "gs1-format") from None
    if element.gtin_error:
        expected = ean.calc_check_digit(data[:-1])
        raise UDIError(f"GTIN check digit is {data[-1]}, expected {expected}", "gs1-check-digit")
    return element


def _gs1(raw: str, pairs: Iterable[tuple[GS1ApplicationIdentifier, str]], symbology: str | None) -> ParsedUDI:
    elements: dict[str, GS1ElementString] = {}
    for ai, data in pairs:
        element = _element(ai, data)
        if ai.ai in elements and elements[ai.ai].value != element.value:
            raise UDIError(f"{_name(ai.ai)} appears twice with different values", "gs1-duplicate-ai")
        elements[ai.ai] = element
    if "01" not in elements:
        raise UDIError("no GTIN (01): a GS1 UDI carries the device identifier in (01)", "gs1-no-gtin")

    def value(ai: str) -> str | None:
        return elements[ai].value if ai in elements else None

    def day(ai: str) -> date | None:
        return elements[ai].date if ai in elements else None

    quantity = value("30") or value("37")
    return ParsedUDI(
        scheme="GS1", raw=raw, device_identifier=value("01"), gtin=value("01"), lot=value("10"), serial=value("21"),
        expiry=day("17"), production_date=day("11"), quantity=int(quantity) if quantity else None,
        symbology_identifier=symbology, elements={ai: e.value for ai, e in elements.items()},
    )


# HIBC -----------------------------------------------------------------------------------------------------


def _hibc(raw: str, text: str, symbology: str | None) -> ParsedUDI:
    try:
        data = parse_hibc(text)
    except HIBCError as e:
        raise UDIError(e.message, e.rule) from None
    di = f"{data.labeler}{data.product}{data.unit_of_measure}" if data.labeler else None
    return ParsedUDI(
        scheme="HIBC", raw=raw, device_identifier=di, labeler=data.labeler, product=data.product,
        unit_of_measure=data.unit_of_measure, lot=data.lot, serial=data.serial, expiry=data.expiry,
        production_date=data.production_date, quantity=data.quantity, symbology_identifier=symbology,
        link_character=data.link_character,
    )
