"""Analytics writes nothing: it is read models only (projections of every service's topic). Its application exists
so that it is run, checked and operated like every other service (its event store stays empty: its relay has
nothing to publish), and its unit of work so that the shared request machinery has one to hand."""

from psycopg_pool import ConnectionPool

from shared.platform.eventstore import ServiceApplication
from shared.platform.unit_of_work import UnitOfWork


class AnalyticsApplication(ServiceApplication):
    service = "analytics"
    published: dict = {}


class AnalyticsUnitOfWork(UnitOfWork):
    app: AnalyticsApplication

    def __init__(self, app: AnalyticsApplication, pool: ConnectionPool | None, *, deferred: bool = False) -> None:
        super().__init__(app, deferred=deferred)
