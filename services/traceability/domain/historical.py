"""Shipments from before go-live, imported from the company's records so that a recall finds who received the goods
(shared/platform/imports.py; application/historical_shipments.py). One aggregate per imported line, its id derived
from the file's SHA-256 and the row: the same file again finds it and records nothing."""

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import event

from services.traceability.domain.deadlines import not_in_future
from shared.domain.rules import InvalidReference
from shared.platform.aggregate import TracedAggregate


class HistoricalShipment(TracedAggregate):
    @event("Imported")
    def __init__(self, shipment_line_id: UUID, shipment_reference: str, hospital_id: UUID | None,
                 distributor_id: UUID | None, shipped_at: datetime, gtin: str, lot: str, expiry: date,
                 quantity: int, serials: list[str] | None, ship_from: str | None) -> None:
        self.shipment_reference = shipment_reference
        self.hospital_id = hospital_id
        self.distributor_id = distributor_id
        self.shipped_at = shipped_at
        self.gtin, self.lot, self.expiry, self.quantity = gtin, lot, expiry, quantity
        self.serials = serials
        self.ship_from = ship_from

    @staticmethod
    def create_id(shipment_line_id: UUID, **_: object) -> UUID:
        return shipment_line_id

    @classmethod
    def record(cls, shipment_line_id: UUID, *, now: datetime, **facts: object) -> "HistoricalShipment":
        """The rules a shipment from the past meets: it happened (not in the future), went to someone, and a serialised
        line names one serial per unit."""
        not_in_future("shipped_at", facts["shipped_at"], now)  # type: ignore[arg-type]
        if facts["hospital_id"] is None and facts["distributor_id"] is None:
            raise InvalidReference("hospital", "consignee-named", "name the hospital (or the distributor) shipped to")
        serials = facts.get("serials")
        if serials and len(serials) != facts["quantity"]:  # type: ignore[arg-type]
            raise InvalidReference("serials", "one-serial-per-unit",
                                   f"{len(serials)} serials for {facts['quantity']} units")  # type: ignore[arg-type]
        return cls(shipment_line_id=shipment_line_id, **facts)  # type: ignore[arg-type]
