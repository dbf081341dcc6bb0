"""HIBC LIC (ANSI/HIBC 2.6, the HIBCC Supplier Labeling Standard) as scanners send it: pure, no I/O.

What is read
------------
Primary data structure (the UDI-DI): ``+`` flag, labeler identification code (4 characters, the first a
letter), product or catalogue number (1-18 of A-Z 0-9), unit-of-measure digit, mod-43 check character.

Secondary data structure (the UDI-PI), after a ``+`` flag when it is a symbol of its own, where it ends with
the link character (the primary's check character) and its own check character:

==================  ============================================================================
``$`` lot           ``$LOT`` (kept for backward compatibility by the standard)
``$+`` serial       ``$+SERIAL`` (idem)
``$$`` + date       ``$$`` then a date-format digit, the date, then the lot (``$$+``: the serial):
                    ``0``/``1`` MMYY (the digit *is* the first digit of the month), ``2`` MMDDYY,
                    ``3`` YYMMDD, ``4`` YYMMDDHH, ``5`` YYJJJ (Julian day), ``6`` YYJJJHH, ``7`` no date
``$$8`` / ``$$9``   quantity of 2 / 5 digits, then optionally a date-format digit and date as above,
                    then the lot (``$$+8`` / ``$$+9``: the serial)
``YYJJJ``           the original format: a Julian expiry date, then the lot
==================  ============================================================================

Supplemental data fields (ANSI MH10.8.2 data identifiers), each after a ``/`` in a concatenated symbol:
``14D`` expiry YYYYMMDD, ``16D`` date of manufacture YYYYMMDD, ``S`` serial (1-18), ``Q`` quantity (1-5 digits).

Concatenation: ``+PRIMARY/SECONDARY[/SUPPLEMENTAL…]C`` in one symbol — the secondary's ``+`` and link
character and the primary's check character are left out, and one check character ``C`` covers everything
before it. Two linear symbols read together (``+PRIMARYc+SECONDARYlc``) are accepted too: the secondary's
link character must then equal the primary's check character.

Interpretation choices (the standard leaves them to the reader): a two-digit year is 20YY; an MMYY expiry
means the last day of that month, and day 00 in a YYMMDD or MMDDYY expiry the month's last day (GS1's rule);
the hour of formats 4 and 6 (GMT) is dropped, the date kept; Code 39 start/stop asterisks around the data are
ignored; an underscore as the last character stands for a space check character, as the human-readable form
prints it. Lot and serial are at most 18 characters of A-Z, 0-9, ``-`` and ``.``.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

#: Mod-43 values, ANSI/HIBC 2.6 Appendix B: 0-9, A-Z = 10-35, then - . space $ / + %.
CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
VALUE = {c: i for i, c in enumerate(CHARSET)}

MAX_LOT = 18
_LOT = re.compile(r"[A-Z0-9.-]*")


class HIBCError(ValueError):
    def __init__(self, message: str, rule: str = "hibc-format") -> None:
        super().__init__(message)
        self.message, self.rule = message, rule


@dataclass(frozen=True)
class HIBCData:
    labeler: str | None = None
    product: str | None = None
    unit_of_measure: int | None = None
    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None
    production_date: date | None = None
    quantity: int | None = None
    link_character: str | None = None  # a primary's check character, or the link a lone secondary carries


def check_character(data: str) -> str:
    """The mod-43 check character of `data` (every character, the leading + included)."""
    return CHARSET[sum(VALUE[c] for c in data) % 43]


def _show(c: str) -> str:
    return "a space" if c == " " else repr(c)


def _verify(data: str, given: str, what: str = "HIBC check character") -> None:
    expected = check_character(data)
    if given != expected:
        raise HIBCError(f"{what} is {_show(given)}, expected {_show(expected)}", "hibc-check-character")


def parse_hibc(text: str) -> HIBCData:
    """Parse an HIBC LIC primary, secondary or concatenated code; raise HIBCError saying what is wrong."""
    if len(text) >= 2 and text[0] == "*" and text[-1] == "*":
        text = text[1:-1]  # Code 39 start/stop characters in a human-readable copy
    if text.endswith("_"):
        text = text[:-1] + " "  # the human-readable form prints a space check character as _
    for i, c in enumerate(text):
        if c not in VALUE:
            hint = ": HIBC data is upper case" if c.isalpha() else ""
            raise HIBCError(f"character {i + 1} ({c!r}) is not allowed in HIBC data{hint}", "hibc-character")
    if not text.startswith("+"):
        raise HIBCError("HIBC data starts with the '+' flag", "hibc-format")
    if len(text) < 2:
        raise HIBCError("truncated: nothing follows the HIBC '+' flag", "truncated")
    if text[1] == "$" or text[1].isdigit():
        return _lone_secondary(text)
    if not text[1].isalpha():
        raise HIBCError(f"the labeler code starts with a letter, not {text[1]!r}", "hibc-labeler")
    if "/" in text[:-1]:
        return _concatenated(text)
    return _primary_symbols(text)


def _primary(data: str) -> tuple[str, str, int]:
    """`data` is +LIC PCN U (no check character)."""
    body = data[1:]
    if len(body) < 6:
        raise HIBCError("truncated: an HIBC primary needs a 4-character labeler code, a product number, a"
                        " unit-of-measure digit and a check character", "truncated")
    labeler, product, uom = body[:4], body[4:-1], body[-1]
    if not labeler[0].isalpha() or not labeler.isalnum():
        raise HIBCError(f"labeler code {labeler!r} is not 4 letters or digits starting with a letter", "hibc-labeler")
    if not product.isalnum():
        bad = next(c for c in product if not c.isalnum())
        raise HIBCError(f"product number {product!r} has {_show(bad)}: only A-Z and 0-9 are allowed", "hibc-product")
    if len(product) > 18:
        raise HIBCError(f"product number is {len(product)} characters; at most 18", "hibc-product")
    if not uom.isdigit():
        raise HIBCError(f"unit of measure is {uom!r}; it is one digit 0-9", "hibc-unit-of-measure")
    return labeler, product, int(uom)


def _primary_symbols(text: str) -> HIBCData:
    """A primary symbol alone, or a primary and a secondary linear symbol read together."""
    # The primary's check character may be any of the 43, '+' included; a secondary read with it starts
    # with '+' and then '$' or a digit.
    split = next((i for i in range(2, len(text) - 1) if text[i] == "+" and text[i + 1] in "$0123456789"), len(text))
    primary, check, rest = text[: split - 1], text[split - 1], text[split:]
    labeler, product, uom = _primary(primary)
    _verify(primary, check)
    result = HIBCData(labeler=labeler, product=product, unit_of_measure=uom, link_character=check)
    if not rest:
        return result
    secondary = _lone_secondary(rest)
    if secondary.link_character != check:
        raise HIBCError(f"the secondary's link character is {_show(secondary.link_character or '')}, but the"
                        f" primary's check character is {_show(check)}: they are not from the same label",
                        "hibc-link-character")
    return _merge(result, secondary, link_character=check)


def _lone_secondary(text: str) -> HIBCData:
    """+SECONDARY L C: its own link character L and check character C."""
    if len(text) < 4:
        raise HIBCError("truncated: an HIBC secondary needs its data, a link character and a check character",
                        "truncated")
    data, link, check = text[:-2], text[-2], text[-1]
    fields = _secondary(data[1:])  # structure first: a truncated code is called truncated
    _verify(data + link, check)
    return HIBCData(**fields, link_character=link)


def _concatenated(text: str) -> HIBCData:
    data, check = text[:-1], text[-1]
    primary, *parts = data.split("/")
    labeler, product, uom = _primary(primary)
    fields: dict = {}
    for i, part in enumerate(parts):
        if not part:
            raise HIBCError("an HIBC data field between '/' is empty", "hibc-format")
        if i == 0 and (part[0] == "$" or re.match(r"\d{5}", part)):
            new = _secondary(part)
        else:
            new = _supplemental(part)
        for key, value in new.items():
            if value is None:
                continue
            if fields.get(key) not in (None, value):
                raise HIBCError(f"{key.replace('_', ' ')} appears twice with different values", "hibc-duplicate")
            fields[key] = value
    _verify(data, check)
    return HIBCData(labeler=labeler, product=product, unit_of_measure=uom, **fields)


def _merge(primary: HIBCData, secondary: HIBCData, link_character: str) -> HIBCData:
    return HIBCData(labeler=primary.labeler, product=primary.product, unit_of_measure=primary.unit_of_measure,
                    lot=secondary.lot, serial=secondary.serial, expiry=secondary.expiry,
                    production_date=secondary.production_date, quantity=secondary.quantity,
                    link_character=link_character)


def _identifier(value: str, what: str) -> str | None:
    if len(value) > MAX_LOT:
        raise HIBCError(f"HIBC {what} is {len(value)} characters; at most {MAX_LOT}", f"hibc-{what}-length")
    if not _LOT.fullmatch(value):
        bad = next(c for c in value if not _LOT.fullmatch(c))
        raise HIBCError(f"HIBC {what} {value!r} has {_show(bad)}: only A-Z, 0-9, '-' and '.' are allowed",
                        f"hibc-{what}")
    return value or None


def _secondary(s: str) -> dict:
    """The secondary data without its '+' flag, link and check characters."""
    out: dict = {"lot": None, "serial": None, "expiry": None, "quantity": None}
    if s.startswith("$$"):
        rest = s[2:]
        what = "lot"
        if rest.startswith("+"):
            what, rest = "serial", rest[1:]
        if not rest:
            raise HIBCError("truncated: '$$' needs a date-format digit (0-9) after it", "truncated")
        if rest[0] in "89":
            digits = 2 if rest[0] == "8" else 5
            quantity = rest[1 : 1 + digits]
            if len(quantity) < digits or not quantity.isdigit():
                raise HIBCError(f"truncated: quantity after '$${rest[0]}' needs {digits} digits", "truncated")
            out["quantity"] = int(quantity)
            rest = rest[1 + digits :]
            if rest:
                if rest[0] in "89":
                    raise HIBCError("a date-format digit after the quantity is 0-7", "hibc-date-format")
                out["expiry"], rest = _dated(rest)
        else:
            out["expiry"], rest = _dated(rest)
        out[what] = _identifier(rest, what)
    elif s.startswith("$"):
        rest = s[1:]
        if rest.startswith("+"):
            out["serial"] = _identifier(rest[1:], "serial")
        else:
            out["lot"] = _identifier(rest, "lot")
    elif s[:1].isdigit():
        out["expiry"] = _date(s[:5], "YYJJJ")
        out["lot"] = _identifier(s[5:], "lot")
    else:
        raise HIBCError(f"an HIBC secondary starts with '$' or a Julian date, not {s[:1]!r}", "hibc-format")
    return out


# date-format digit -> (format, characters after the digit); for 0 and 1 the digit is the month's first digit
_DATE_FORMATS = {"2": ("MMDDYY", 6), "3": ("YYMMDD", 6), "4": ("YYMMDDHH", 8), "5": ("YYJJJ", 5),
                 "6": ("YYJJJHH", 7)}


def _dated(rest: str) -> tuple[date | None, str]:
    """A date-format digit and its date at the start of `rest`: (expiry, what follows)."""
    digit = rest[0]
    if digit in "01":
        fmt, start, length = "MMYY", 0, 4
    elif digit == "7":
        return None, rest[1:]
    elif digit in _DATE_FORMATS:
        (fmt, length), start = _DATE_FORMATS[digit], 1
    else:
        raise HIBCError(f"the date-format digit after '$$' is 0-9, not {digit!r}", "hibc-date-format")
    value = rest[start : start + length]
    if len(value) < length or not value.isdigit():
        raise HIBCError(f"truncated: expiry in format {fmt} needs {length} digits", "truncated")
    return _date(value, fmt), rest[start + length :]


def _date(value: str, fmt: str) -> date:
    if len(value) != len(fmt) or not value.isdigit():
        raise HIBCError(f"truncated: a date in format {fmt} needs {len(fmt)} digits", "truncated")
    try:
        if fmt == "MMYY":
            return _day(2000 + int(value[2:4]), int(value[0:2]), 0)
        if fmt == "MMDDYY":
            return _day(2000 + int(value[4:6]), int(value[0:2]), int(value[2:4]))
        if fmt in ("YYMMDD", "YYMMDDHH"):
            return _day(2000 + int(value[0:2]), int(value[2:4]), int(value[4:6]))
        if fmt in ("YYJJJ", "YYJJJHH"):
            year, day = 2000 + int(value[0:2]), int(value[2:5])
            if not 1 <= day <= (366 if calendar.isleap(year) else 365):
                raise ValueError("day of year out of range")
            return date.fromordinal(date(year, 1, 1).toordinal() + day - 1)
        if fmt == "YYYYMMDD":
            return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise HIBCError(f"{value} is not a valid date in format {fmt}", "hibc-date") from None
    raise AssertionError(fmt)  # pragma: no cover


def _day(year: int, month: int, day: int) -> date:
    """Day 00 means the last day of the month (GS1's rule; an MMYY expiry is read the same way)."""
    if day == 0 and 1 <= month <= 12:
        day = calendar.monthrange(year, month)[1]
    return date(year, month, day)


def _supplemental(part: str) -> dict:
    if part.startswith(("14D", "16D")):
        value = part[3:]
        if len(value) != 8 or not value.isdigit():
            what = "expiry" if part.startswith("14D") else "date of manufacture"
            raise HIBCError(f"{part[:3]} ({what}) is YYYYMMDD: 8 digits, got {value!r}",
                            "truncated" if len(value) < 8 else "hibc-date")
        key = "expiry" if part.startswith("14D") else "production_date"
        return {key: _date(value, "YYYYMMDD")}
    if part.startswith("S"):
        return {"serial": _identifier(part[1:], "serial")}
    if part.startswith("Q"):
        value = part[1:]
        if not value.isdigit() or not 1 <= len(value) <= 5:
            raise HIBCError(f"Q (quantity) is 1 to 5 digits, got {value!r}", "hibc-quantity")
        return {"quantity": int(value)}
    raise HIBCError(f"unknown HIBC data field '/{part}' (known: a secondary, 14D, 16D, S, Q)", "hibc-unknown-field")
