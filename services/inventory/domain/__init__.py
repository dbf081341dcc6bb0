from services.inventory.domain.fefo import InsufficientStockError
from services.inventory.domain.fulfilment import Fulfilment, FulfilmentStateError, fulfilment_id_for
from services.inventory.domain.stock import LotExpiredError, LotRuleError, StockItem, UnknownLotError, item_id_for
from services.inventory.domain.supplier import QualificationError, Supplier

__all__ = [
    "Fulfilment", "FulfilmentStateError", "InsufficientStockError", "LotExpiredError", "LotRuleError",
    "QualificationError", "StockItem", "Supplier", "UnknownLotError", "fulfilment_id_for", "item_id_for",
]
