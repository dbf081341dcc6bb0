"""The lot history on real PostgreSQL and Kafka: events made by the inventory, channel and traceability services,
published by their relays and consumed by the traceability projections as the worker runs them. The recall answer
as of a time differs from a later one by exactly what was recorded in between; as of now it is the live lookup's;
the EPCIS export tells the lot's story in EPCIS 2.0 events."""

import time
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.channel.application import ChannelApplication
from services.inventory.application import InventoryApplication, InventoryUnitOfWork, kits, reservation
from services.traceability.application import TraceabilityApplication, TraceabilityUnitOfWork
from services.traceability.application.sellout_reports import ReportSellOut, report_sellout
from services.traceability.domain.sellout import ReportedLine
from services.traceability.projections.history import LotHistory
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.queries import recall_lookup
from services.traceability.queries.as_of import consignees_as_of, lookup_as_of
from services.traceability.queries.master_data import registered
from services.traceability.queries.sellout import distributor_position
from shared.events import CloudEvent
from shared.events.inventory import ShipmentDispatched
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner, Delivery
from shared.platform.context import acting_as
from shared.platform.read_models import ReadModels
from shared.platform.relay import Relay
from tests import inventory as warehouse_commands
from tests.items import registered_item
from tests.integration.helpers import Running, eventually, open_recall_register
from tests.suppliers import qualified_supplier
from tests.unit.test_epcis_schema import assert_valid_epcis
from tests.parties import register_hospital, register_distributor
from tests.apps import web_app

STENT, BALLOON, KIT = "09506000134352", "09506000134376", "09506000134383"
WH = "WH-SH"


def exposure(consignees) -> dict:  # noqa: ANN001 - the live or the as-of answer's consignees
    """Per consignee row (consignee, distributor it was reached through), (shipped, returned) per lot: what both
    answers must agree on."""
    return {(c.consignee_id, c.via_distributor and c.via_distributor.consignee_id):
            {(a.gtin, a.lot): (a.quantity_shipped, a.quantity_returned) for a in c.affected_lots} for c in consignees}


def distributor_stock(consignees) -> dict:  # noqa: ANN001
    return {c.consignee_id: (c.quantity_sold_on, c.quantity_in_stock) for c in consignees if c.kind == "distributor"}


def moment() -> datetime:
    """A time strictly between the events recorded before and after it."""
    time.sleep(0.01)
    now = datetime.now(UTC)
    time.sleep(0.01)
    return now


class Warehouse:
    """The inventory commands a recall story needs, through inventory's handlers (its real events)."""

    def __init__(self, app: InventoryApplication, pool) -> None:  # noqa: ANN001
        self.app, self.pool = app, pool
        open_recall_register(app, pool)  # none here: dispatch asks it all the same

    def stock(self) -> None:
        supplier = qualified_supplier(self.app)
        for gtin, name in ((STENT, "Stent"), (BALLOON, "Balloon"), (KIT, "Stent kit")):
            registered_item(self.app, gtin, name)  # with its registration certificate: nothing is received without
        warehouse_commands.receive(self.app, supplier, [
            {"gtin": STENT, "lot": "S-1", "expiry": date(2029, 1, 1), "quantity": 20, "warehouse": WH},
            {"gtin": BALLOON, "lot": "B-1", "expiry": date(2029, 6, 1), "quantity": 4, "warehouse": WH,
             "serials": ["B1", "B2", "B3", "B4"]}])
        for gtin, lot in ((STENT, "S-1"), (BALLOON, "B-1")):
            warehouse_commands.release(self.app, gtin, lot, WH)

    def ship(self, hospital: UUID, gtin: str, quantity: int, distributor: UUID | None = None) -> tuple[UUID, UUID]:
        order = uuid4()
        reservation.reserve_order(reservation.ReserveOrder(
            order_id=order, ship_to_hospital_id=hospital, lines=({"line_no": 1, "gtin": gtin, "quantity": quantity},),
            today=date(2026, 11, 25), ship_to_distributor_id=distributor), InventoryUnitOfWork(self.app))
        fulfilment = warehouse_commands.dispatch(self.app, self.pool, order, "SF Express", f"SF{order.int % 10**9}")
        return order, fulfilment.shipments[-1]["shipment_id"]

    def kit(self) -> None:
        kits.assemble_kit(kits.AssembleKit(assembly_id=uuid4(), kit_gtin=KIT, lot="K-1", quantity=2, warehouse=WH,
                                           components=({"gtin": STENT, "lot": "S-1", "warehouse": WH, "quantity": 2},
                                                       {"gtin": BALLOON, "lot": "B-1", "warehouse": WH, "quantity": 2})),
                          InventoryUnitOfWork(self.app))
        warehouse_commands.release(self.app, KIT, "K-1", WH)


@pytest.fixture
def web(settings):
    app = web_app("traceability")

    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {issue_token('officer-wang', ['recall_officer'])}"
        yield client


async def test_as_of_answers_differ_by_what_was_recorded_in_between_and_epcis_tells_the_story(
        settings, pool, web, monkeypatch):
    monkeypatch.setenv("INVENTORY_PICKING_REQUIRED", "false")
    inventory, channel, traceability = (InventoryApplication(settings), ChannelApplication(settings),
                                        TraceabilityApplication(settings))
    schema = settings.schema_for("traceability")
    lineage, history = ShipmentLineage(pool, schema), LotHistory(pool, schema)  # as the worker runs them
    runners = {p.name: ConsumerRunner(p, settings) for p in (lineage, history)}
    running = Running()
    for task in (Relay(inventory).run, Relay(channel).run, Relay(traceability).run, *(r.run for r in runners.values())):
        running.start(task)
    try:
        h1, h2, h3, distributor = uuid4(), uuid4(), uuid4(), uuid4()
        with acting_as("user:test"):
            for hospital, name in ((h1, "上海市第一人民医院"), (h2, "华山医院"), (h3, "瑞金医院")):
                register_hospital(channel, hospital, name, "上海市", "3A")
            register_distributor(channel, distributor, "国药控股上海", "华东", "gold")
            warehouse = Warehouse(inventory, pool)
            warehouse.stock()
            order1, shipment1 = warehouse.ship(h1, STENT, 5)
            warehouse_commands.deliver(inventory, order1, shipment1, "王护士长")
            warehouse_commands.accept(inventory, order1, shipment1, "李明")
            before_kit = moment()
            warehouse.kit()
            before_second_shipment = moment()
            warehouse.ship(h2, STENT, 3)
            before_return = moment()
            warehouse_commands.record_return(inventory, order1, shipment1,
                                             [{"gtin": STENT, "lot": "S-1", "quantity": 2, "serials": None}])
            before_kit_shipment = moment()
            warehouse.ship(h3, KIT, 1)
            warehouse.ship(h3, STENT, 4, distributor=distributor)  # delivered through the distributor
        # The distributor reports 3 of the 4 delivered on to 华山医院, checked against the lineage (as the API does):
        # once it knows the distributor, the hospital and the shipment.
        read = ReadModels(pool, schema)
        await eventually(lambda: registered(read, "distributor", [distributor]) and registered(read, "hospital", [h2])
                         and distributor_position(read, distributor, [(STENT, "S-1")])[0][(STENT, "S-1")] == 4,
                         what="the lineage to know the distributor's shipment")
        with acting_as("user:test"):
            before_sell_out = moment()
            report_sellout(ReportSellOut(
                distributor_id=distributor, report_reference="2026-11", period=(date(2026, 11, 1), date(2026, 11, 30)),
                source="api", lines=[(1, ReportedLine(hospital_id=h2, gtin=STENT, lot="S-1", quantity=3,
                                                      sold_at=date(2026, 11, 20)))]),
                TraceabilityUnitOfWork(traceability, pool))
        inventory_events, channel_events, own_events = (
            app.recorder.max_notification_id() for app in (inventory, channel, traceability))
        await eventually(lambda: runners[history.name].applied >= inventory_events + own_events
                         and runners[lineage.name].applied >= inventory_events + channel_events + own_events,
                         what="the traceability projections to apply every event")

        now = datetime.now(UTC) + timedelta(seconds=1)
        with pool.connection() as conn:
            answers = {t: lookup_as_of(conn, schema, STENT, "S-1", t, limit=500) for t in
                       (before_kit, before_second_shipment, before_return, before_kit_shipment, before_sell_out, now)}
            live = recall_lookup(conn, schema, gtin=STENT, lot="S-1", limit=500)
            case_list = consignees_as_of(conn, schema, [(STENT, "S-1"), (BALLOON, "B-1")], before_return)

        stent, kit = (STENT, "S-1"), (KIT, "K-1")
        # Before the kit was assembled, the lot leads to no kit lot; after, it does (known links only).
        assert [(a.gtin, a.lot) for a in answers[before_kit].affected_lots] == [stent]
        assert [(a.gtin, a.lot) for a in answers[before_second_shipment].affected_lots] == [stent, kit]
        assert exposure(answers[before_kit].consignees) == {(h1, None): {stent: (5, 0)}}
        # Each later answer differs from the one before by exactly the shipment, return or report in between.
        assert exposure(answers[before_second_shipment].consignees) == {(h1, None): {stent: (5, 0)}}
        assert exposure(answers[before_return].consignees) == {(h1, None): {stent: (5, 0)}, (h2, None): {stent: (3, 0)}}
        assert exposure(answers[before_kit_shipment].consignees) == {(h1, None): {stent: (5, 2)},
                                                                     (h2, None): {stent: (3, 0)}}
        assert exposure(answers[before_sell_out].consignees) == {
            (h1, None): {stent: (5, 2)}, (h2, None): {stent: (3, 0)}, (h3, None): {kit: (1, 0)},
            (distributor, None): {stent: (4, 0)}}
        assert distributor_stock(answers[before_sell_out].consignees) == {distributor: (0, 4)}
        assert exposure(answers[now].consignees) == {
            (h1, None): {stent: (5, 2)}, (h2, None): {stent: (3, 0)}, (h3, None): {kit: (1, 0)},
            (distributor, None): {stent: (4, 0)}, (h2, distributor): {stent: (3, 0)}}
        assert distributor_stock(answers[now].consignees) == {distributor: (3, 1)}
        # As of now it is the live lookup, row by row, in the same order, with the same names.
        assert exposure(answers[now].consignees) == exposure(live.consignees)
        assert distributor_stock(answers[now].consignees) == distributor_stock(live.consignees)
        assert [(c.consignee_id, c.via_distributor, c.kind, c.name, c.quantity_outstanding)
                for c in answers[now].consignees] == [
            (c.consignee_id, c.via_distributor, c.kind, c.name, c.quantity_outstanding) for c in live.consignees]
        assert (answers[now].quantity_shipped, answers[now].quantity_returned) == (live.quantity_shipped,
                                                                                  live.quantity_returned)
        assert [(a.gtin, a.lot, a.via) for a in answers[now].affected_lots] == [
            (a.gtin, a.lot, a.via) for a in live.affected_lots]
        # A recall case's list at its decision time: both lots, through the kit, as then known.
        assert exposure(case_list) == {(h1, None): {stent: (5, 0)}, (h2, None): {stent: (3, 0)}}
        assert case_list[0].name == "上海市第一人民医院" and case_list[0].quantity_outstanding == 5

        # Over HTTP: the same answer; a time without a zone is refused naming the field.
        response = web.get("/recalls/lookup/as-of", params={"gtin": STENT, "lot": "S-1",
                                                             "at": before_return.isoformat(), "limit": 500})
        assert response.status_code == 200, response.text
        assert response.json() == answers[before_return].model_dump(mode="json")
        naive = web.get("/recalls/lookup/as-of", params={"gtin": STENT, "lot": "S-1", "at": "2026-11-25T09:00:00"})
        assert (naive.status_code, naive.json()["errors"][0]["field"]) == (422, "at")

        # EPCIS: the stent lot's story, in order, valid by the official EPCIS 2.0 schema, in CBV 2.0's steps.
        exported = web.get(f"/lots/{STENT}/S-1/epcis")
        assert exported.status_code == 200, exported.text
        assert exported.headers["content-type"] == "application/ld+json"
        document = exported.json()
        assert_valid_epcis(document)
        steps = [(e["type"], e.get("bizStep")) for e in document["epcisBody"]["eventList"]]
        assert steps == [("ObjectEvent", "commissioning"), ("ObjectEvent", "shipping"), ("ObjectEvent", "arriving"),
                         ("ObjectEvent", "accepting"), ("ObjectEvent", "commissioning"),
                         ("AssociationEvent", "assembling"), ("ObjectEvent", "shipping"), ("ObjectEvent", "receiving"),
                         ("ObjectEvent", "shipping"), ("ObjectEvent", "retail_selling")]
        events = document["epcisBody"]["eventList"]
        lot_class = f"https://id.gs1.org/01/{STENT}/10/S-1"
        assert events[0]["quantityList"] == [{"epcClass": lot_class, "quantity": 20}] and events[0]["action"] == "ADD"
        assert events[0]["bizLocation"] == {"id": f"urn:erp-md:location:warehouse:{WH}"}
        party = "urn:erp-md:party"
        assert events[1]["destinationList"] == [{"type": "owning_party", "destination": f"{party}:hospital:{h1}"}]
        assert {"type": "desadv", "bizTransaction": f"urn:uuid:{shipment1}"} in events[1]["bizTransactionList"]
        assert events[2]["bizLocation"] == events[3]["bizLocation"] == {"id": f"urn:erp-md:location:hospital:{h1}"}
        assert events[3]["quantityList"] == [{"epcClass": lot_class, "quantity": 5}]  # the lot's units accepted
        kit_class = f"https://id.gs1.org/01/{KIT}/10/K-1"
        assert events[4]["quantityList"] == [{"epcClass": kit_class, "quantity": 2}] and events[4]["action"] == "ADD"
        association = events[5]
        assert (association["parentID"], association["action"]) == (kit_class, "ADD")
        assert sorted(q["epcClass"] for q in association["childQuantityList"]) == sorted(
            [lot_class, f"https://id.gs1.org/01/{BALLOON}/10/B-1"])
        assert events[7]["disposition"] == "returned" and events[7]["quantityList"][0]["quantity"] == 2
        assert events[8]["destinationList"] == [
            {"type": "owning_party", "destination": f"{party}:distributor:{distributor}"}]
        assert events[9]["sourceList"] == [{"type": "owning_party", "source": f"{party}:distributor:{distributor}"}]
        assert events[9]["destinationList"] == [{"type": "owning_party", "destination": f"{party}:hospital:{h2}"}]
        assert events[9]["disposition"] == "retail_sold"
        # Times in the places' zone (Asia/Shanghai), not the database session's UTC: the same instants.
        assert {e["eventTimeZoneOffset"] for e in events} == {"+08:00"}
        assert all(e["eventTime"].endswith("+08:00") for e in events)
        assert (events[9]["eventTime"], events[9]["quantityList"][0]["quantity"]) == ("2026-11-20T08:00:00+08:00", 3)
        kit_document = web.get(f"/lots/{KIT}/K-1/epcis").json()
        assert_valid_epcis(kit_document)
        assert [(e["type"], e.get("bizStep")) for e in kit_document["epcisBody"]["eventList"]] == [
            ("ObjectEvent", "commissioning"), ("AssociationEvent", "assembling"), ("ObjectEvent", "shipping")]
        unknown = web.get(f"/lots/{STENT}/NEVER/epcis")
        assert (unknown.status_code, unknown.headers["content-type"]) == (404, "application/problem+json")
    finally:
        await running.stop()
        for app in (inventory, channel, traceability):
            app.close()


def test_a_fact_applied_again_is_not_recorded_twice(settings, pool):
    """A dead letter retried (`reapply`, which no position guards) appends nothing: rows are keyed by event."""
    history = LotHistory(pool, settings.schema_for("traceability"))
    history.setup()
    shipment = ShipmentDispatched(
        fulfilment_id=uuid4(), order_id=uuid4(), shipment_id=uuid4(), ship_to_hospital_id=uuid4(),
        ship_from_warehouse=WH, carrier="SF", tracking_number="SF1", dispatched_at=datetime.now(UTC),
        lines=[{"gtin": STENT, "lot": "S-1", "expiry": date(2029, 1, 1), "quantity": 2},
               {"gtin": BALLOON, "lot": "B-1", "expiry": date(2029, 1, 1), "quantity": 1}])
    envelope = CloudEvent(id="inventory-7", source="/erp/inventory", type="erp.inventory.ShipmentDispatched",
                          subject=str(shipment.fulfilment_id), time=datetime.now(UTC),
                          aggregateid=str(shipment.fulfilment_id), aggregateversion=3, position=7, correlationid="c",
                          actor="user:test", schemaversion=1, data=shipment.model_dump(mode="json"))
    delivery = Delivery(settings.topic_for("inventory"), 0, 0, envelope)
    history.handle_batch([delivery])
    history.reapply(delivery, lambda cur: None)

    with pool.connection() as conn:
        rows = conn.execute(f"SELECT gtin::text AS gtin, lot, quantity FROM {history.schema}.lot_history"
                            " ORDER BY item").fetchall()
    assert [(r["gtin"], r["lot"], r["quantity"]) for r in rows] == [(STENT, "S-1", 2), (BALLOON, "B-1", 1)]
