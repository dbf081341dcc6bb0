"""Entry point: the traceability API (`python -m services.traceability.web`)."""

from services.traceability.api.routes import router
from services.traceability.application import TraceabilityApplication
from services.traceability.worker import PROJECTIONS
from shared.platform.api import create_service_app, serve

app = create_service_app("traceability", [router], TraceabilityApplication, read_models=PROJECTIONS,
                         description="Lot and serial lineage from supplier to hospital; recall lookup.")

if __name__ == "__main__":
    serve(app, "traceability")
