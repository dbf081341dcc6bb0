"""The distributor leg of the contracts: the golden sell-out report applies to the lineage (a flagged over-report by
distributor D of lot L2702B to hospital H, three serials), leaving the golden L2701A story as it was; an order
delivered through a distributor carries it from OrderPlaced through fulfilment to ShipmentDispatched."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import jsonschema

from services.inventory.application import InventoryApplication
from services.inventory.domain import Fulfilment
from services.order.application import OrderApplication
from services.order.domain import SalesOrder
from services.order.projections.hospitals import KnownDistributors
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.queries import recall_lookup
from shared.events import payload_of
from shared.events.schemas import SCHEMA_DIR
from shared.platform.context import acting_as
from tests.contract.golden import golden
from tests.contract.test_consumers import GTIN, H, feed, one

D = UUID("8e2f1c3a-4b5d-4e6f-8a7b-9c0d1e2f3a4b")


def test_the_golden_sell_out_report_reaches_the_hospital_through_the_distributor(settings, pool):
    schema = settings.schema_for("traceability")
    feed(ShipmentLineage(pool, schema), settings, "channel", "inventory", "traceability")
    report = payload_of(golden("erp.traceability.SellOutReported"))
    flagged = one(pool, f"SELECT over_reported, excess, unknown_hospital FROM {schema}.sellout_lines"
                        " WHERE report_id = %s", report.report_id)
    assert (flagged["over_reported"], flagged["excess"], flagged["unknown_hospital"]) == (True, 3, False)
    with pool.connection() as conn:
        answer = recall_lookup(conn, schema, gtin=GTIN, lot="L2702B")
        (hospital,) = answer.consignees
        assert (hospital.consignee_id, hospital.via_distributor.consignee_id, hospital.via_distributor.name) == (
            H, D, "华东医疗器械有限公司")
        assert (hospital.quantity_shipped, [s.report_reference for s in hospital.sell_outs]) == (3, ["HD-2026-11"])
        assert [c.consignee_id for c in recall_lookup(conn, schema, gtin=GTIN, serial="SN-0002").consignees] == [H]
        (direct,) = recall_lookup(conn, schema, gtin=GTIN, lot="L2701A").consignees  # the direct story is unchanged
        assert (direct.consignee_id, direct.via_distributor, direct.quantity_outstanding) == (H, None, 8)


def test_the_order_distributor_learned_from_the_golden_registration(settings, pool):
    schema = settings.schema_for("order")
    feed(KnownDistributors(pool, schema), settings, "channel")
    assert one(pool, f"SELECT name FROM {schema}.known_distributors WHERE distributor_id = %s", D)["name"] == (
        "华东医疗器械有限公司")


def schema(event_type: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{event_type}.v1.json").read_text())


def test_an_order_through_a_distributor_carries_it_to_the_shipment_and_old_events_mean_direct():
    hospital, order_id, shipment_id = uuid4(), uuid4(), uuid4()
    with acting_as("user:contract-test"):
        order = SalesOrder(order_id=order_id, hospital_id=hospital, customer_reference=None, currency="CNY",
                           lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2, "unit_price": Decimal("10.00")}],
                           ship_to_distributor_id=D)
        fulfilment = Fulfilment(order_id=order_id, ship_to_hospital_id=hospital, ship_to_distributor_id=D,
                                lines=[{"line_no": 1, "gtin": GTIN, "quantity": 2}])
        fulfilment.reserve(order_id=order_id, lines=[
            {"line_no": 1, "gtin": GTIN, "lot": "L1", "expiry": date(2030, 1, 1), "warehouse": "WH1", "quantity": 2}])
        fulfilment.dispatch(shipment_id, "WH1", "SF Express", "SF1", datetime.now(UTC))
    (placed,) = [OrderApplication.to_payload(e) for e in order.collect_events()]
    requested, _, dispatched = [InventoryApplication.to_payload(e) for e in fulfilment.collect_events()]
    for payload in (placed, requested, dispatched):
        assert payload.ship_to_distributor_id == D
        jsonschema.validate(payload.model_dump(mode="json"), schema(payload.event_type()))
    assert dispatched.ship_to_hospital_id == hospital
    for event_type in ("erp.order.OrderPlaced", "erp.inventory.FulfilmentRequested", "erp.inventory.ShipmentDispatched"):
        assert payload_of(golden(event_type)).ship_to_distributor_id is None  # recorded before: shipped direct
