"""A recall case's consignee list is live: it is the lineage of its lots at the moment it is asked, so a kit
assembled from a recalled component and shipped after the decision brings its hospital into the case, and
the deadline and effectiveness figures follow. Real PostgreSQL, the API in-process, lineage applied directly.
"""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from shared.events import CloudEvent
from shared.events.channel import HospitalRegistered
from shared.events.inventory import KitAssembled, LotReceived, ShipmentDispatched
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery
from tests.apitools import stored
from tests.apps import web_app

COMPONENT, KIT = "09506000134352", "09506000134376"
EXPIRY = date(2028, 1, 31)


class Feed:
    """Envelopes applied through the real lineage projection, one batch per call."""

    def __init__(self, settings, pool) -> None:  # noqa: ANN001
        from services.traceability.projections.history import LotHistory
        from services.traceability.projections.lineage import ShipmentLineage
        from services.traceability.projections.lots import LotCatalogue
        self.projections = [p(pool, settings.schema_for("traceability"))
                            for p in (ShipmentLineage, LotCatalogue, LotHistory)]
        self.settings, self.position = settings, 0

    def apply(self, *payloads) -> None:  # noqa: ANN002
        deliveries = []
        for payload in payloads:
            self.position += 1
            deliveries.append(Delivery(self.settings.topic_for(type(payload).producer), 0, self.position,
                                       envelope_of(payload, self.position)))
        for projection in self.projections:
            projection.handle_batch(deliveries)


def envelope_of(payload, position: int = 1) -> CloudEvent:  # noqa: ANN001
    producer, subject = type(payload).producer, str(getattr(payload, type(payload).subject_field))
    return CloudEvent(id=f"{producer}-{position}", source=f"/erp/{producer}", type=payload.event_type(),
                      subject=subject, time=datetime.now(UTC), aggregateid=subject, aggregateversion=1, position=position,
                      correlationid=str(uuid4()), actor="user:test", schemaversion=payload.schema_version,
                      data=payload.model_dump(mode="json"))


def shipment(hospital, gtin: str, lot: str, quantity: int, serials: list[str] | None = None) -> ShipmentDispatched:  # noqa: ANN001
    return ShipmentDispatched(fulfilment_id=uuid4(), order_id=uuid4(), shipment_id=uuid4(), ship_to_hospital_id=hospital,
                              ship_from_warehouse="WH", carrier="SF", tracking_number="SF1",
                              dispatched_at=datetime.now(UTC), lines=[{"gtin": gtin, "lot": lot, "expiry": EXPIRY,
                                                                       "quantity": quantity, "serials": serials}])


def test_a_kit_shipped_after_the_decision_joins_the_case_of_its_component(settings, pool):
    app = web_app("traceability")

    direct, kit_hospital = uuid4(), uuid4()
    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}
    with TestClient(app) as client:  # its start-up creates the tables
        feed = Feed(settings, pool)
        feed.apply(HospitalRegistered(hospital_id=direct, name="华西医院", province="四川省", grade="3A"),
                   HospitalRegistered(hospital_id=kit_hospital, name="省人民医院", province="四川省", grade="3A"),
                   shipment(direct, COMPONENT, "C-1", 6))
        decided = datetime.now(UTC) - timedelta(hours=2)
        opened = client.post("/recalls", headers=headers, json={
            "title": "导管召回", "scheme": "FDA", "level": 1, "reason": "涂层脱落", "decided_at": decided.isoformat(),
            "lots": [{"gtin": COMPONENT, "lot": "C-1"}]})
        assert opened.status_code == 201, opened.text
        recall = opened.json()
        assert (recall["level_name"], recall["consignees_by_status"]) == ("Class I", {"pending": 1})

        feed.apply(KitAssembled(item_id=uuid4(), gtin=KIT, assembly_id=uuid4(), lot="K-1", expiry=EXPIRY, quantity=4,
                                warehouse="WH", components=[{"gtin": COMPONENT, "lot": "C-1", "expiry": EXPIRY,
                                                             "warehouse": "WH", "quantity": 4}]),
                   shipment(kit_hospital, KIT, "K-1", 3))

        tomorrow = (decided + timedelta(days=1, minutes=1)).isoformat()
        listed = client.get(f"/recalls/{recall['recall_id']}/consignees", headers=headers, params={"at": tomorrow})
        by_name = {c["name"]: c for c in listed.json()["items"]}
        assert {n: (c["status"], c["units_to_recover"]) for n, c in by_name.items()} == {
            "华西医院": ("overdue", 6), "省人民医院": ("overdue", 3)}
        assert [(a["gtin"], a["lot"], [v["lot"] for v in a["via"]]) for a in by_name["省人民医院"]["affected_lots"]] == [
            (KIT, "K-1", ["C-1", "K-1"])]
        notified = client.post(f"/recalls/{recall['recall_id']}/notifications", headers=headers, json={
            "consignee_id": str(kit_hospital), "notified_at": datetime.now(UTC).isoformat(), "method": "portal"})
        assert notified.status_code == 200, notified.text
        assert notified.json()["effectiveness"]["consignees_to_notify"] == 2
        assert notified.json()["effectiveness"]["notified_share"] == 0.5

        # Without the role, the case cannot be changed; an unknown case is a 404, a bad level a 422 naming it.
        clerk = {"Authorization": f"Bearer {issue_token('bob', ['order_desk'])}"}
        assert client.post(f"/recalls/{recall['recall_id']}/close", headers=clerk, json={"summary": "x"}).status_code == 403
        assert client.get(f"/recalls/{uuid4()}", headers=headers).status_code == 404
        bad = client.post("/recalls", headers=headers, json={
            "title": "t", "level": 4, "reason": "r", "decided_at": decided.isoformat(),
            "lots": [{"gtin": COMPONENT, "lot": "C-1"}]})
        assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "level")


def test_an_export_for_a_lot_number_with_header_characters_still_downloads(settings):
    """Regression (schemathesis): the lot went into the Content-Disposition header, which is Latin-1 -> 500. Lots are
    GS1 character set 82 now (no Chinese); its quote, semicolon, percent and slash must not break the header."""
    app = web_app("traceability")

    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}
    with TestClient(app) as client:
        exported = client.get("/recalls/lookup/export", headers=headers, params={"lot": 'L"1;%/2', "format": "xlsx"})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-disposition"] == (
        "attachment; filename=\"recall-lookup-any-L_1___2.xlsx\"; filename*=UTF-8''recall-lookup-any-L%221%3B%25%2F2.xlsx")


def test_lookup_by_item_and_date_range_merges_the_consignees_of_every_lot_in_it(settings, pool):
    app = web_app("traceability")

    first, second = uuid4(), uuid4()
    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}

    def received(lot: str, produced: date, expiry: date) -> LotReceived:
        return LotReceived(item_id=uuid4(), gtin=COMPONENT, lot=lot, expiry=expiry, quantity=50, warehouse="WH",
                           production_date=produced)

    with TestClient(app) as client:
        Feed(settings, pool).apply(
            HospitalRegistered(hospital_id=first, name="华西医院", province="四川省", grade="3A"),
            received("M-1", date(2026, 3, 2), date(2028, 3, 1)), received("M-2", date(2026, 3, 30), date(2028, 3, 29)),
            received("A-1", date(2026, 4, 2), date(2028, 4, 1)),
            shipment(first, COMPONENT, "M-1", 4), shipment(first, COMPONENT, "M-2", 3), shipment(second, COMPONENT, "A-1", 9))
        march = client.get("/recalls/lookup/by-item", headers=headers, params={
            "gtin": COMPONENT, "produced_from": "2026-03-01", "produced_to": "2026-03-31"})
        assert march.status_code == 200, march.text
        answer = march.json()
        assert [lot["lot"] for lot in answer["lots"]] == ["M-1", "M-2"]
        assert [(c["name"], c["quantity_shipped"], sorted(a["lot"] for a in c["affected_lots"]))
                for c in answer["consignees"]] == [("华西医院", 7, ["M-1", "M-2"])]
        by_expiry = client.get("/recalls/lookup/by-item", headers=headers, params={
            "gtin": COMPONENT, "expiry_from": "2028-03-15"}).json()
        assert ([lot["lot"] for lot in by_expiry["lots"]], by_expiry["quantity_outstanding"]) == (["M-2", "A-1"], 12)
        unbounded = client.get("/recalls/lookup/by-item", headers=headers, params={"gtin": COMPONENT})
        assert (unbounded.status_code, unbounded.json()["errors"][0]["rule"]) == (422, "date-range-required")
        backwards = client.get("/recalls/lookup/by-item", headers=headers, params={
            "gtin": COMPONENT, "expiry_from": "2028-03-15", "expiry_to": "2028-01-01"})
        assert (backwards.status_code, backwards.json()["errors"][0]["field"]) == (422, "expiry_to")


def test_opening_a_recall_holds_its_lots_and_the_kit_lots_made_from_them(settings, pool):
    """The case records the kit lots the lineage knows of; inventory's reaction holds lot and kit lot alike."""
    from services.inventory.application import InventoryApplication
    from services.inventory.domain import StockItem
    from services.inventory.reactions import RecallHolds
    app = web_app("traceability")
    from shared.events.traceability import RecallOpened
    from shared.platform.context import acting_as

    inventory = InventoryApplication(settings)
    with acting_as("user:test"):
        component = StockItem(gtin=COMPONENT, name="Catheter", device_class=3)
        kit = StockItem(gtin=KIT, name="Catheter kit", device_class=3)
        component.receive_lot("C-9", EXPIRY, 20, "WH", today=date(2026, 11, 24))
        component.inspect_lot("C-9", "WH", "available", None)
        consumed = component.kits.consume_components(uuid4(), KIT, "K-9", [
            {"lot": "C-9", "warehouse": "WH", "quantity": 2}], date(2026, 11, 24))
        kit.kits.assemble(uuid4(), "K-9", 2, "WH", [{"gtin": COMPONENT, **c} for c in consumed], None)
        inventory.save(component, kit)
    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}
    with TestClient(app) as client:
        Feed(settings, pool).apply(KitAssembled(
            item_id=kit.id, gtin=KIT, assembly_id=uuid4(), lot="K-9", expiry=EXPIRY, quantity=2, warehouse="WH",
            components=[{"gtin": COMPONENT, "lot": "C-9", "expiry": EXPIRY, "warehouse": "WH", "quantity": 2}]))
        opened = client.post("/recalls", headers=headers, json={
            "title": "导管召回", "level": 2, "reason": "涂层脱落", "decided_at": datetime.now(UTC).isoformat(),
            "lots": [{"gtin": COMPONENT, "lot": "C-9"}]})
        assert opened.status_code == 201, opened.text
        assert opened.json()["kit_lots"] == [{"gtin": KIT, "lot": "K-9"}]
    recall = opened.json()
    payload = RecallOpened.model_validate({k: recall[k] for k in (
        "recall_id", "title", "scheme", "level", "reason", "decided_at", "notify_by", "lots", "serials", "kit_lots")})
    holds = RecallHolds(inventory, pool)

    def react() -> set:  # the items the reaction changed
        before = inventory.recorder.max_notification_id() or 0
        with acting_as("service:inventory"):
            uow = holds.new_unit_of_work(True)
            holds.react(envelope_of(payload), payload, uow)
            uow.flush()
        return {n.originator_id for n in inventory.recorder.select_notifications(start=before + 1, limit=100)}

    assert react() == {component.id, kit.id}
    held = {(gtin, lot): [s.held for s in inventory.item_by_gtin(gtin).lots_numbered(lot)]
            for gtin, lot in ((COMPONENT, "C-9"), (KIT, "K-9"))}
    assert held == {(COMPONENT, "C-9"): [True], (KIT, "K-9"): [True]}
    assert react() == set()  # held already: nothing twice


def test_a_recall_reaches_hospitals_through_a_distributors_sell_out_and_counts_each_unit_once(settings, pool):
    """20 units to a distributor, 12 reported sold on to a hospital that also got 5 directly: the distributor is to
    recover 8, the hospital 12 + 5 on two rows (one per path), and the hospital is one consignee to notify."""
    app = web_app("traceability")
    from shared.events.channel import DistributorRegistered
    from shared.events.traceability import SellOutReported

    distributor, hospital = uuid4(), uuid4()
    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}
    to_distributor = shipment(hospital, COMPONENT, "D-1", 20).model_copy(update={"ship_to_distributor_id": distributor})
    with TestClient(app) as client:
        Feed(settings, pool).apply(
            DistributorRegistered(distributor_id=distributor, name="华东医疗器械有限公司", region="江苏省", tier="gold"),
            HospitalRegistered(hospital_id=hospital, name="苏州市立医院", province="江苏省", grade="3A"),
            to_distributor, shipment(hospital, COMPONENT, "D-1", 5),
            SellOutReported(report_id=uuid4(), distributor_id=distributor, report_reference="2026-11", source="api",
                            period={"start": "2026-11-01", "end": "2026-11-30"}, lines=[{
                                "line_no": 1, "hospital_id": hospital, "gtin": COMPONENT, "lot": "D-1", "quantity": 12,
                                "sold_at": "2026-11-10", "received": 20, "over_reported": False, "excess": 0,
                                "unknown_hospital": False}]))
        opened = client.post("/recalls", headers=headers, json={
            "title": "导管召回", "level": 3, "reason": "标签错误", "decided_at": datetime.now(UTC).isoformat(),
            "lots": [{"gtin": COMPONENT, "lot": "D-1"}]})
        assert opened.status_code == 201, opened.text
        rows = client.get(f"/recalls/{opened.json()['recall_id']}/consignees", headers=headers).json()["items"]
        assert sorted((r["name"], r["kind"], (r["via_distributor"] or {}).get("name", ""), r["units_to_recover"])
                      for r in rows) == [("华东医疗器械有限公司", "distributor", "", 8),
                                         ("苏州市立医院", "hospital", "", 5),
                                         ("苏州市立医院", "hospital", "华东医疗器械有限公司", 12)]
        effectiveness = opened.json()["effectiveness"]
        assert (effectiveness["consignees_to_notify"], effectiveness["units_to_recover"]) == (2, 25)
        assert opened.json()["consignees_by_status"] == {"pending": 2}


def test_an_adverse_event_is_identified_by_its_scanned_udi(settings):
    app = web_app("traceability")

    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}
    report = {"outcome": "group_event", "description": "同批次多例感染", "became_aware_at": datetime.now(UTC).isoformat()}
    scanned = f"]d201{COMPONENT}17280131" + "10LOT-7\x1d21SN-42"
    with TestClient(app) as client:
        read = client.post("/adverse-events", headers=headers, json={**report, "udi": scanned})
        assert read.status_code == 201, read.text
        assert ({k: read.json()[k] for k in ("gtin", "lot", "serial")}, read.json()["status"]) == (
            {"gtin": COMPONENT, "lot": "LOT-7", "serial": "SN-42"}, "due")
        assert datetime.fromisoformat(read.json()["report_due_at"]) == (
            datetime.fromisoformat(report["became_aware_at"]) + timedelta(hours=12))
        disagree = client.post("/adverse-events", headers=headers, json={**report, "udi": scanned, "lot": "LOT-8"})
        assert (disagree.status_code, disagree.json()["errors"][0]["rule"]) == (422, "matches-udi")
        garbled = client.post("/adverse-events", headers=headers, json={**report, "udi": "hello"})
        assert (garbled.status_code, garbled.json()["errors"][0]["field"]) == (422, "udi")
        unidentified = client.post("/adverse-events", headers=headers, json=report)
        assert (unidentified.status_code, unidentified.json()["errors"][0]["rule"]) == (422, "gtin-required")
        assert stored(client.app.state.service.application) == 1  # the refused reports stored nothing


def test_lookup_by_several_serials_finds_every_consignee_of_any_of_them(settings, pool):
    app = web_app("traceability")

    first, second = uuid4(), uuid4()
    headers = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}

    with TestClient(app) as client:
        Feed(settings, pool).apply(shipment(first, COMPONENT, "S-1", 2, ["A1", "A2"]),
                                   shipment(second, COMPONENT, "S-1", 1, ["B1"]))
        found = client.get("/recalls/lookup/serials", headers=headers,
                           params=[("gtin", COMPONENT), ("serial", "A2"), ("serial", "B1"), ("serial", "B1"),
                                   ("serial", "NEVER")])
        assert found.status_code == 200, found.text
        answer = found.json()
        assert (answer["serials"], answer["quantity_shipped"], answer["total"]) == (["A2", "B1", "NEVER"], 2, 2)
        assert sorted(str(c["consignee_id"]) for c in answer["consignees"]) == sorted([str(first), str(second)])
        none = client.get("/recalls/lookup/serials", headers=headers, params={"gtin": COMPONENT})
        assert (none.status_code, none.json()["errors"][0]["field"]) == (422, "serial")
