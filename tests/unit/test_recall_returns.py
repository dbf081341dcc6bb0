"""The RecallReturns process manager on the in-memory event store: an inventory return of a recalled lot (or unit)
counts towards every open recall covering it, credited to whom the shipment went, once per return; the batch's
reactions share one unit of work and are saved together."""

from datetime import date, timedelta
from uuid import uuid4

import pytest

from services.traceability.application.recall_opening import OpenRecall, open_recall
from services.traceability.domain.recall import RecallCase
from services.traceability.reactions import RecallReturns
from shared.events import CloudEvent
from shared.events.inventory import ShipmentReturned
from shared.platform.context import acting_as
from tests.unit.traceability_world import GTIN, NOW, World, stored, traceability


@pytest.fixture
def app():
    with traceability() as app:
        yield app


def returned(shipment_id, lot: str, quantity: int, serials=None, return_id=None) -> ShipmentReturned:  # noqa: ANN001
    return ShipmentReturned(fulfilment_id=uuid4(), order_id=uuid4(), shipment_id=shipment_id,
                            return_id=return_id or uuid4(), ship_to_hospital_id=uuid4(), reason="recall",
                            disposition="quarantine", warehouse="WH-RET",
                            lines=[{"gtin": GTIN, "lot": lot, "expiry": date(2028, 1, 31), "quantity": quantity,
                                    "serials": serials}])


def react(manager: RecallReturns, uow, payload: ShipmentReturned) -> None:  # noqa: ANN001
    envelope = CloudEvent(id=f"inventory-{uuid4()}", source="/erp/inventory", type=payload.event_type(),
                          subject=str(payload.fulfilment_id), time=NOW, aggregateid=str(payload.fulfilment_id),
                          aggregateversion=1, position=1, correlationid="c", actor="user:wms", schemaversion=1,
                          data=payload.model_dump(mode="json"))
    with acting_as("service:traceability"):
        manager.react(envelope, payload, uow)


def test_a_return_counts_once_towards_each_open_recall_covering_it_credited_to_the_shipments_consignee(app):
    world = World(lots={(GTIN, "L1"), (GTIN, "L2")})
    with acting_as("user:qa-li"):
        cases = [open_recall(OpenRecall(recall_id=uuid4(), title="召回", scheme="NMPA", level=2, reason="r",
                                        decided_at=NOW - timedelta(hours=1), lots=lots,
                                        serials=[{"gtin": GTIN, "serial": "S9"}]), world.unit_of_work(app)).case
                 for lots in ([{"gtin": GTIN, "lot": "L1"}], [{"gtin": GTIN, "lot": "L2"}])]
    first, second = (case.id for case in cases)
    world.scopes = {first: {(GTIN, "L1"), (GTIN, "S9")}, second: {(GTIN, "L2"), (GTIN, "S9")}}
    distributor, shipment = uuid4(), uuid4()
    world.shipments[shipment] = distributor  # shipped to a distributor: its returns are credited to it
    manager = RecallReturns(app, None, lambda deferred: world.unit_of_work(app, deferred))
    before = len(stored(app))

    batch = manager.new_unit_of_work(True)
    back = returned(shipment, "L1", 3)
    react(manager, batch, back)
    react(manager, batch, back)  # delivered twice: the same return counts once
    react(manager, batch, returned(shipment, "L3", 5, serials=["S9"]))  # a recalled unit of another lot: both cases
    react(manager, batch, returned(shipment, "L7", 2))  # recalled by nobody
    assert len(stored(app)) == before  # nothing until the batch is saved
    assert batch.flush()
    cases = {case_id: app.get_aggregate(case_id, RecallCase) for case_id in (first, second)}
    assert {case_id: case.units_returned_by(distributor) for case_id, case in cases.items()} == {first: 8, second: 5}
    assert stored(app)[before:] == ["UnitsReturned", "UnitsReturned", "UnitsReturned"]
