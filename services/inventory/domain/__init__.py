from services.inventory.domain.fefo import InsufficientStockError
from services.inventory.domain.fulfilment import Fulfilment, FulfilmentStateError, fulfilment_id_for
from shared.domain.gtin import InvalidGTINError, normalize_gtin
from services.inventory.domain.stock import StockItem, item_id_for

__all__ = [
    "Fulfilment", "FulfilmentStateError", "InsufficientStockError", "InvalidGTINError", "StockItem",
    "fulfilment_id_for", "item_id_for", "normalize_gtin",
]
