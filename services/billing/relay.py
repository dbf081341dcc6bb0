"""Entry point: publishes the billing event log to Kafka (`python -m services.billing.relay`)."""

from services.billing.application import BillingApplication
from shared.platform.process import run_relay
from shared.platform.settings import get_settings

if __name__ == "__main__":
    run_relay(lambda: BillingApplication(get_settings()))
