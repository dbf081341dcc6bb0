"""Recall stops of an item (`item.recalls`): the lots and serialised units open recalls stop, apart from any hold.

Traceability opens a recall; the RecallHolds process manager stops its lots and units here. A stopped lot is also
held (LotHeld with the recall's id), and nobody can release that hold while a recall stops the lot. The stop lifts
when the recall closes or an approved decision takes the goods out of its scope; a lot then stays held until
quality releases it. The stop is checked on its own at every step that moves stock (reservation, picking,
dispatch, moves, adjustments), so stock never leaves while a recall is open even if its hold were somehow gone.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from services.inventory.domain.parts import ItemEvent, ItemPart, formerly
from shared.domain.rules import RuleViolation

_FORMERLY = "services.inventory.domain.stock:StockItem."  # when recall stops were methods of the item itself


@dataclass
class RecallStops(ItemPart):
    lots: dict[str, list[str]] = field(default_factory=dict)     # lot number -> the open recalls that stop it
    serials: dict[str, list[str]] = field(default_factory=dict)  # serial number -> the open recalls that stop it

    def stop(self, recall_id: str, lots: list[str], serials: list[str], reason: str) -> bool:
        """Stop the recall's lots (held, in every warehouse, also stock that arrives later) and units; what this
        recall already stops is left as it is, so a redelivered recall changes nothing. Returns whether it changed."""
        new_lots = [lot for lot in dict.fromkeys(lots) if recall_id not in self.lots.get(lot, ())]
        new_serials = [s for s in dict.fromkeys(serials) if recall_id not in self.serials.get(s, ())]
        for lot in new_lots:
            self.item.hold_for_recall(lot, recall_id, reason)
        if new_serials:
            self.record(SerialsRecalled, recall_id=recall_id, serials=new_serials, reason=reason)
        return bool(new_lots or new_serials)

    def lift(self, recall_id: str, lots: list[str], serials: list[str], cause: str, reason: str) -> bool:
        """The recall no longer stops these lots and units (closed, or out of its scope). A lot stays held until
        quality releases it. Returns whether this recall stopped any of them."""
        lifted_lots = [lot for lot in dict.fromkeys(lots) if recall_id in self.lots.get(lot, ())]
        lifted_serials = [s for s in dict.fromkeys(serials) if recall_id in self.serials.get(s, ())]
        if not (lifted_lots or lifted_serials):
            return False
        self.record(RecallStopLifted, recall_id=recall_id, lots=lifted_lots, serials=lifted_serials, cause=cause,
                    reason=reason)
        return True

    def check_not_recalled(self, lots: list[str], serials: list[str] = (), action: str = "shipped") -> None:
        """Refuse (recalled-stock-not-<action>) when a recall stops one of these lots or units, whatever their hold
        says."""
        stopped = sorted({lot for lot in lots if lot in self.lots})
        units = sorted({s for s in serials if s in self.serials})
        if stopped or units:
            what = ", ".join([f"lot {lot}" for lot in stopped] + [f"serial {s}" for s in units])
            recalls = sorted({r for k in stopped for r in self.lots[k]} | {r for k in units for r in self.serials[k]})
            raise RuleViolation(f"recalled-stock-not-{action.replace(' ', '-')}",
                                f"{what} of {self.item.gtin} is under open recall {', '.join(recalls)}: recalled stock"
                                f" is not {action} while the recall is open")

    def withheld_units(self) -> dict[str, int]:
        """Per lot, its serialised units under recall: never allocated (FEFO takes the lot's other units)."""
        withheld = {lot: sum(1 for s in serials if s in self.serials) for lot, serials in self.item.serials.items()}
        return {lot: count for lot, count in withheld.items() if count}

    def stopped_by(self, lot: str, recall_id: str) -> None:
        """What the item's LotHeld records for a recall (it holds the lot in every warehouse)."""
        self.lots[lot] = sorted({*self.lots.get(lot, ()), recall_id})


@formerly(_FORMERLY + "SerialsRecalled")
class SerialsRecalled(ItemEvent):
    recall_id: str
    serials: list[str]
    reason: str

    def apply(self, item: Any) -> None:
        stops = item.recalls.serials
        for serial in self.serials:
            stops[serial] = sorted({*stops.get(serial, ()), self.recall_id})


@formerly(_FORMERLY + "RecallStopLifted")
class RecallStopLifted(ItemEvent):
    recall_id: str
    lots: list[str]
    serials: list[str]
    cause: str
    reason: str

    def apply(self, item: Any) -> None:
        recalls = item.recalls
        recalls.lots = _without(recalls.lots, self.lots, self.recall_id)
        recalls.serials = _without(recalls.serials, self.serials, self.recall_id)
        for lot in self.lots:
            for s in item.lots_numbered(lot):
                item.lots[(s.lot, s.warehouse)] = replace(s, recalled=lot in recalls.lots)


def _without(stops: dict[str, list[str]], keys: list[str], recall_id: str) -> dict[str, list[str]]:
    left = {k: [r for r in v if r != recall_id] if k in keys else v for k, v in stops.items()}
    return {k: v for k, v in left.items() if v}
