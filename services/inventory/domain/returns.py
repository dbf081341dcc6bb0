"""Returns (RMA) against a shipment: reason codes, dispositions, and never more back than went out. Pure."""

from collections import Counter
from typing import Any
from shared.domain.rules import RuleViolation

REASONS = ("damaged", "expired", "wrong_item", "recall", "other")
DISPOSITIONS = ("restock", "quarantine", "scrap")


class ReturnRuleError(RuleViolation):
    """A rule of this module refused the command (answered as a 409 problem naming `rule`)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


def stock_status_for(disposition: str) -> str:
    """restock and quarantine bring the goods back into quarantine (restock: to be inspected and released)."""
    return "scrapped" if disposition == "scrap" else "quarantine"


def check_return(shipment: dict[str, Any], earlier_returns: list[dict[str, Any]],
                 lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The returned lines with the shipped lot's expiry, or ReturnRuleError. Quantities per GTIN and lot cannot
    exceed what the shipment carried minus what earlier returns of it took back; serials must have been shipped
    and not returned yet."""
    shipped: Counter = Counter()
    expiry, shipped_serials = {}, set()
    for s in shipment["lines"]:
        shipped[(s["gtin"], s["lot"])] += s["quantity"]
        expiry[(s["gtin"], s["lot"])] = s["expiry"]
        shipped_serials.update(s.get("serials") or [])
    returned: Counter = Counter()
    returned_serials: set = set()
    for r in earlier_returns:
        for line in r["lines"]:
            returned[(line["gtin"], line["lot"])] += line["quantity"]
            returned_serials.update(line.get("serials") or [])
    now: Counter = Counter()
    out = []
    for n, line in enumerate(lines):
        key = (line["gtin"], line["lot"])
        if key not in shipped:
            raise ReturnRuleError("return-what-was-shipped", f"lines[{n}]: lot {line['lot']} of {line['gtin']} was"
                                  f" not in shipment {shipment['shipment_id']}")
        now[key] += line["quantity"]
        left = shipped[key] - returned[key]
        if now[key] > left:
            raise ReturnRuleError("return-at-most-shipped", f"lines[{n}]: {now[key]} of lot {line['lot']} returned,"
                                  f" but {shipped[key]} were shipped and {returned[key]} already returned ({left} left)")
        serials = line.get("serials") or []
        for serial in serials:
            if serial not in shipped_serials:
                raise ReturnRuleError("return-what-was-shipped", f"lines[{n}]: serial {serial} was not shipped")
            if serial in returned_serials:
                raise ReturnRuleError("return-at-most-shipped", f"lines[{n}]: serial {serial} was already returned")
            returned_serials.add(serial)
        out.append({"gtin": line["gtin"], "lot": line["lot"], "expiry": expiry[key], "quantity": line["quantity"],
                    "serials": list(serials) or None})
    return out
