"""Shipments from before go-live (domain/historical.py): recorded once per imported line, to a hospital or
distributor registered in the channel, so that the lineage and the as-of lookup know who received the goods."""

from datetime import date, datetime
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.domain.historical import HistoricalShipment
from services.traceability.domain.master_data import registered_distributor, registered_hospital
from shared.domain.gtin import gs1_cset_82_problem
from shared.domain.rules import InvalidReference
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class RecordHistoricalShipment(Command):
    shipment_line_id: UUID
    shipment_reference: str
    hospital_id: UUID | None
    distributor_id: UUID | None
    shipped_at: datetime
    gtin: str
    lot: str
    expiry: date
    quantity: int
    serials: tuple[str, ...] | None = None
    ship_from: str | None = None


def record_historical_shipment(command: RecordHistoricalShipment,
                               uow: TraceabilityUnitOfWork) -> tuple[HistoricalShipment, bool]:
    """The shipment line, and whether this command recorded it (False: the same line was imported before)."""
    def recorded() -> HistoricalShipment:
        registered_hospital(command.hospital_id, uow.master_data)
        if command.distributor_id is not None:
            registered_distributor(command.distributor_id, uow.master_data)
        for field_name, value in (("lot", command.lot), *(("serials", s) for s in command.serials or ())):
            if (problem := gs1_cset_82_problem(value)) is not None:
                raise InvalidReference(field_name, "gs1-character-set", problem)
        return HistoricalShipment.record(
            command.shipment_line_id, now=uow.now(), shipment_reference=command.shipment_reference,
            hospital_id=command.hospital_id, distributor_id=command.distributor_id, shipped_at=command.shipped_at,
            gtin=command.gtin, lot=command.lot, expiry=command.expiry, quantity=command.quantity,
            serials=list(command.serials) if command.serials else None, ship_from=command.ship_from)

    return create_once(uow, command.shipment_line_id, HistoricalShipment, recorded)
