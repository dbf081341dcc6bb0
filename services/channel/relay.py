"""Entry point: publishes the channel event log to Kafka (`python -m services.channel.relay`)."""

from services.channel.application import ChannelApplication
from shared.platform.process import run_relay
from shared.platform.settings import get_settings

if __name__ == "__main__":
    run_relay(lambda: ChannelApplication(get_settings()))
