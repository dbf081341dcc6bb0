"""The retention report on real PostgreSQL: lots received through the API reach the inventory-retention projection
through Kafka; records made years ago (events applied as if published then) show when each lot may be archived —
the same day the rule in domain/retention.py gives — and an implant's lots never."""

from datetime import UTC, date, datetime
from uuid import uuid4

from fastapi.testclient import TestClient

from services.inventory.domain.retention import archivable_from
from services.inventory.projections.retention import LotRetention
from shared.domain.business_day import business_today
from shared.events.inventory import (
    AllocatedStockShipped, ItemRegistered, LotAllocation, LotReceived, StockAdjusted, TrackingSet,
)
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.relay import Relay
from tests.apitools import days
from tests.integration.helpers import Running, eventually
from tests.items import SETUP_ROLES, registered_item_via_api
from tests.unit.inventory_world import envelope_of

STENT, GAUZE, OLD = "09506000134352", "09506000134369", "09506000134383"


def auth(name: str = "wh-li", roles: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, roles or SETUP_ROLES)}"}


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T02:00:00+00:00").astimezone(UTC)


def test_records_made_years_ago_say_when_each_lot_may_be_archived_and_implants_never(pool, inventory_api: TestClient):
    app = inventory_api.app.state.service.application
    projection = LotRetention(pool, app.schema)
    projection.setup()
    old_item, implant_item = uuid4(), uuid4()
    story = [
        (ItemRegistered(item_id=old_item, gtin=OLD, name="导尿管", device_class=2), "2019-01-01"),
        (ItemRegistered(item_id=implant_item, gtin=STENT, name="冠脉支架", device_class=3), "2019-01-01"),
        (TrackingSet(item_id=implant_item, gtin=STENT, lot_tracked=True, serial_tracked=False, implant=True),
         "2019-01-02"),
        # A short-dated lot last sold in 2020: 5 years after the sale decide.
        (LotReceived(item_id=old_item, gtin=OLD, lot="SHORT", expiry=date(2020, 6, 30), quantity=10, warehouse="WH1"),
         "2019-03-01"),
        (AllocatedStockShipped(item_id=old_item, gtin=OLD, order_id=uuid4(), shipment_id=uuid4(), allocations=[
            LotAllocation(lot="SHORT", expiry=date(2020, 6, 30), warehouse="WH1", quantity=10)]), "2020-02-29"),
        # A long-dated lot: its expiry + 2 years decides.
        (LotReceived(item_id=old_item, gtin=OLD, lot="LONG", expiry=date(2028, 2, 29), quantity=10, warehouse="WH1"),
         "2019-03-01"),
        (StockAdjusted(item_id=old_item, gtin=OLD, lot="LONG", warehouse="WH1", quantity_change=-1, on_hand=9,
                       reason="破损"), "2021-05-05"),
        (LotReceived(item_id=implant_item, gtin=STENT, lot="IMPLANT", expiry=date(2020, 1, 1), quantity=5,
                     warehouse="WH1"), "2019-03-01"),
    ]
    with pool.connection() as conn, conn.cursor() as cur:
        for position, (payload, day) in enumerate(story, start=1):
            projection.apply(cur, envelope_of(payload, at(day), position), payload)

    def report(**params) -> list[dict]:
        answer = inventory_api.get("/retention", headers=auth("auditor-wu", ["auditor"]), params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    rows = {r["lot"]: r for r in report()}
    assert {lot: (r["lot_class"], r["last_movement"], r["archivable_from"]) for lot, r in rows.items()} == {
        "SHORT": ("standard", "2020-02-29", "2025-02-28"),
        "LONG": ("standard", "2021-05-05", "2030-02-28"),
        "IMPLANT": ("implant", "2019-03-01", None),
    }
    for r in rows.values():  # the SQL and the rule agree
        assert r["archivable_from"] == (None if r["lot_class"] == "implant" else archivable_from(
            date.fromisoformat(r["expiry"]), date.fromisoformat(r["last_movement"]), False).isoformat())
    assert [r["lot"] for r in report(before="2026-01-01")] == ["SHORT"]
    assert [r["lot"] for r in report(before="2099-12-31")] == ["SHORT", "LONG"]  # never an implant
    assert [r["lot"] for r in report(lot_class="implant")] == ["IMPLANT"]

    # The report is for those who audit and archive the log (audit:read): the warehouse desk may not read it.
    assert inventory_api.get("/retention", headers=auth("wh-li", ["warehouse"])).status_code == 403
    assert inventory_api.get("/retention", headers=auth("ops-li", ["ops"])).status_code == 200


async def test_a_lot_received_through_the_api_is_on_the_report(settings, pool, inventory_api: TestClient):
    api = inventory_api
    registered_item_via_api(api, auth(), GAUZE, "医用纱布", 1)
    supplier = api.post("/suppliers", headers=auth(), json={"name": "苏州医疗器械制造有限公司"}).json()["supplier_id"]
    for document in ("business_licence", "production_licence"):
        api.post(f"/suppliers/{supplier}/qualifications", headers=auth(), json={
            "document_type": document, "number": f"{document}-1", "valid_from": "2020-01-01", "valid_to": days(3650)})
    received = api.post("/goods-receipts", headers=auth(), json={"supplier_id": supplier, "lines": [
        {"gtin": GAUZE, "lot": "G1", "expiry": days(400), "quantity": 10, "warehouse": "WH-SZ"}]})
    assert received.status_code == 201, received.text

    app = api.app.state.service.application
    projection = LotRetention(pool, app.schema)
    projection.setup()
    running = Running()
    running.start(Relay(app).run)
    running.start(ConsumerRunner(projection, settings).run)
    try:
        rows = await eventually(lambda: api.get("/retention", headers=auth("ops-li", ["ops"]),
                                                params={"gtin": GAUZE}).json()["items"], what="the received lot")
        today = business_today()
        expected = archivable_from(date.fromisoformat(days(400)), today, False)
        assert [(r["lot"], r["lot_class"], r["last_movement"], r["archivable_from"]) for r in rows] == [
            ("G1", "standard", today.isoformat(), expected.isoformat())]
    finally:
        await running.stop()
