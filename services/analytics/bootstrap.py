"""The analytics service's composition root: read models only, fed from every service's topic (no batch ETL), served
with the same conventions as the others (see shared/platform/service.py)."""

from services.analytics.api import promotions, recalls, returns, sales, stock
from services.analytics.application import AnalyticsApplication, AnalyticsUnitOfWork
from services.analytics.projections.promotions import Promotions
from services.analytics.projections.recalls import RecallStatus
from services.analytics.projections.returns import Returns
from services.analytics.projections.sales import Sales
from services.analytics.projections.stock import Stock
from shared.platform.service import ServiceDefinition

ANALYTICS = ServiceDefinition(
    name="analytics",
    application=AnalyticsApplication,
    unit_of_work=lambda app, pool, deferred: AnalyticsUnitOfWork(app, pool, deferred=deferred),
    projections=(Sales, Returns, Stock, RecallStatus, Promotions),
    process_managers=(),
    routers=(sales.router, returns.router, stock.router, recalls.router, promotions.router),
    default_port=8006,
    description="Figures for dashboards, from projections of every service's events: sales by region, channel,"
                " distributor, hospital grade, product and month; return reasons; inventory health; promotions'"
                " effect; recall and adverse-event status; each drillable to its lines.",
)
