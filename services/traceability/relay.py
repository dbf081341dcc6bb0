"""Entry point: publishes the traceability event log to Kafka (`python -m services.traceability.relay`)."""

from services.traceability.application import TraceabilityApplication
from shared.platform.process import run_relay
from shared.platform.settings import get_settings

if __name__ == "__main__":
    run_relay(lambda: TraceabilityApplication(get_settings()))
