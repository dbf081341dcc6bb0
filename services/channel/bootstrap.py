"""The channel service's composition root: what it is made of, described once (see shared/platform/service.py)."""

from services.channel.api import diversion, prices, promotions, rebates, scorecards
from services.channel.api.routes import router
from services.channel.imports import IMPORTS, SCOPE_CHECKS
from services.channel.application import ChannelApplication, ChannelUnitOfWork
from services.channel.projections.directory import ChannelDirectory, DiversionAlerts, Qualifications
from services.channel.projections.items import ChannelItems
from services.channel.projections.prices import PriceLists
from services.channel.projections.rebate_basis import RebateBasis
from services.channel.projections.rebates import PromotionList, RebateLists
from services.channel.reactions import DiversionWatch
from shared.platform.imports_api import import_router
from shared.platform.service import ServiceDefinition

CHANNEL = ServiceDefinition(
    name="channel",
    application=ChannelApplication,
    # Diversion checks and rebates ask the item master (product groups): a read model in channel's schema.
    unit_of_work=lambda app, pool, deferred: ChannelUnitOfWork(app, pool, deferred=deferred),
    projections=(ChannelDirectory, PriceLists, Qualifications, ChannelItems, DiversionAlerts, RebateBasis, RebateLists,
                 PromotionList),
    process_managers=(DiversionWatch,),
    routers=(router, prices.router, diversion.router, rebates.router, scorecards.router, promotions.router,
             import_router(IMPORTS, SCOPE_CHECKS)),
    imports=IMPORTS,
    default_port=8002,
    description="Hospitals, distributors, price lists and pricing rules: the rules of the channel.",
)
