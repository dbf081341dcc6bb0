"""Orders as accepted, for tests whose subject is what follows an order (reservation, picking, batching): the
checks before acceptance are the subject of tests of their own (tests/unit/test_order_commands.py and the API)."""

from uuid import UUID, uuid4

from services.order.application import OrderApplication
from services.order.domain import SalesOrder


def accepted_order(app: OrderApplication, lines: list[dict], hospital_id: UUID | None = None, *,
                   order_id: UUID | None = None, **options) -> SalesOrder:  # noqa: ANN003
    """Record an accepted order (call inside acting_as): as services/order/application/placing.py records one."""
    order = SalesOrder.place(order_id or uuid4(), hospital_id or uuid4(), None, "CNY", lines, **options)
    app.save(order)
    return order
