"""Returns (RMA) against a shipment: reason codes, dispositions, never more back than went out (`check_return`, for
the fulfilment), and the returned goods coming back into the item's stock (`item.returns`)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services.inventory.domain.fefo import QUARANTINE
from services.inventory.domain.parts import ItemEvent, ItemPart, formerly
from shared.domain.rules import RuleViolation

REASONS = ("damaged", "expired", "wrong_item", "recall", "other")
DISPOSITIONS = ("restock", "quarantine", "scrap")


class ReturnRuleError(RuleViolation):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


def stock_status_for(disposition: str) -> str:
    """restock and quarantine bring the goods back into quarantine (restock: to be inspected and released)."""
    return "scrapped" if disposition == "scrap" else QUARANTINE


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


@dataclass
class Returns(ItemPart):
    """Returned goods of the item: into quarantine (restock, quarantine; never into released stock) or scrapped."""

    def receive(self, lot: str, expiry: date, warehouse: str, quantity: int, *, return_id: UUID, order_id: UUID,
                shipment_id: UUID, reason: str, disposition: str) -> None:
        status = stock_status_for(disposition)
        if status == QUARANTINE:
            self.item.check_quarantine_bucket(lot, warehouse, expiry, "return-into-quarantine")
        self.record(StockReturned, lot=lot, expiry=expiry, warehouse=warehouse, quantity=quantity, return_id=return_id,
                    order_id=order_id, shipment_id=shipment_id, reason=reason, disposition=disposition, status=status)


@formerly("services.inventory.domain.stock:StockItem.StockReturned")  # when returns were a method of the item
class StockReturned(ItemEvent):
    lot: str
    expiry: date
    warehouse: str
    quantity: int
    return_id: UUID
    order_id: UUID
    shipment_id: UUID
    reason: str
    disposition: str
    status: str

    def apply(self, item: Any) -> None:
        if self.status == QUARANTINE:
            item.add_quarantined(self.lot, self.warehouse, self.expiry, self.quantity)
