"""Channel's application layer: the event store it writes to, and one module of commands per capability
(parties.py: hospitals and distributors, their contacts and licences)."""

from shared.events import channel as contracts
from shared.platform.eventstore import ServiceApplication
from services.channel.domain import Distributor, Hospital


class ChannelApplication(ServiceApplication):
    service = "channel"
    published = {
        Hospital.Registered: contracts.HospitalRegistered,
        Distributor.Registered: contracts.DistributorRegistered,
        Hospital.ContactChanged: contracts.HospitalContactChanged,
        Distributor.ContactChanged: contracts.DistributorContactChanged,
        Distributor.LicenceRecorded: contracts.DistributorLicenceRecorded,
    }
