"""Entry point: the channel API (`python -m services.channel.web`)."""

from services.channel.api.routes import router
from services.channel.application import ChannelApplication
from services.channel.worker import PROJECTIONS
from shared.platform.api import create_service_app, serve

app = create_service_app("channel", [router], ChannelApplication, read_models=PROJECTIONS,
                         description="Hospitals, distributors and the rules of the channel.")

if __name__ == "__main__":
    serve(app, "channel")
