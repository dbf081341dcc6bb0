"""UDI scanning: what a barcode scanner sends, parsed into one result or refused saying what is wrong.

Pure (no I/O). Accepted:

- GS1 element strings (GS1 DataMatrix, GS1-128, GS1 QR, DataBar), with or without the symbology identifier
  a scanner puts in front (``]d2``, ``]C1``, ``]Q3``, ``]e0``, ``]J1``), variable-length fields ended by GS
  (ASCII 29, how scanners send FNC1). A variable-length field runs to the next GS or to the end, as the GS1
  General Specifications say (§7.8.5), so a lot of 21 characters is reported as such. GS1 element strings
  are interpreted by `biip` (AI table, formats, GTIN check digit, dates with day 00 = last day of the month).
- The GS1 human-readable form, ``(01)09506000134352(17)251200(10)A1``.
- GS1 Digital Link URIs as a QR code (or Data Matrix) carries them, alone or after ``]Q1`` / ``]d1``:
  ``https://id.gs1.org/01/09506000134352/10/ABC/21/123?17=271231``, any host and path prefix; see `_digital_link`.
- HIBC LIC primary, secondary and concatenated codes: see `shared.domain.hibc`.

A GS1 code must carry a GTIN (01): it is the UDI-DI. Its AIs must then keep GS1's cross-field rules as GS1's
syntax dictionary lists them (``ex=``: mutually exclusive, rule ``gs1-ai-exclusive``; ``req=``: needs another,
rule ``gs1-ai-requires``), read from the committed copy by `shared.domain.gs1_syntax`.

How lenient the scanner path is (README, "UDI scans"): a GS right after the symbology identifier (or first, with
none), a GS at the end, and several GS in a row are tolerated: they separate nothing and carry no data. A GS as the
first character after ``]Q1`` or ``]d1`` (a QR or Data Matrix symbol whose encoder wrote ASCII 29 for the FNC1 a
GS1 symbol starts with) introduces element strings; without it, digits after ``]Q1``/``]d1`` are refused. An
element with no data (``10`` then GS or the end; ``(10)`` then nothing; ``/10/`` or ``?17=`` in a URI) is refused:
it is a field the label was meant to carry and does not.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Literal
from urllib.parse import unquote, urlsplit

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from stdnum import ean

from shared.domain import gs1_syntax
from shared.domain.hibc import HIBCError, parse_hibc

GS = "\x1d"
#: Symbology identifiers (ISO/IEC 15424) of the symbols that carry GS1 element strings.
GS1_SYMBOLOGIES = {"]C1": "GS1-128", "]d2": "GS1 DataMatrix", "]Q3": "GS1 QR Code", "]e0": "GS1 DataBar",
                   "]J1": "GS1 DotCode"}
#: Symbols that are not in GS1 mode but may carry a GS1 Digital Link URI (or element strings introduced by GS).
PLAIN_2D_SYMBOLOGIES = {"]Q1": "QR Code", "]d1": "Data Matrix"}
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_URI = re.compile(r"https?://", re.IGNORECASE)

_NAMES = {"01": "GTIN", "10": "lot", "11": "production date", "17": "expiry", "21": "serial", "30": "quantity",
          "37": "count"}
_DATES = {"11", "12", "13", "15", "16", "17"}


class UDIError(ValueError):
    """The code is not a valid UDI; `message` says what is wrong, `rule` names the kind of fault."""

    def __init__(self, message: str, rule: str, ais: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message, self.rule, self.ais = message, rule, ais  # ais: the AIs a cross-field rule is about


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
        if not text.strip():  # GS, like CR and LF, is white space to str.strip
            raise UDIError(f"the code has no data after the symbology identifier {symbology}", "empty")
        plain = symbology in PLAIN_2D_SYMBOLOGIES and (_URI.match(text) or text.startswith(GS))
        if symbology in PLAIN_2D_SYMBOLOGIES and not plain and not text.lstrip("*").startswith("+"):
            raise UDIError(f"symbology identifier {symbology} is a plain {PLAIN_2D_SYMBOLOGIES[symbology]}, not a GS1"
                           " one: a UDI in it is a GS1 Digital Link URI (https://…/01/…), HIBC (+…), or GS1 element"
                           " strings led by a GS standing for FNC1", "symbology-identifier")
        if symbology not in GS1_SYMBOLOGIES and not plain and not text.lstrip("*").startswith("+"):
            raise UDIError(f"symbology identifier {symbology} is not a GS1 one ({', '.join(GS1_SYMBOLOGIES)})"
                           " and the data is not HIBC (+…): the symbol carries no UDI", "symbology-identifier")
    if text.lstrip("*").startswith("+") and (symbology is None or symbology not in GS1_SYMBOLOGIES):
        return _hibc(raw, text, symbology)
    text = text.rstrip()
    if _URI.match(text):
        if symbology in GS1_SYMBOLOGIES:
            raise UDIError(f"symbology identifier {symbology} announces GS1 element strings, but what follows is"
                           " a URI (a GS1 Digital Link URI is in a plain QR code: ]Q1)", "symbology-identifier")
        return _gs1(raw, _digital_link(text), symbology)
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
    """Split an element string into (AI, data); FNC1 as GS; a GS that separates nothing (first, last, after a
    fixed-length field, or after another GS) is skipped."""
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
    _cross_field_rules(list(elements))

    def value(ai: str) -> str | None:
        return elements[ai].value if ai in elements else None

    def day(ai: str) -> date | None:
        return elements[ai].date if ai in elements else None

    quantity = value("30")  # (37) COUNT never comes with (01): the dictionary makes them exclusive
    return ParsedUDI(
        scheme="GS1", raw=raw, device_identifier=value("01"), gtin=value("01"), lot=value("10"), serial=value("21"),
        expiry=day("17"), production_date=day("11"), quantity=int(quantity) if quantity else None,
        symbology_identifier=symbology, elements={ai: e.value for ai, e in elements.items()},
    )


def _label(ai: str) -> str:
    """GTIN (01), lot (10)…; other AIs with the dictionary's title: (37) COUNT."""
    if ai in _NAMES:
        return _name(ai)
    known = gs1_syntax.dictionary().get(ai)
    return f"({ai}) {known.title}" if known and known.title else f"({ai})"


def _either(alternatives: tuple[str, ...]) -> str:
    shown = ["+".join(f"({part})" for part in alt.split("+")) for alt in alternatives]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _cross_field_rules(ais: list[str]) -> None:
    """GS1's mutually exclusive and required AI pairings (the syntax dictionary's ex= and req=), first broken."""
    for broken in gs1_syntax.violations(ais):
        where = f"GS1 syntax dictionary: ({broken.ai}) {broken.attribute}"
        if broken.rule == "gs1-ai-exclusive":
            other = broken.others[0]
            raise UDIError(f"{_label(broken.ai)} and {_label(other)} cannot be in one code: GS1 makes them mutually"
                           f" exclusive ({where})", broken.rule, (broken.ai, other))
        raise UDIError(f"{_label(broken.ai)} needs {_either(broken.others)} with it ({where})", broken.rule,
                       (broken.ai, *broken.others))


# GS1 Digital Link ------------------------------------------------------------------------------------------


def _digital_link(uri: str) -> Iterator[tuple[GS1ApplicationIdentifier, str]]:
    """A GS1 Digital Link URI (GS1 Digital Link Standard: URI Syntax) as (AI, data) pairs for `_gs1`.

    Any host and path prefix; then a primary key and its qualifiers as the dictionary's ``dlpkey`` lists them, in
    that order (for (01): 22, 10, 21, or 235 alone), each value percent-decoded after the path is split on '/'
    (so %2F is a '/' inside a lot); data attributes in the query string (``?17=271231``), only AIs the dictionary
    flags ``?``, decoded as RFC 3986 says ('+' is a plus, which CSET 82 allows, not a space); query parameters
    that are not AIs are ignored, as the standard allows; the fragment too. A GTIN-8/12/13 is padded to 14 digits.
    Values are then checked like any element string's (format, length, check digit, dates, duplicates)."""
    parts = urlsplit(uri)
    if not parts.hostname:
        raise UDIError(f"{uri[:40]!r} is not a GS1 Digital Link URI: no host", "gs1-digital-link")
    segments = parts.path.split("/")[1:]
    entries = gs1_syntax.dictionary()
    start = next((i for i, s in enumerate(segments)
                  if s in entries and entries[s].dlpkey is not None and (len(segments) - i) % 2 == 0), None)
    if start is None:
        raise UDIError("not a GS1 Digital Link URI: its path has no primary key and value such as /01/<GTIN>"
                       " followed only by qualifiers and their values (/10/<lot>, /21/<serial>; no '/' at the end)",
                       "gs1-digital-link")
    pairs = [(segments[i], unquote(segments[i + 1])) for i in range(start, len(segments), 2)]
    key, value = pairs[0]
    if key == "01" and value.isdigit() and len(value) in (8, 12, 13):
        pairs[0] = (key, value.zfill(14))
    qualifiers = [k for k, _ in pairs[1:]]
    sequences = entries[key].dlpkey or ((),)
    if not any(_in_order(qualifiers, list(seq)) for seq in sequences):
        allowed = " or ".join(", ".join(seq) for seq in sequences if seq) or "none"
        raise UDIError(f"the path after /{key}/ has /{'/, /'.join(qualifiers)}/: the qualifiers of ({key}) are"
                       f" {allowed}, each at most once and in that order (GS1 syntax dictionary: dlpkey)",
                       "gs1-digital-link")
    for parameter in parts.query.split("&") if parts.query else ():
        name, _, data = parameter.partition("=")
        name = unquote(name)
        if name not in entries:
            continue  # not an AI: other query parameters are the resolver's business
        if not entries[name].digital_link_attribute:
            raise UDIError(f"{_label(name)} is not a GS1 Digital Link data attribute: it cannot be in the query"
                           " string", "gs1-digital-link")
        pairs.append((name, unquote(data)))
    for ai, data in pairs:
        found = _lookup(ai)
        assert found is not None, ai  # biip's AI table and the dictionary list the same AIs (tested)
        yield found, data


def _in_order(qualifiers: list[str], sequence: list[str]) -> bool:
    """Each qualifier at most once, in the sequence's order (any may be left out)."""
    position = 0
    for qualifier in qualifiers:
        if qualifier not in sequence[position:]:
            return False
        position = sequence.index(qualifier, position) + 1
    return True


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
