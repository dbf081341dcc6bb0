"""The traceability service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.traceability.api import adverse, history, recalls, reports, scope, sellout
from services.traceability.api.routes import router
from services.traceability.application import TraceabilityApplication
from services.traceability.projections.history import LotHistory
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.projections.lots import LotCatalogue
from services.traceability.projections.recalls import RecallCases
from services.traceability.reactions import RecallReturns
from shared.platform.service import ServiceDefinition
from shared.platform.unit_of_work import UnitOfWork

TRACEABILITY = ServiceDefinition(
    name="traceability",
    application=TraceabilityApplication,
    unit_of_work=lambda app, pool, deferred: UnitOfWork(app, deferred=deferred),
    projections=(ShipmentLineage, RecallCases, LotHistory, LotCatalogue),
    process_managers=(RecallReturns,),
    # Fixed paths before /recalls/{id}.
    routers=(router, history.router, reports.router, recalls.router, scope.router, adverse.router, sellout.router),
    default_port=8005,
    description="Lot and serial lineage from supplier to hospital; recall lookup, recall cases and adverse events.",
)
