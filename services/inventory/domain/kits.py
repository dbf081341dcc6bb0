"""Kits and re-packing (`item.kits`): component lots (available stock) consumed into a new lot of a kit item, which
expires with its earliest component and starts in quarantine. Each assembly is remembered, so a retried one (the
same Idempotency-Key) assembles nothing twice."""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from uuid import UUID

from services.inventory.domain.fefo import QUARANTINE
from services.inventory.domain.parts import ItemEvent, ItemPart, formerly
from shared.domain.rules import RuleViolation

_FORMERLY = "services.inventory.domain.stock:StockItem."  # when kits were methods of the item itself


class KitRuleError(RuleViolation):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(rule, message)


def kit_expiry(components: list[dict[str, Any]], given: date | None) -> date:
    """The earliest component expiry, unless an earlier one is given; a later one is refused."""
    earliest = min(c["expiry"] for c in components)
    if given is None:
        return earliest
    if given > earliest:
        raise KitRuleError("kit-expiry-not-after-components",
                           f"the kit cannot expire on {given}: a component expires on {earliest}")
    return given


@dataclass
class Kits(ItemPart):
    assemblies: dict[str, dict[str, Any]] = field(default_factory=dict)  # assembly id -> the kit lot it made

    def consume_components(self, assembly_id: UUID, kit_gtin: str, kit_lot: str, takes: list[dict[str, Any]],
                           today: date) -> list[dict[str, Any]]:
        """Take available (released, not held, not expired, not allocated) stock of this item's lots for a kit."""
        consumed: list[dict[str, Any]] = []
        for take in takes:
            lot, warehouse = take["lot"], take["warehouse"]
            stock = self.item.lot_in(lot, warehouse)
            where = f"lot {lot} of {self.item.gtin} in {warehouse}"
            if not stock.reservable or stock.expiry <= today:
                raise KitRuleError("kit-from-available-stock", f"{where} is"
                                   f" {'expired' if stock.expiry <= today else stock.status}: only available stock"
                                   " goes into a kit")
            already = sum(c["quantity"] for c in consumed if (c["lot"], c["warehouse"]) == (lot, warehouse))
            if stock.available < already + take["quantity"]:
                raise KitRuleError("kit-from-available-stock", f"{where} has {stock.available} available,"
                                   f" {already + take['quantity']} needed")
            consumed.append({"lot": lot, "expiry": stock.expiry, "warehouse": warehouse, "quantity": take["quantity"]})
        self.record(ComponentsConsumed, assembly_id=assembly_id, kit_gtin=kit_gtin, kit_lot=kit_lot, consumed=consumed)
        return consumed

    def assemble(self, assembly_id: UUID, lot: str, quantity: int, warehouse: str, components: list[dict[str, Any]],
                 expiry: date | None) -> date:
        """A new kit lot into quarantine; its expiry is the earliest component's unless an earlier one is given."""
        if any(c["gtin"] == self.item.gtin for c in components):
            raise KitRuleError("kit-not-its-own-component", f"{self.item.gtin} cannot be a component of itself")
        expiry = kit_expiry(components, expiry)
        self.item.check_quarantine_bucket(lot, warehouse, expiry, "lot-already-inspected")
        self.record(KitAssembled, assembly_id=assembly_id, lot=lot, expiry=expiry, quantity=quantity,
                    warehouse=warehouse, components=components, status=QUARANTINE)
        return expiry


@formerly(_FORMERLY + "ComponentsConsumed")
class ComponentsConsumed(ItemEvent):
    assembly_id: UUID
    kit_gtin: str
    kit_lot: str
    consumed: list[dict[str, Any]]

    def apply(self, item: Any) -> None:
        for c in self.consumed:
            lot = item.lots[(c["lot"], c["warehouse"])]
            item.lots[(c["lot"], c["warehouse"])] = replace(lot, on_hand=lot.on_hand - c["quantity"])


@formerly(_FORMERLY + "KitAssembled")
class KitAssembled(ItemEvent):
    assembly_id: UUID
    lot: str
    expiry: date
    quantity: int
    warehouse: str
    components: list[dict[str, Any]]
    status: str

    def apply(self, item: Any) -> None:
        item.add_quarantined(self.lot, self.warehouse, self.expiry, self.quantity)
        item.kits.assemblies[str(self.assembly_id)] = {"lot": self.lot, "expiry": self.expiry, "quantity": self.quantity,
                                                       "warehouse": self.warehouse, "components": self.components}
