"""UDI identifiers as the APIs take them: the GTIN (UDI-DI), validated with python-stdnum and stored as GTIN-14,
and the lot and serial numbers of the UDI-PI."""

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError
from biip import ParseError
from biip.gtin import Gtin
from stdnum import ean
from stdnum.exceptions import ValidationError
from shared.domain import gs1_syntax
from shared.domain.business_day import business_today


class InvalidGTINError(ValueError):
    pass


# GS1 prefixes whose numbers never identify a trade item in the open supply chain, so never a device's UDI-DI:
# restricted circulation numbers (a company's or a region's internal numbers, prefixes 0/02/04/2x), coupons and
# refund receipts (GS1 General Specifications, 1.4.2 and figure 1.4.2-1), as biip's prefix table names them.
_NOT_TRADE_ITEMS = ("restricted circulation", "coupon", "refund receipt")


def normalize_gtin(value: str) -> str:
    """GTIN-8/12/13/14 with a valid check digit under an assigned GS1 prefix for trade items, as GTIN-14."""
    try:
        digits = ean.validate(value)
    except ValidationError as e:
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: {e}") from e
    if len(digits) not in (8, 12, 13, 14):
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: it has {len(digits)} digits (8, 12, 13 or 14 allowed)")
    if not digits.strip("0"):
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: it is all zeros")
    try:
        prefix = Gtin.parse(digits).prefix
    except ParseError as e:
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: {e}") from e
    if prefix is None:
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: its GS1 prefix is not assigned to anyone")
    if any(kind in prefix.usage.lower() for kind in _NOT_TRADE_ITEMS):
        raise InvalidGTINError(f"{value!r} is not a trade item's GTIN: GS1 prefix {prefix.value} is"
                               f" '{prefix.usage}', never a device identifier (UDI-DI)")
    return digits.zfill(14)


def _validated(value: str) -> str:
    try:
        return normalize_gtin(value)
    except InvalidGTINError as e:
        raise ValueError(str(e)) from None  # pydantic reports it as a 422 naming the field


# GS1 AIs (10) and (21) are at most 20 characters of GS1 AI encodable character set 82 (GS1 General
# Specifications, figure 7.11-1), as GS1's syntax dictionary says (both "X..20"): a lot or serial outside it cannot
# be printed in a GS1 barcode nor a Digital Link URI, so the unit could never be picked by scan. No space, no
# Chinese, no control character (a scanner's GS or CR must not end up inside).
GS1_CSET_82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def _cset_82_length(ai: str) -> int:
    """The longest value of a CSET 82 AI, read from GS1's syntax dictionary (which also says it is CSET 82: X)."""
    found = gs1_syntax.entry(ai)
    assert found.character_sets == {"X"} and len(found.components) == 1, (ai, found)
    return found.max_length


LOT_MAX_LENGTH, SERIAL_MAX_LENGTH = _cset_82_length("10"), _cset_82_length("21")
assert LOT_MAX_LENGTH == SERIAL_MAX_LENGTH == 20  # the API schemas and stored data say 20
_CSET_82_PATTERN = rf"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{{1,{LOT_MAX_LENGTH}}}$"


def gs1_encodable(value: str) -> bool:
    """Whether a GS1 AI (10) lot or (21) serial can hold this value: 1 to 20 characters of set 82."""
    return 1 <= len(value) <= LOT_MAX_LENGTH and all(ch in GS1_CSET_82 for ch in value)


def gs1_cset_82_problem(value: str) -> str | None:
    """What keeps a lot or serial out of a GS1 barcode, in words; None if it fits."""
    if gs1_encodable(value):
        return None
    bad = next((ch for ch in value if ch not in GS1_CSET_82), None)
    return f"{value!r} cannot be carried by a GS1 barcode: " + (
        f"{bad!r} is not in GS1 character set 82 (letters, digits and !\"%&'()*+,-./:;<=>?_; no spaces)"
        if bad is not None else f"1 to {LOT_MAX_LENGTH} characters")


def _gs1_encodable(value: str) -> str:
    if (problem := gs1_cset_82_problem(value)) is not None:
        raise PydanticCustomError("gs1-character-set", "{message}", {"message": problem})
    return value


LotInput = Annotated[str, Field(min_length=1, max_length=20, json_schema_extra={"pattern": _CSET_82_PATTERN},
                                description="lot number, GS1 AI (10): 1-20 characters of GS1 character set 82"),
                     AfterValidator(_gs1_encodable)]
SerialInput = Annotated[str, Field(min_length=1, max_length=20, json_schema_extra={"pattern": _CSET_82_PATTERN},
                                   description="serial number, GS1 AI (21): 1-20 characters of GS1 character set 82"),
                        AfterValidator(_gs1_encodable)]

GTINInput = Annotated[
    str,
    AfterValidator(_validated),
    Field(description="GTIN-8/12/13/14 (UDI-DI); the check digit is verified; stored and answered as GTIN-14"),
]


def gs1_date_encodable(day: date, today: date) -> bool:
    """Whether a GS1 date AI (11) production or (17) expiry can carry the day: YYMMDD reads its century from the
    current year (GS1 General Specifications 7.12: 49 years back to 50 years ahead), so 9999-12-31 would be read
    back as 2099-12-31 (or a past date) by every scanner."""
    return today.year - 49 <= day.year <= today.year + 50


def gs1_date(day: date) -> date:
    """A pydantic validator: 422 for a date no GS1 label can carry, judged against today (China's)."""
    today = business_today()
    if not gs1_date_encodable(day, today):
        raise ValueError(f"{day} cannot be printed in a GS1 barcode (YYMMDD reaches {today.year - 49} to"
                         f" {today.year + 50})")
    return day


GS1Date = Annotated[date, AfterValidator(gs1_date)]
