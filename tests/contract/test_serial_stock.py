"""The serial view follows each unit: received into a lot and warehouse, shipped to a hospital, returned or
scrapped — built from the golden story's receipt, shipment and return with serials added (optional fields)."""

from uuid import UUID

import pytest

from services.inventory.projections.serials import SerialStock
from shared.platform.consumer import Delivery
from tests.contract.golden import golden

H = UUID("5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11")
SERIALS = ["SN001", "SN002", "SN003"]



@pytest.fixture
def serial_stock(settings, pool):
    projection = SerialStock(pool, settings.schema_for("inventory"))
    projection.setup()
    return projection


def with_serials(event_type: str, serials_on) -> object:  # noqa: ANN001
    envelope = golden(event_type)
    return envelope.model_copy(update={"data": serials_on(dict(envelope.data))})


def serial_rows(pool, schema: str) -> dict[str, tuple]:
    with pool.connection() as conn:
        rows = conn.execute(f"SELECT serial, status, warehouse, consignee_id FROM {schema}.serials").fetchall()
    return {r["serial"]: (r["status"], r["warehouse"], r["consignee_id"]) for r in rows}


def test_each_serial_is_where_its_last_event_put_it(settings, pool, serial_stock):
    received = with_serials("erp.inventory.LotReceived", lambda d: {**d, "quantity": 3, "serials": SERIALS})
    shipped = with_serials("erp.inventory.ShipmentDispatched", lambda d: {
        **d, "lines": [{**d["lines"][0], "quantity": 2, "serials": SERIALS[:2]}]})
    returned = with_serials("erp.inventory.ShipmentReturned", lambda d: {
        **d, "lines": [{**d["lines"][0], "quantity": 1, "serials": SERIALS[:1]}]})
    deliveries = [Delivery(settings.topic_for("inventory"), 0, offset, e)
                  for offset, e in enumerate(sorted([received, shipped, returned], key=lambda e: e.position))]
    serial_stock.handle_batch(deliveries)

    rows = serial_rows(pool, serial_stock.schema)
    disposition = returned.data["disposition"]
    assert rows["SN001"][0] == ("scrapped" if disposition == "scrap" else "returned")
    assert rows["SN002"] == ("shipped", None, H)
    assert rows["SN003"] == ("in_stock", received.data["warehouse"], None)


def test_a_unit_shipped_through_a_distributor_is_with_the_distributor(settings, pool, serial_stock):
    distributor = UUID("4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c")
    received = with_serials("erp.inventory.LotReceived", lambda d: {**d, "quantity": 1, "serials": SERIALS[:1]})
    shipped = with_serials("erp.inventory.ShipmentDispatched", lambda d: {
        **d, "ship_to_distributor_id": str(distributor), "lines": [{**d["lines"][0], "quantity": 1,
                                                                     "serials": SERIALS[:1]}]})
    serial_stock.handle_batch([Delivery(settings.topic_for("inventory"), 0, offset, e)
                               for offset, e in enumerate(sorted([received, shipped], key=lambda e: e.position))])
    assert serial_rows(pool, serial_stock.schema)["SN001"] == ("shipped", None, distributor)
