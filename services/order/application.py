"""Order commands: place an order; follow its fulfilment."""

from decimal import Decimal
from uuid import UUID

from services.order.domain import SalesOrder
from shared.events import order as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.idempotency import create_once


class OrderApplication(ServiceApplication):
    service = "order"
    published = {
        SalesOrder.Placed: contracts.OrderPlaced,
        SalesOrder.Reserved: contracts.OrderReserved,
        SalesOrder.Backordered: contracts.OrderBackordered,
        SalesOrder.Shipped: contracts.OrderShipped,
    }

    def place_order(self, order_id: UUID, hospital_id: UUID, customer_reference: str | None, currency: str,
                    lines: list[dict]) -> tuple[SalesOrder, bool]:
        numbered = [
            {"line_no": n, "gtin": line["gtin"], "quantity": line["quantity"], "unit_price": Decimal(line["unit_price"])}
            for n, line in enumerate(lines, start=1)
        ]
        return create_once(self, order_id, lambda: SalesOrder(
            order_id=order_id, hospital_id=hospital_id, customer_reference=customer_reference, currency=currency,
            lines=numbered,
        ))

    def get_order(self, order_id: UUID) -> SalesOrder | None:
        return self.get_aggregate(order_id, SalesOrder)
