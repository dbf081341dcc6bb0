"""Channel's application layer: the event store it writes to, the unit of work its commands read the item master
through, and one module of commands per capability (parties.py: hospitals and distributors, their contacts,
licences and authorizations; prices.py: price lists, pricing rules and pricing a line; diversion.py: diversion
alerts on sell-out; rebates.py: programmes, accruals and settlements)."""

from typing import Any, Protocol

from psycopg_pool import ConnectionPool

from shared.events import channel as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.read_models import ReadModels
from shared.platform.unit_of_work import UnitOfWork
from services.channel.domain import Distributor, Hospital
from services.channel.domain.diversion import DiversionAlert
from services.channel.domain.promotions import Promotion
from services.channel.domain.rebate_programmes import RebateAccount, RebateProgramme
from services.channel.queries import SqlItemMaster, SqlRebateBasis
from services.channel.domain.price_books import PriceList, PricingRuleBook
from services.channel.domain.territories import TerritoryRegister


class ChannelApplication(ServiceApplication):
    service = "channel"
    published = {
        Hospital.Registered: contracts.HospitalRegistered,
        Distributor.Registered: contracts.DistributorRegistered,
        Hospital.ContactChanged: contracts.HospitalContactChanged,
        Distributor.ContactChanged: contracts.DistributorContactChanged,
        Distributor.LicenceRecorded: contracts.DistributorLicenceRecorded,
        Hospital.LicenceRecorded: contracts.HospitalLicenceRecorded,
        Hospital.StatusChanged: contracts.HospitalStatusChanged,
        Hospital.AliasAdded: contracts.HospitalAliasAdded,
        Distributor.StatusChanged: contracts.DistributorStatusChanged,
        Distributor.Authorized: contracts.DistributorAuthorized,
        Distributor.AuthorizationRevoked: contracts.DistributorAuthorizationRevoked,
        Distributor.Placed: contracts.DistributorPlaced,
        Distributor.TargetSet: contracts.DistributorTargetSet,
        TerritoryRegister.Opened: contracts.TerritoryRegisterOpened,
        TerritoryRegister.Claimed: contracts.AuthorizedTerritoryClaimed,
        TerritoryRegister.Released: contracts.AuthorizedTerritoryReleased,
        PriceList.Created: contracts.PriceListCreated,
        PriceList.PriceSet: contracts.ListPriceSet,
        PricingRuleBook.Opened: contracts.PricingRuleBookOpened,
        PricingRuleBook.RuleSaved: contracts.PricingRuleSaved,
        PricingRuleBook.TenderPriceRecorded: contracts.TenderPriceRecorded,
        DiversionAlert.Raised: contracts.DiversionAlertRaised,
        DiversionAlert.Resolved: contracts.DiversionAlertResolved,
        RebateProgramme.Created: contracts.RebateProgrammeCreated,
        Promotion.Created: contracts.PromotionCreated,
        RebateAccount.Opened: contracts.RebateAccountOpened,
        RebateAccount.SettlementProposed: contracts.RebateSettlementProposed,
        RebateAccount.SettlementApproved: contracts.RebateSettlementApproved,
        RebateAccount.SettlementRejected: contracts.RebateSettlementRejected,
    }


class ItemMaster(Protocol):
    """Channel's copy of the item master (projections/items.py)."""

    def product_group(self, gtin: str) -> str | None: ...


class ChannelUnitOfWork(UnitOfWork):
    """A unit of work whose commands may ask the item master (`items`) and the rebate basis (`rebate_basis`). Without
    ports given, they are the SQL ones on `pool`; unit tests give their own."""

    app: ChannelApplication

    def __init__(self, app: ChannelApplication, pool: ConnectionPool | None = None, *, deferred: bool = False,
                 items: ItemMaster | None = None, rebate_basis: Any = None) -> None:
        super().__init__(app, deferred=deferred)
        read = ReadModels(pool, app.schema)
        self.items: ItemMaster = items or SqlItemMaster(read)
        self.rebate_basis = rebate_basis or SqlRebateBasis(read)  # application/rebates.py: RebateBasisPort
