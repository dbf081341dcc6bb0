"""Channel's application layer: the event store it writes to, and one module of commands per capability
(parties.py: hospitals and distributors, their contacts and licences; prices.py: price lists, pricing rules and
pricing a line)."""

from shared.events import channel as contracts
from shared.platform.eventstore import ServiceApplication
from services.channel.domain import Distributor, Hospital
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
        TerritoryRegister.Opened: contracts.TerritoryRegisterOpened,
        TerritoryRegister.Claimed: contracts.AuthorizedTerritoryClaimed,
        TerritoryRegister.Released: contracts.AuthorizedTerritoryReleased,
        PriceList.Created: contracts.PriceListCreated,
        PriceList.PriceSet: contracts.ListPriceSet,
        PricingRuleBook.Opened: contracts.PricingRuleBookOpened,
        PricingRuleBook.RuleSaved: contracts.PricingRuleSaved,
        PricingRuleBook.TenderPriceRecorded: contracts.TenderPriceRecorded,
    }
