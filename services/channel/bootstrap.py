"""The channel service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.channel.api import prices
from services.channel.api.routes import router
from services.channel.application import ChannelApplication
from services.channel.projections.directory import ChannelDirectory, Qualifications
from services.channel.projections.prices import PriceLists
from shared.platform.service import ServiceDefinition
from shared.platform.unit_of_work import UnitOfWork

CHANNEL = ServiceDefinition(
    name="channel",
    application=ChannelApplication,
    # Channel's rules ask no read model: its unit of work is the plain one.
    unit_of_work=lambda app, pool, deferred: UnitOfWork(app, deferred=deferred),
    projections=(ChannelDirectory, PriceLists, Qualifications),
    process_managers=(),
    routers=(router, prices.router),
    default_port=8002,
    description="Hospitals, distributors, price lists and pricing rules: the rules of the channel.",
)
