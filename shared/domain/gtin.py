"""UDI identifiers as the APIs take them: the GTIN (UDI-DI), validated with python-stdnum and stored as GTIN-14,
and the lot and serial numbers of the UDI-PI."""

from typing import Annotated

from pydantic import AfterValidator, Field
from stdnum import ean
from stdnum.exceptions import ValidationError


class InvalidGTINError(ValueError):
    pass


def normalize_gtin(value: str) -> str:
    """GTIN-8/12/13/14 with a valid check digit, left-padded to 14 digits."""
    try:
        digits = ean.validate(value)
    except ValidationError as e:
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: {e}") from e
    if len(digits) not in (8, 12, 13, 14):
        raise InvalidGTINError(f"{value!r} is not a valid GTIN: it has {len(digits)} digits (8, 12, 13 or 14 allowed)")
    return digits.zfill(14)


def _validated(value: str) -> str:
    try:
        return normalize_gtin(value)
    except InvalidGTINError as e:
        raise ValueError(str(e)) from None  # pydantic reports it as a 422 naming the field


# GS1 AIs (10) and (21): at most 20 characters; no control characters (a scanner's GS or CR must not end up inside).
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
LotInput = Annotated[str, Field(min_length=1, max_length=20, pattern=_PRINTABLE, description="lot number, GS1 AI (10)")]
SerialInput = Annotated[str, Field(min_length=1, max_length=20, pattern=_PRINTABLE,
                                   description="serial number, GS1 AI (21)")]

GTINInput = Annotated[
    str,
    AfterValidator(_validated),
    Field(description="GTIN-8/12/13/14 (UDI-DI); the check digit is verified; stored and answered as GTIN-14"),
]
