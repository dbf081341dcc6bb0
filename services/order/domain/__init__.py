from services.order.domain.sales_order import OrderStateError, SalesOrder

__all__ = ["OrderStateError", "SalesOrder"]
