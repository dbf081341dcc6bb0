"""Order's application layer: the event store it writes to, the unit of work its rules read facts through, and one
module of commands per capability (placing.py: accept and price an order; holds.py: hold and release it;
amending.py, cancelling.py: change or cancel it before it ships;
fulfilment.py: follow what inventory did with it; quoting.py: quotes; contracting.py: contracts; credit.py: credit
limits and the exposure check; pricing.py: the rulebook's price of a line)."""

from psycopg_pool import ConnectionPool

from shared.events import order as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.read_models import ReadModels
from shared.platform.unit_of_work import UnitOfWork
from services.order.domain.price_facts import PriceFacts
from services.order.domain import SalesOrder
from services.order.domain.compliance import SaleFacts
from services.order.domain.contracts import Contract
from services.order.domain.promotions import PromotionBudget
from services.order.domain.credit import CreditFacts, CreditLimit
from services.order.domain.quotes import Quote
from services.order.queries import CreditFactsFromReadModels, PriceFactsFromReadModels, SaleFactsFromReadModels


class OrderApplication(ServiceApplication):
    service = "order"
    published = {
        SalesOrder.Placed: contracts.OrderPlaced,
        SalesOrder.Reserved: contracts.OrderReserved,
        SalesOrder.Backordered: contracts.OrderBackordered,
        SalesOrder.Shipped: contracts.OrderShipped,
        SalesOrder.PriceApproved: contracts.OrderPriceApproved,
        SalesOrder.PriceRejected: contracts.OrderPriceRejected,
        SalesOrder.Released: contracts.OrderReleased,
        SalesOrder.Held: contracts.OrderHeld,
        SalesOrder.CancellationRequested: contracts.OrderCancellationRequested,
        SalesOrder.AmendmentRequested: contracts.OrderAmendmentRequested,
        SalesOrder.Amended: contracts.OrderAmended,
        SalesOrder.AmendmentRefused: contracts.OrderAmendmentRefused,
        SalesOrder.Cancelled: contracts.OrderCancelled,
        SalesOrder.CancellationRefused: contracts.OrderCancellationRefused,
        SalesOrder.HoldReleased: contracts.OrderHoldReleased,
        SalesOrder.PlatformAcceptanceRecorded: contracts.PlatformAcceptanceRecorded,
        CreditLimit.Set: contracts.CreditLimitSet,
        CreditLimit.Changed: contracts.CreditLimitSet,
        Quote.Drafted: contracts.QuoteDrafted,
        Quote.Submitted: contracts.QuoteSubmitted,
        Quote.Approved: contracts.QuoteApproved,
        Quote.Rejected: contracts.QuoteRejected,
        Quote.Sent: contracts.QuoteSent,
        Quote.Accepted: contracts.QuoteAccepted,
        Contract.Drafted: contracts.ContractDrafted,
        Contract.Signed: contracts.ContractSigned,
        Contract.Amended: contracts.ContractAmended,
        Contract.Terminated: contracts.ContractTerminated,
        Contract.CalledOff: contracts.ContractCalledOff,
        Contract.CallOffReleased: contracts.ContractCallOffReleased,
        PromotionBudget.Opened: contracts.PromotionBudgetOpened,
        PromotionBudget.Spent: contracts.PromotionBudgetSpent,
    }


class OrderUnitOfWork(UnitOfWork):
    """A unit of work whose rules may ask what the order service knows of channel and inventory (`sale_facts`: its
    own copies, kept by projections/hospitals.py and projections/catalogue.py) and what it knows of prices
    (`price_facts`: projections/price_book.py, contract_list.py) and what customers owe (`credit_facts`:
    projections/credit_exposure.py). Without ports given, they are the SQL ones on
    `pool`, in the service's schema; unit tests give their own."""

    app: OrderApplication

    def __init__(self, app: OrderApplication, pool: ConnectionPool | None = None, *, deferred: bool = False,
                 sale_facts: SaleFacts | None = None, price_facts: PriceFacts | None = None,
                 credit_facts: CreditFacts | None = None) -> None:
        super().__init__(app, deferred=deferred)
        self.credit_facts: CreditFacts = credit_facts or CreditFactsFromReadModels(ReadModels(pool, app.schema))
        self.sale_facts: SaleFacts = sale_facts or SaleFactsFromReadModels(ReadModels(pool, app.schema))
        self.price_facts: PriceFacts = price_facts or PriceFactsFromReadModels(ReadModels(pool, app.schema))
