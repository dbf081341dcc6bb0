"""Order commands: place an order; follow its fulfilment."""

from datetime import UTC, date, datetime
from uuid import UUID

from services.order.domain import SalesOrder
from services.order.domain.compliance import SaleFacts, check_sale
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
                    lines: list[dict], requested_delivery_date: date | None = None,
                    ship_to_distributor_id: UUID | None = None, *, facts: SaleFacts) -> tuple[SalesOrder, bool]:
        """Place the order once (a retry returns it) if the sale passes its checks (compliance.py)."""
        if self.exists(order_id):
            return self.repository.get(order_id), False
        check_sale(facts, hospital_id, ship_to_distributor_id, [line["gtin"] for line in lines],
                   requested_delivery_date or datetime.now(UTC).date(), self.settings.certificate_grace_until)
        return create_once(self, order_id, lambda: SalesOrder.place(
            order_id, hospital_id, customer_reference, currency, lines, requested_delivery_date, ship_to_distributor_id))

    def get_order(self, order_id: UUID) -> SalesOrder | None:
        return self.get_aggregate(order_id, SalesOrder)
