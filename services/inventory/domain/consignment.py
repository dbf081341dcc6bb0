"""Consignment (寄售) and surgical loaner sets (跟台): goods shipped to a hospital or a distributor that stay the
manufacturer's until they are used. One location per consignee (standing consignment stock, replenished by
consignment orders) and one per loaner order (the set sent for an operation). A usage report — the UDI scans of the
units used — takes them out of the location (and becomes a sales order, invoiced); a return brings back the rest.
Pure: no I/O."""

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate

ORDER_TYPES = ("standard", "consignment", "loaner")
CONSIGNED = ("consignment", "loaner")  # shipped without an invoice: the manufacturer's until used


def consignment_location_id(order_type: str, consignee_id: UUID, order_id: UUID) -> UUID:
    """A consignee's standing stock is one location; each loaner set is its own."""
    key = f"erp:loaner:{order_id}" if order_type == "loaner" else f"erp:consignment:{consignee_id}"
    return uuid5(NAMESPACE_URL, key)


class ConsignmentRuleError(RuleViolation):
    def __init__(self, rule: str, message: str, field: str | None = None) -> None:
        super().__init__(rule, message, field)


class ConsignmentLocation(TracedAggregate):
    """What of the manufacturer's goods is at a consignee: per GTIN and lot, the quantity, expiry, serials and the
    order that placed it (whose prices a usage is invoiced at)."""

    @event("Opened")
    def __init__(self, kind: str, consignee_id: UUID, hospital_id: UUID, loaner_order_id: UUID | None = None) -> None:
        self.kind, self.consignee_id, self.hospital_id = kind, consignee_id, hospital_id
        self.loaner_order_id = loaner_order_id
        self.lots: dict[str, dict[str, Any]] = {}  # "gtin|lot" -> {gtin, lot, expiry, quantity, serials, order_id}
        self.usages: list[str] = []  # usage report ids, so that a retry records nothing

    @staticmethod
    def create_id(kind: str, consignee_id: UUID, hospital_id: UUID, loaner_order_id: UUID | None = None) -> UUID:
        return consignment_location_id(kind, consignee_id, loaner_order_id or consignee_id)

    @property
    def units(self) -> int:
        return sum(lot["quantity"] for lot in self.lots.values())

    def place(self, order_id: UUID, shipment_id: UUID, lines: list[dict[str, Any]]) -> None:
        """A consignment shipment arrived at the location (recorded as it is dispatched)."""
        self._placed(order_id=order_id, shipment_id=shipment_id, lines=lines)

    @event("Placed")
    def _placed(self, order_id: UUID, shipment_id: UUID, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            lot = self.lots.setdefault(f"{line['gtin']}|{line['lot']}", {
                "gtin": line["gtin"], "lot": line["lot"], "expiry": line["expiry"], "quantity": 0, "serials": [],
                "order_id": order_id})
            lot["quantity"] += line["quantity"]
            lot["serials"] = sorted({*lot["serials"], *(line.get("serials") or [])})
            lot["order_id"] = order_id  # the latest replenishment's prices apply

    def take(self, lines: list[dict[str, Any]], field: str = "scans") -> list[dict[str, Any]]:
        """The units as taken out of the location (with expiry and the order that placed them), or
        ConsignmentRuleError naming the first that is not there: a unit used or returned must be at the location."""
        wanted: dict[str, dict[str, Any]] = {}
        for line in lines:
            entry = wanted.setdefault(f"{line['gtin']}|{line['lot']}", {"gtin": line["gtin"], "lot": line["lot"],
                                                                        "quantity": 0, "serials": []})
            entry["quantity"] += line["quantity"]
            entry["serials"] += list(line.get("serials") or [])
        taken = []
        for key, entry in wanted.items():
            here = self.lots.get(key)
            if here is None or here["quantity"] < entry["quantity"]:
                raise ConsignmentRuleError("consigned-units-present", f"{entry['gtin']} lot {entry['lot']}:"
                                           f" {entry['quantity']} unit(s) asked, {0 if here is None else here['quantity']}"
                                           " at this consignment location", field)
            # Serials are checked where the shipment named them (picked by scan); a lot shipped without them is not.
            missing = sorted(set(entry["serials"]) - set(here["serials"])) if here["serials"] else []
            if missing:
                raise ConsignmentRuleError("consigned-units-present", f"{entry['gtin']} serial {', '.join(missing)} is"
                                           " not at this consignment location", field)
            taken.append({**entry, "expiry": here["expiry"], "order_id": here["order_id"],
                          "serials": sorted(set(entry["serials"])) or None})
        return taken

    def use(self, usage_id: UUID, lines: list[dict[str, Any]], used_on: date, reference: str) -> list[dict[str, Any]]:
        """A usage report: the units used (e.g. implanted in an operation, `reference`) leave the location. Returns
        the lines used; an empty list when this report was recorded already (a retry)."""
        if str(usage_id) in self.usages:
            return []
        taken = self.take(lines)
        self._used(usage_id=usage_id, consignee_id=self.consignee_id, hospital_id=self.hospital_id, lines=taken,
                   used_on=used_on, reference=reference, loaner_order_id=self.loaner_order_id)
        return taken

    @event("Used")
    def _used(self, usage_id: UUID, consignee_id: UUID, hospital_id: UUID, lines: list[dict[str, Any]], used_on: date,
              reference: str, loaner_order_id: UUID | None) -> None:
        self.usages.append(str(usage_id))
        self._remove(lines)

    def take_back(self, return_id: UUID, lines: list[dict[str, Any]]) -> None:
        """Units returned from the location (the rest of a loaner set, consignment stock withdrawn)."""
        self._returned(return_id=return_id, lines=self.take(lines, "lines"))

    @event("Returned")
    def _returned(self, return_id: UUID, lines: list[dict[str, Any]]) -> None:
        self._remove(lines)

    def _remove(self, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            key = f"{line['gtin']}|{line['lot']}"
            here = self.lots[key]
            here["quantity"] -= line["quantity"]
            here["serials"] = sorted(set(here["serials"]) - set(line.get("serials") or []))
            if here["quantity"] == 0:
                del self.lots[key]
