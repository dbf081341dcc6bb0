"""Order's application layer: the event store it writes to, the unit of work its rules read facts through, and one
module of commands per capability (placing.py: accept an order; fulfilment.py: follow what inventory did with it)."""

from psycopg_pool import ConnectionPool

from shared.events import order as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.read_models import ReadModels
from shared.platform.unit_of_work import UnitOfWork
from services.order.domain import SalesOrder
from services.order.domain.compliance import SaleFacts
from services.order.queries import SaleFactsFromReadModels


class OrderApplication(ServiceApplication):
    service = "order"
    published = {
        SalesOrder.Placed: contracts.OrderPlaced,
        SalesOrder.Reserved: contracts.OrderReserved,
        SalesOrder.Backordered: contracts.OrderBackordered,
        SalesOrder.Shipped: contracts.OrderShipped,
    }


class OrderUnitOfWork(UnitOfWork):
    """A unit of work whose rules may ask what the order service knows of channel and inventory (`sale_facts`: its
    own copies, kept by projections/hospitals.py and projections/catalogue.py). Without a port given, it is the SQL
    one on `pool`, in the service's schema; unit tests give their own."""

    app: OrderApplication

    def __init__(self, app: OrderApplication, pool: ConnectionPool | None = None, *, deferred: bool = False,
                 sale_facts: SaleFacts | None = None) -> None:
        super().__init__(app, deferred=deferred)
        self.sale_facts: SaleFacts = sale_facts or SaleFactsFromReadModels(ReadModels(pool, app.schema))
