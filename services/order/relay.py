"""Entry point: publishes the order event log to Kafka (`python -m services.order.relay`)."""

from services.order.application import OrderApplication
from shared.platform.process import run_relay
from shared.platform.settings import get_settings

if __name__ == "__main__":
    run_relay(lambda: OrderApplication(get_settings()))
