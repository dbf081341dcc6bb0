"""Inventory's domain: pure rules and aggregates, no I/O. A stock item (stock.py) is composed of parts (parts.py);
fulfilments (fulfilment.py, picking.py, returns.py) follow orders; suppliers (supplier.py) and messages from warehouse
systems (external.py) are aggregates of their own."""

from services.inventory.domain.fefo import InsufficientStockError
from services.inventory.domain.fulfilment import Fulfilment, FulfilmentStateError, fulfilment_id_for
from services.inventory.domain.stock import LotExpiredError, LotRuleError, StockItem, UnknownLotError, item_id_for
from services.inventory.domain.supplier import QualificationError, Supplier

__all__ = [
    "Fulfilment", "FulfilmentStateError", "InsufficientStockError", "LotExpiredError", "LotRuleError",
    "QualificationError", "StockItem", "Supplier", "UnknownLotError", "fulfilment_id_for", "item_id_for",
]
