"""Entry point: the traceability API (`python -m services.traceability.web`)."""

from services.traceability.api import adverse, history, recalls, reports, scope, sellout
from services.traceability.api.routes import router
from services.traceability.application import TraceabilityApplication
from services.traceability.worker import PROJECTIONS
from shared.platform.api import create_service_app, serve

# Fixed paths before /recalls/{id}.
ROUTERS = [router, history.router, reports.router, recalls.router, scope.router, adverse.router, sellout.router]
app = create_service_app("traceability", ROUTERS, TraceabilityApplication, read_models=PROJECTIONS,
                         description="Lot and serial lineage from supplier to hospital; recall lookup, recall cases and"
                                     " adverse events.")

if __name__ == "__main__":
    serve(app, "traceability")
