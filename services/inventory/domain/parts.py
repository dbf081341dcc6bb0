"""How a stock item is composed: the item (stock.py) holds its lots and is the unit of consistency — one history,
one version, so two commands on the same item still conflict — and parts hold the rest, each with its own state,
rules and events: master data (item_master.py), stock control (stock_control.py), recall stops (recall_stops.py),
returns (returns.py) and kits (kits.py).

A part records its events through its item, in the item's history; each event applies itself to the item (and so to
the part) when recorded and again on every replay. Parts are not base classes of the item: the item holds one of
each (`item.master`, `item.control`, ...), a dataclass of the part's own state.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventsourcing.utils import register_topic

from shared.platform.aggregate import TracedAggregate

if TYPE_CHECKING:
    from services.inventory.domain.stock import StockItem

E = TypeVar("E", bound=type)
P = TypeVar("P", bound="ItemPart")


class ItemEvent(TracedAggregate.Event):
    """An event of a part of a stock item; `gtin` names the item, as in every inventory contract."""

    gtin: str

    def apply(self, item: "StockItem") -> None:
        raise NotImplementedError  # each event says what it changes


class ItemPart:
    """A part of one stock item (each part is a dataclass of its state). It reads the item it belongs to (its lots)
    and records events in its history.

    The item is held in a slot, outside the part's fields: what a part is, compares and shows (to an auditor, say) is
    its own state, and the item refers to its parts without the reference going round in circles."""

    __slots__ = ("item", "__dict__")

    @classmethod
    def of(cls: type[P], item: "StockItem") -> P:
        part = cls()
        part.item = item
        return part

    def record(self, event_class: type[ItemEvent], **fields: Any) -> None:
        self.item.trigger_event(event_class, gtin=self.item.gtin, **fields)


def formerly(*topics: str) -> Callable[[E], E]:
    """The event class was stored under these topics before it moved here (when the item's parts were its base
    classes): those stored events load as this class. Stored events never change."""

    def register(event_class: E) -> E:
        for topic in topics:
            register_topic(topic, event_class)
        return event_class

    return register
