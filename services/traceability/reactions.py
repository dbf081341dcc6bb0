"""Process manager: units of a recalled lot coming back (an inventory return) count towards that recall.

The reaction turns inventory's ShipmentReturned into the command `CountReturnedUnits` and runs the same handler an
API would (application/recall_cases.py); which recalls are open, and whom the shipment went to, it asks the unit of
work's ports.
"""

from collections.abc import Callable

from psycopg_pool import ConnectionPool

from services.traceability.application import TraceabilityApplication, TraceabilityUnitOfWork
from services.traceability.application.recall_cases import CountReturnedUnits, ReturnedLine, count_returned_units
from shared.events import CloudEvent, EventPayload
from shared.events.inventory import ShipmentReturned
from shared.platform.consumer import ProcessManager


class RecallReturns(ProcessManager):
    name = "traceability-recall-returns"
    subscribes_to = ("inventory",)

    def __init__(self, app: TraceabilityApplication, pool: ConnectionPool | None,
                 unit_of_work: Callable[[bool], TraceabilityUnitOfWork] | None = None) -> None:
        # Traceability's unit of work (with its ports on `pool`) also when a test builds the manager directly.
        super().__init__(app, pool, unit_of_work or (
            lambda deferred: TraceabilityUnitOfWork(app, pool, deferred=deferred)))

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: TraceabilityUnitOfWork) -> None:
        if isinstance(payload, ShipmentReturned):
            count_returned_units(CountReturnedUnits(
                return_id=payload.return_id, shipment_id=payload.shipment_id,
                ship_to_hospital_id=payload.ship_to_hospital_id, returned_at=envelope.time,
                lines=tuple(ReturnedLine(gtin=line.gtin, lot=line.lot, quantity=line.quantity,
                                         serials=tuple(line.serials or ())) for line in payload.lines)), uow)
