"""Picking by UDI scan: each scan must be a reserved GTIN, lot (and, for serialised lots, a serial of that lot),
with the lot's expiry when the label carries one, and must not exceed what is reserved and not yet picked. A lot
or unit under an open recall is never picked. Pure: scans already parsed, no I/O."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.domain.rules import RuleViolation


class PickRefusedError(RuleViolation):
    """A scan that does not match the reservation; `expected` and `scanned` say what differs (in the 409)."""

    def __init__(self, rule: str, message: str, scan: int, expected: dict[str, Any], scanned: dict[str, Any]) -> None:
        super().__init__(rule, message, scan=scan, expected=expected, scanned=scanned)
        self.scan, self.expected, self.scanned = scan, expected, scanned


@dataclass(frozen=True)
class Scan:
    gtin: str | None
    lot: str | None
    serial: str | None = None
    quantity: int = 1
    expiry: date | None = None  # GS1 (17) as the label prints it (day 00: the month's last day)


@dataclass(frozen=True)
class RecalledStock:
    """What open recalls stop among the reserved stock: (gtin, lot) and (gtin, serial)."""

    lots: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    serials: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def plan_picks(reserved: list[dict[str, Any]], picked: list[dict[str, Any]], scans: list[Scan],
               serials_of: dict[tuple[str, str], set[str]], stops: RecalledStock = RecalledStock()) -> list[dict[str, Any]]:
    """The picked lines the scans confirm (one per scan), or PickRefusedError naming the first bad scan.

    `serials_of[(gtin, lot)]` holds the serials a serialised lot was received with (absent: not serialised).
    """
    # One order line may be reserved from several lots: a reserved line is (line_no, lot, warehouse).
    def key(r: dict[str, Any]) -> tuple:
        return (r["line_no"], r["lot"], r["warehouse"])

    remaining = {key(r): r["quantity"] for r in reserved}
    for p in picked:
        remaining[key(p)] -= p["quantity"]
    seen = {s for p in picked for s in p.get("serials") or []}
    lines: list[dict[str, Any]] = []
    gtins = sorted({r["gtin"] for r in reserved})
    for n, scan in enumerate(scans):
        scanned = {"gtin": scan.gtin, "lot": scan.lot, "serial": scan.serial, "quantity": scan.quantity,
                   "expiry": scan.expiry.isoformat() if scan.expiry else None}
        for_item = [r for r in reserved if r["gtin"] == scan.gtin]
        if not for_item:
            raise PickRefusedError("pick-matches-reservation", f"scan {n}: GTIN {scan.gtin} is not reserved for this"
                                   f" order (expected {' or '.join(gtins)})", n, {"gtin": gtins}, scanned)
        lots = sorted({r["lot"] for r in for_item})
        if scan.lot is None or scan.lot not in lots:
            raise PickRefusedError("pick-matches-reservation", f"scan {n}: lot {scan.lot} of {scan.gtin} is not the"
                                   f" reserved lot (expected {' or '.join(lots)})", n, {"gtin": scan.gtin, "lot": lots},
                                   scanned)
        if (scan.gtin, scan.lot) in stops.lots or (scan.serial and (scan.gtin, scan.serial) in stops.serials):
            unit = f"serial {scan.serial}" if (scan.gtin, scan.serial) in stops.serials else f"lot {scan.lot}"
            raise PickRefusedError("recalled-stock-not-picked", f"scan {n}: {unit} of {scan.gtin} is under an open"
                                   " recall: it is not picked (set it aside for the recall)", n,
                                   {"gtin": scan.gtin, "lot": lots}, scanned)
        expiries = sorted({_as_date(r["expiry"]) for r in for_item if r["lot"] == scan.lot and r.get("expiry")})
        if scan.expiry is not None and expiries and scan.expiry not in expiries:
            raise PickRefusedError("pick-matches-reservation", f"scan {n}: lot {scan.lot} of {scan.gtin} expires on"
                                   f" {expiries[0]}, the label says {scan.expiry}: not the reserved goods (or a"
                                   " mislabelled unit)", n, {"gtin": scan.gtin, "lot": scan.lot,
                                                             "expiry": expiries[0].isoformat()}, scanned)
        known = serials_of.get((scan.gtin, scan.lot))
        if known:
            if scan.serial is None or scan.quantity != 1:
                raise PickRefusedError("pick-serial-required", f"scan {n}: lot {scan.lot} is serialised: scan each unit"
                                       " with its serial number", n, {"gtin": scan.gtin, "lot": scan.lot, "serial": "one"},
                                       scanned)
            if scan.serial not in known:
                raise PickRefusedError("pick-matches-reservation", f"scan {n}: serial {scan.serial} is not a unit of"
                                       f" lot {scan.lot}", n, {"gtin": scan.gtin, "lot": scan.lot,
                                                                "serial": sorted(known - seen)}, scanned)
        if scan.serial is not None:
            if scan.serial in seen:
                raise PickRefusedError("pick-once", f"scan {n}: serial {scan.serial} was already picked", n,
                                       {"gtin": scan.gtin, "lot": scan.lot}, scanned)
            seen.add(scan.serial)
        line = next((r for r in for_item if r["lot"] == scan.lot and remaining[key(r)] >= scan.quantity), None)
        if line is None:
            left = sum(remaining[key(r)] for r in for_item if r["lot"] == scan.lot)
            raise PickRefusedError("pick-exceeds-reservation", f"scan {n}: {scan.quantity} more of lot {scan.lot}"
                                   f" exceeds the reservation ({left} left to pick)", n,
                                   {"gtin": scan.gtin, "lot": scan.lot, "quantity": left}, scanned)
        remaining[key(line)] -= scan.quantity
        lines.append({"line_no": line["line_no"], "gtin": scan.gtin, "lot": scan.lot, "warehouse": line["warehouse"],
                      "quantity": scan.quantity, "serials": [scan.serial] if scan.serial else None})
    return lines


def merged(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per reserved line and lot: quantities added, serials joined."""
    out: dict[tuple, dict[str, Any]] = {}
    for line in lines:
        k = (line["line_no"], line["lot"], line["warehouse"])
        if k not in out:
            out[k] = {**line, "serials": list(line["serials"]) if line.get("serials") else None}
        else:
            out[k]["quantity"] += line["quantity"]
            if line.get("serials"):
                out[k]["serials"] = (out[k]["serials"] or []) + list(line["serials"])
    return list(out.values())


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
