"""Entry point: publishes the inventory event log to Kafka (`python -m services.inventory.relay`)."""

from services.inventory.application import InventoryApplication
from shared.platform.process import run_relay
from shared.platform.settings import get_settings

if __name__ == "__main__":
    run_relay(lambda: InventoryApplication(get_settings()))
