"""The traceability lineage applies the golden inventory + channel story: L2701A ships 10 to H and 2 come back
(scrapped: a return counts whatever the disposition); kit lot KIT2611A is assembled from component lot GW2601."""

import pytest

from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.queries import recall_lookup
from tests.contract.test_consumers import GTIN, H, S, feed

COMPONENT_GTIN, KIT_GTIN = "09506000134376", "09506000134383"


@pytest.fixture
def lineage(settings, pool):
    schema = settings.schema_for("traceability")
    feed(ShipmentLineage(pool, schema), settings, "channel", "inventory")
    return lambda **query: _lookup(pool, schema, **query)


def _lookup(pool, schema, **query):
    with pool.connection() as conn:
        return recall_lookup(conn, schema, **query)


def test_shipped_returned_and_outstanding_per_consignee(lineage):
    answer = lineage(gtin=GTIN, lot="L2701A")
    assert (answer.quantity_shipped, answer.quantity_returned, answer.quantity_outstanding) == (10, 2, 8)
    assert str(answer.expiry) == "2027-01-31"
    (consignee,) = answer.consignees
    assert (consignee.consignee_id, consignee.name, consignee.region) == (H, "上海市第一人民医院", "上海市")
    assert (consignee.quantity_shipped, consignee.quantity_returned, consignee.quantity_outstanding) == (10, 2, 8)
    assert [(s.shipment_id, s.quantity) for s in consignee.shipments] == [(S, 10)]
    assert [(a.gtin, a.lot, [v.lot for v in a.via]) for a in consignee.affected_lots] == [(GTIN, "L2701A", ["L2701A"])]
    assert answer.total == 1


def test_the_lot_alone_finds_it_under_its_gtin(lineage):
    answer = lineage(lot="L2701A")
    assert [(a.gtin, a.lot) for a in answer.affected_lots] == [(GTIN, "L2701A")]
    assert [c.quantity_outstanding for c in answer.consignees] == [8]


def test_a_component_lot_reaches_the_kit_lot_made_from_it(lineage):
    answer = lineage(gtin=COMPONENT_GTIN, lot="GW2601")
    assert [(a.gtin, a.lot, [(v.gtin, v.lot) for v in a.via]) for a in answer.affected_lots] == [
        (COMPONENT_GTIN, "GW2601", [(COMPONENT_GTIN, "GW2601")]),
        (KIT_GTIN, "KIT2611A", [(COMPONENT_GTIN, "GW2601"), (KIT_GTIN, "KIT2611A")]),
    ]
    assert answer.consignees == []  # the kit lot is still in quarantine: nobody has it
    assert [a.lot for a in lineage(lot="KIT2611A").affected_lots] == ["KIT2611A"]  # links go one way only


def test_an_unknown_lot_or_serial_answers_nobody(lineage):
    assert lineage(gtin=GTIN, lot="NOPE").consignees == []
    serial = lineage(gtin=GTIN, serial="NOPE")
    assert (serial.consignees, serial.total, serial.affected_lots) == ([], 0, [])

