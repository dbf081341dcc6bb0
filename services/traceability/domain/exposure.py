"""What a recall officer needs per consignee: who holds a lot, how many units, through which shipments."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class ShipmentExposure:
    shipment_id: UUID
    order_id: UUID
    quantity: int
    dispatched_at: datetime
    carrier: str
    tracking_number: str


@dataclass
class ConsigneeExposure:
    consignee_id: UUID
    kind: str
    name: str | None
    region: str | None
    shipments: list[ShipmentExposure] = field(default_factory=list)

    @property
    def quantity_shipped(self) -> int:
        return sum(s.quantity for s in self.shipments)


def group_by_consignee(rows: list[tuple[UUID, str, str | None, str | None, ShipmentExposure]]) -> list[ConsigneeExposure]:
    """Rows of (consignee id, kind, name, region, shipment) -> one exposure per consignee, most units first."""
    grouped: dict[UUID, ConsigneeExposure] = {}
    for consignee_id, kind, name, region, shipment in rows:
        exposure = grouped.setdefault(consignee_id, ConsigneeExposure(consignee_id, kind, name, region))
        exposure.shipments.append(shipment)
    return sorted(grouped.values(), key=lambda e: (-e.quantity_shipped, e.name or "", str(e.consignee_id)))
