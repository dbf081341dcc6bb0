"""How a stock item is composed: the item (stock.py) holds its lots and is the unit of consistency — one history,
one version, so two commands on the same item still conflict — and parts hold the rest, each with its own state,
rules and events: master data (item_master.py), stock control (stock_control.py), recall stops (recall_stops.py),
returns (returns.py) and kits (kits.py).

A part records its events through its item, in the item's history; each event applies itself to the item (and so to
the part) when recorded and again on every replay. Parts are plain objects, not base classes of the item: the item
holds one of each (`item.master`, `item.control`, ...).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from eventsourcing.utils import register_topic

from shared.platform.aggregate import TracedAggregate

if TYPE_CHECKING:
    from services.inventory.domain.stock import StockItem

E = TypeVar("E", bound=type)


class ItemEvent(TracedAggregate.Event):
    """An event of a part of a stock item; `gtin` names the item, as in every inventory contract."""

    gtin: str

    def apply(self, item: "StockItem") -> None:
        raise NotImplementedError  # each event says what it changes


class ItemPart:
    """A part of one stock item. It reads the item it belongs to (its lots) and records events in its history."""

    def __init__(self, item: "StockItem") -> None:
        self.item = item

    def record(self, event_class: type[ItemEvent], **fields: Any) -> None:
        self.item.trigger_event(event_class, gtin=self.item.gtin, **fields)

    def state(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "item"}

    # The item compares and prints its parts; a part's own state is what counts (the item refers back to it).
    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.state() == other.state()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.state()!r})"


def formerly(*topics: str) -> Callable[[E], E]:
    """The event class was stored under these topics before it moved here (when the item's parts were its base
    classes): those stored events load as this class. Stored events never change."""

    def register(event_class: E) -> E:
        for topic in topics:
            register_topic(topic, event_class)
        return event_class

    return register
