from services.inventory.domain.fefo import InsufficientStockError
from services.inventory.domain.fulfilment import Fulfilment, FulfilmentStateError, fulfilment_id_for
from services.inventory.domain.stock import LotExpiredError, StockItem, item_id_for

__all__ = [
    "Fulfilment", "FulfilmentStateError", "InsufficientStockError", "LotExpiredError", "StockItem",
    "fulfilment_id_for", "item_id_for",
]
