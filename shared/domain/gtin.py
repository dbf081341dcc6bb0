"""GTIN (the GS1 UDI-DI): validated with python-stdnum, stored as GTIN-14."""

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


GTINInput = Annotated[
    str,
    AfterValidator(_validated),
    Field(description="GTIN-8/12/13/14 (UDI-DI); the check digit is verified; stored and answered as GTIN-14"),
]
