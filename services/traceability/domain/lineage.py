"""Pure pieces of the recall lookup: which question was asked, and how a lot path is written in SQL arrays."""

from dataclasses import dataclass
from typing import Literal

LookupKind = Literal["lot", "lot_any_gtin", "serial"]

GTIN_LENGTH = 14  # lots are keyed by GTIN-14, so "gtin || lot" splits unambiguously


class AmbiguousLookup(ValueError):
    """The query parameters name no lookup, or more than one."""


def lookup_kind(gtin: str | None, lot: str | None, serial: str | None) -> LookupKind:
    """gtin+lot: one lot; lot alone: that lot number under every GTIN; gtin+serial: one serialised unit."""
    if serial is not None:
        if gtin is None or lot is not None:
            raise AmbiguousLookup("a serial is looked up with its gtin, and without a lot")
        return "serial"
    if lot is None:
        raise AmbiguousLookup("give a lot (with or without its gtin), or a gtin and a serial")
    return "lot" if gtin is not None else "lot_any_gtin"


def lot_key(gtin: str, lot: str) -> str:
    return f"{gtin}{lot}"


def split_lot_key(key: str) -> tuple[str, str]:
    return key[:GTIN_LENGTH], key[GTIN_LENGTH:]


@dataclass(frozen=True)
class Quantities:
    shipped: int = 0
    returned: int = 0

    @property
    def outstanding(self) -> int:
        return self.shipped - self.returned

    def __add__(self, other: "Quantities") -> "Quantities":
        return Quantities(self.shipped + other.shipped, self.returned + other.returned)
