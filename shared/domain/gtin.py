"""GTIN (the GS1 UDI-DI): validated with python-stdnum, stored as GTIN-14."""

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
