from services.channel.domain.parties import Distributor, Hospital

__all__ = ["Distributor", "Hospital"]
