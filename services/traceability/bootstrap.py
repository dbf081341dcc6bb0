"""The traceability service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.traceability.api import (
    adverse, channel_stock, history, lookup, notices, recalls, reports, scope, sellout,
)
from services.traceability.application import TraceabilityApplication, TraceabilityUnitOfWork
from services.traceability.projections.channel_stock import ChannelStockReports
from services.traceability.projections.history import LotHistory
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.projections.lots import LotCatalogue
from services.traceability.projections.notices import RecallNotices
from services.traceability.projections.recalls import RecallCases
from services.traceability.projections.terminals import TerminalMaster
from services.traceability.reactions import RecallReturns
from services.traceability.settings import TraceabilitySettings
from services.traceability.imports import IMPORTS
from shared.platform.imports_api import import_router
from shared.platform.service import ServiceDefinition

TRACEABILITY = ServiceDefinition(
    name="traceability",
    application=TraceabilityApplication,
    # The rules ask the read models (known lots and parties, the lineage, open recall scopes, a case's consignees):
    # the unit of work carries them as ports, on the same pool as the queries.
    unit_of_work=lambda app, pool, deferred: TraceabilityUnitOfWork(app, pool, deferred=deferred),
    projections=(ShipmentLineage, RecallCases, LotHistory, LotCatalogue, RecallNotices, TerminalMaster,
                 ChannelStockReports),
    process_managers=(RecallReturns,),
    # Fixed paths before the ones they would match as /recalls/{id}: the lookups, then the case routes.
    routers=(lookup.router, history.router, reports.router, recalls.router, scope.router, adverse.router,
             sellout.router, channel_stock.router, notices.router, import_router(IMPORTS)),
    imports=IMPORTS,
    default_port=8005,
    description="Lot and serial lineage from supplier to hospital; recall lookup, recall cases and adverse events.",
    settings=(TraceabilitySettings,),
)
