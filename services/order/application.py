"""Order commands: place an order; follow its fulfilment."""

from datetime import date
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
                    lines: list[dict], requested_delivery_date: date | None = None,
                    ship_to_distributor_id: UUID | None = None) -> tuple[SalesOrder, bool]:
        numbered = []
        for n, line in enumerate(lines, start=1):
            numbered.append({"line_no": n, "gtin": line["gtin"], "quantity": line["quantity"],
                             "unit_price": Decimal(line["unit_price"])})
            if line.get("min_remaining_shelf_life_days") is not None:
                numbered[-1]["min_remaining_shelf_life_days"] = line["min_remaining_shelf_life_days"]
        optional = {"requested_delivery_date": requested_delivery_date} if requested_delivery_date else {}
        if ship_to_distributor_id is not None:
            optional["ship_to_distributor_id"] = ship_to_distributor_id
        return create_once(self, order_id, lambda: SalesOrder(
            order_id=order_id, hospital_id=hospital_id, customer_reference=customer_reference, currency=currency,
            lines=numbered, **optional,
        ))

    def get_order(self, order_id: UUID) -> SalesOrder | None:
        return self.get_aggregate(order_id, SalesOrder)
