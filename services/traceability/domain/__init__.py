from services.traceability.domain.exposure import ConsigneeExposure, ShipmentExposure

__all__ = ["ConsigneeExposure", "ShipmentExposure"]
