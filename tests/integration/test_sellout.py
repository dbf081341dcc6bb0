"""The distributor leg on real PostgreSQL and Kafka: an order delivered through a distributor ships to it; the
distributor's sell-out (流向) reports say which hospitals it delivered to; the recall lookup then lists the distributor
and those hospitals with the path. Over-reports are accepted and flagged; an uploaded file keeps its good rows and
names its bad ones; a report sent again stores nothing new; a return from the distributor is credited to it."""

from datetime import datetime, timedelta
from uuid import uuid4

from services.inventory.application import InventoryApplication
from services.inventory.reactions import FulfilmentPlanner
from services.order.projections.catalogue import DistributorLicences, KnownItems
from services.order.projections.hospitals import KnownDistributors, KnownHospitals
from services.traceability.projections.lineage import ShipmentLineage
from shared.platform.auth import issue_token
from shared.platform.consumer import ConsumerRunner
from shared.platform.context import acting_as
from shared.platform.relay import Relay
from tests import inventory as warehouse
from tests.apitools import approve_typed_prices, days, stored
from tests.integration.helpers import Running, eventually, open_recall_register
from tests.parties import register_hospital, register_distributor, record_licence
from tests.spreadsheets import xlsx
from shared.domain.business_day import business_today


GTIN = "09506000134352"
TODAY = business_today()
PERIOD = {"start": (TODAY - timedelta(days=30)).isoformat(), "end": TODAY.isoformat()}


def auth(name: str = "hd-sales") -> dict[str, str]:
    # The channel manager keys in distributors' reports and reads the lineage (as the recall officer does).
    return {"Authorization": f"Bearer {issue_token(name, ['order_desk', 'channel_manager', 'recall_officer'])}"}




def receive_released(inventory: InventoryApplication, lot: str, quantity: int) -> None:
    with acting_as("user:receiving"):
        warehouse.released_stock(inventory, GTIN, lot, quantity, datetime.fromisoformat(days(700)).date(), "WH-SH")


def lookup(trace_api, **params) -> dict:  # noqa: ANN001
    response = trace_api.get("/recalls/lookup", headers=auth("recall-officer"), params={**params, "limit": 500})
    assert response.status_code == 200, response.text
    return response.json()


def report(distributor, reference: str, lines: list[dict]) -> dict:  # noqa: ANN001
    return {"distributor_id": str(distributor), "report_reference": reference, "period": PERIOD, "lines": lines}


def sold(hospital, quantity: int, lot: str = "DL1", **extra) -> dict:  # noqa: ANN001, ANN003
    return {"hospital_id": str(hospital), "gtin": GTIN, "lot": lot, "quantity": quantity,
            "sold_at": (TODAY - timedelta(days=2)).isoformat(), **extra}


async def test_an_order_through_a_distributor_and_its_sell_out_reach_the_hospitals(
        settings, pool, channel, order_api, trace_api, monkeypatch):
    monkeypatch.setenv("INVENTORY_PICKING_REQUIRED", "false")
    inventory = InventoryApplication(settings)
    receive_released(inventory, "DL1", 10)
    orders, traceability = order_api.app.state.service.application, trace_api.app.state.service.application
    h1, h2, distributor, stranger = uuid4(), uuid4(), uuid4(), uuid4()
    with acting_as("user:channel-desk"):
        register_hospital(channel, h1, "四川大学华西医院", "四川省", "3A")
        register_hospital(channel, h2, "成都市第三人民医院", "四川省", "3A")
        register_distributor(channel, distributor, "华东医疗器械有限公司", "江苏省", "gold")
        # A class III stent goes through a distributor only with its distribution licence (经营许可证) on record.
        record_licence(channel, distributor, "distribution_licence", "苏械经营许20200001号",
                       TODAY - timedelta(days=365), TODAY + timedelta(days=1095))
    order_schema, trace_schema = orders.schema, traceability.schema
    lineage = ShipmentLineage(pool, trace_schema)
    running = Running()
    for task in (Relay(channel).run, Relay(orders).run, Relay(inventory).run, Relay(traceability).run,
                 ConsumerRunner(KnownHospitals(pool, order_schema), settings).run,
                 ConsumerRunner(KnownDistributors(pool, order_schema), settings).run,
                 ConsumerRunner(KnownItems(pool, order_schema), settings).run,
                 ConsumerRunner(DistributorLicences(pool, order_schema), settings).run,
                 ConsumerRunner(FulfilmentPlanner(inventory, pool), settings).run,
                 ConsumerRunner(lineage, settings).run):
        running.start(task)
    try:
        def one(query: str, *args):  # noqa: ANN202
            with pool.connection() as conn:
                return conn.execute(query, args).fetchone()

        await eventually(lambda: one(f"SELECT 1 FROM {order_schema}.known_distributors WHERE distributor_id = %s",
                                     distributor), what="order learning the distributor")
        await eventually(lambda: one(f"SELECT 1 FROM {order_schema}.known_hospitals WHERE hospital_id = %s", h1),
                         what="order learning the hospital")
        await eventually(lambda: one(f"SELECT 1 FROM {order_schema}.known_items WHERE gtin = %s"
                                     " AND certificate IS NOT NULL", GTIN), what="order learning the item")
        await eventually(lambda: one(f"SELECT 1 FROM {order_schema}.distributor_licences WHERE distributor_id = %s",
                                     distributor), what="order learning the distributor's licence")

        # The order names its distributor; an unknown one is refused and nothing stored.
        order = {"hospital_id": str(h1), "lines": [{"gtin": GTIN, "quantity": 10, "unit_price": "1280.00"}]}
        before = stored(orders)
        unknown = order_api.post("/orders", headers=auth(), json={**order, "ship_to_distributor_id": str(uuid4())})
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["rule"] == "registered-distributor"
        assert stored(orders) == before
        placed = order_api.post("/orders", headers=auth(), json={**order, "ship_to_distributor_id": str(distributor)})
        assert placed.status_code == 201, placed.text
        assert placed.json()["ship_to_distributor_id"] == str(distributor)
        order_id = approve_typed_prices(order_api, placed.json())["order_id"]
        fulfilment = await eventually(lambda: (f := inventory.get_fulfilment(order_id)) and f.status == "reserved" and f,
                                      what="the reservation")
        assert fulfilment.ship_to_distributor_id == distributor
        open_recall_register(inventory, pool)
        with acting_as("user:warehouse"):
            shipment_id = warehouse.dispatch(inventory, pool, fulfilment.order_id, "SF Express",
                                             "SF3000000001").shipments[0]["shipment_id"]
        await eventually(lambda: lookup(trace_api, gtin=GTIN, lot="DL1")["total"] == 1, what="the shipment's lineage")
        (only,) = lookup(trace_api, gtin=GTIN, lot="DL1")["consignees"]
        assert (only["consignee_id"], only["kind"], only["quantity_shipped"]) == (str(distributor), "distributor", 10)

        # The distributor's sell-out: 4 units to H1, 3 (serialised) to H2.
        first = report(distributor, "HD-2026-05", [sold(h1, 4), sold(h2, 3, serials=["X1", "X2", "X3"])])
        created = trace_api.post("/sellout-reports", headers=auth(), json=first)
        assert created.status_code == 201, created.text
        body = created.json()
        assert (body["units"], body["flagged_lines"], body["source"]) == (7, 0, "api")
        assert [(li["line_no"], li["received"], li["over_reported"]) for li in body["lines"]] == [
            (1, 10, False), (2, 10, False)]
        events = stored(traceability)
        again = trace_api.post("/sellout-reports", headers=auth(), json=first)
        assert (again.status_code, again.json()["report_id"]) == (200, body["report_id"])
        changed = trace_api.post("/sellout-reports", headers=auth(), json=report(distributor, "HD-2026-05", [sold(h1, 5)]))
        assert (changed.status_code, changed.json()["rule"]) == (409, "sellout-reference-once")
        bad_line = trace_api.post("/sellout-reports", headers=auth(), json=report(
            distributor, "HD-BAD", [sold(h1, 1), sold(h1, 2, serials=["only-one"])]))
        assert bad_line.status_code == 422
        assert [(e["field"], e["rule"]) for e in bad_line.json()["errors"]] == [("lines[1].serials", "one-serial-per-unit")]
        not_a_distributor = trace_api.post("/sellout-reports", headers=auth(), json=report(h1, "HD-X", [sold(h2, 1)]))
        assert not_a_distributor.json()["errors"][0]["rule"] == "registered-distributor"
        assert stored(traceability) == events  # resubmitted, refused: nothing new

        # The recall lookup reaches both hospitals through the distributor.
        answer = await eventually(lambda: (a := lookup(trace_api, gtin=GTIN, lot="DL1"))["total"] == 3 and a,
                                  what="the sell-out in the lineage")
        rows = {(c["consignee_id"], (c["via_distributor"] or {}).get("consignee_id")): c for c in answer["consignees"]}
        assert set(rows) == {(str(distributor), None), (str(h1), str(distributor)), (str(h2), str(distributor))}
        own = rows[(str(distributor), None)]
        assert (own["quantity_shipped"], own["quantity_sold_on"], own["quantity_in_stock"]) == (10, 7, 3)
        assert [s["shipment_id"] for s in own["shipments"]] == [str(shipment_id)]
        to_h1 = rows[(str(h1), str(distributor))]
        assert (to_h1["kind"], to_h1["name"], to_h1["via_distributor"]["name"]) == ("hospital", "四川大学华西医院",
                                                                                     "华东医疗器械有限公司")
        assert (to_h1["quantity_shipped"], to_h1["quantity_outstanding"], to_h1["shipments"]) == (4, 4, [])
        assert [(s["report_reference"], s["quantity"]) for s in to_h1["sell_outs"]] == [("HD-2026-05", 4)]
        assert [c["consignee_id"] for c in answer["consignees"]] == [str(distributor), str(h1), str(h2)]  # most first
        unit = lookup(trace_api, gtin=GTIN, serial="X2")
        assert [(c["consignee_id"], c["via_distributor"]["consignee_id"], c["quantity_shipped"])
                for c in unit["consignees"]] == [(str(h2), str(distributor), 1)]
        assert lookup(trace_api, lot="DL1")["total"] == 3

        # Over-reporting: 5 more to H1 takes the reported 12 above the 10 received: accepted, flagged.
        over = trace_api.post("/sellout-reports", headers=auth(), json=report(distributor, "HD-2026-05b", [sold(h1, 5)]))
        assert over.status_code == 201, over.text
        (line,) = over.json()["lines"]
        assert (line["over_reported"], line["excess"], line["received"], over.json()["flagged_lines"]) == (True, 2, 10, 1)
        flagged = await eventually(lambda: (page := trace_api.get("/sellout-lines", headers=auth(), params={
            "distributor_id": str(distributor), "flagged": "true"}).json())["total"] == 1 and page,
            what="the flagged line listed")
        assert [(li["report_reference"], li["excess"], li["hospital_name"]) for li in flagged["items"]] == [
            ("HD-2026-05b", 2, "四川大学华西医院")]  # names beside ids
        reports = trace_api.get("/sellout-reports", headers=auth(), params={"distributor_id": str(distributor)}).json()
        assert [(r["report_reference"], r["flagged_lines"]) for r in reports["items"]] == [
            ("HD-2026-05b", 1), ("HD-2026-05", 0)]
        answer = await eventually(lambda: (a := lookup(trace_api, gtin=GTIN, lot="DL1")) and
                                  a["consignees"][0]["quantity_sold_on"] == 12 and a, what="the over-report")
        assert answer["consignees"][0]["quantity_in_stock"] == 0  # never below zero

        # A return from the distributor is credited to it, whatever hospital the return names.
        with acting_as("user:returns"):
            warehouse.record_return(inventory, fulfilment.order_id, shipment_id, [{"gtin": GTIN, "lot": "DL1", "quantity": 1}])
        answer = await eventually(lambda: (a := lookup(trace_api, gtin=GTIN, lot="DL1")) and
                                  a["consignees"][0]["quantity_returned"] == 1 and a, what="the return")
        assert [(c["consignee_id"], c["quantity_returned"]) for c in answer["consignees"] if c["quantity_returned"]] == [
            (str(distributor), 1)]

        # An upload with two bad rows: the good rows are the report, the bad ones are named; sent again, nothing new.
        when = (TODAY - timedelta(days=1)).isoformat()
        csv = ("hospital_id,gtin,lot,quantity,sold_at\n"
               f"{h2},{GTIN},DL1,1,{when}\n"
               f"{h2},09506000134353,DL1,1,{when}\n"        # row 3: check digit
               f"{stranger},{GTIN},DL1,1,{when}\n"           # row 4: accepted, flagged unknown hospital
               f"{h1},{GTIN},DL1,1,{days(400)}\n")           # row 5: outside the period (and in the future)
        form = {"distributor_id": str(distributor), "report_reference": "HD-CSV-1", "period_start": PERIOD["start"],
                "period_end": PERIOD["end"]}
        upload = trace_api.post("/sellout-reports/upload", headers=auth(), data=form,
                                files={"file": ("流向.csv", csv.encode(), "text/csv")})
        assert upload.status_code == 201, upload.text
        result = upload.json()
        assert result["rows_accepted"] == 2 and result["report"]["source"] == "csv"
        assert [(li["line_no"], li["unknown_hospital"]) for li in result["report"]["lines"]] == [(2, False), (4, True)]
        assert [(e["row"], e["field"], e["rule"]) for e in result["rows_rejected"]] == [
            (3, "gtin", "gtin"), (5, "sold_at", "sold-within-period"), (5, "sold_at", "not-in-future")]
        events = stored(traceability)
        resent = trace_api.post("/sellout-reports/upload", headers=auth(), data=form,
                                files={"file": ("流向.csv", csv.encode(), "text/csv")})
        assert resent.status_code == 200 and resent.json()["report"]["report_id"] == result["report"]["report_id"]
        assert resent.json()["rows_rejected"] == result["rows_rejected"]
        assert stored(traceability) == events

        workbook = xlsx([["hospital_id", "gtin", "lot", "quantity", "sold_at"], [str(h1), GTIN, "DL1", 1, TODAY]])
        excel = trace_api.post("/sellout-reports/upload", headers=auth(), data={**form, "report_reference": "HD-XLSX-1"},
                               files={"file": ("流向.xlsx", workbook, "application/octet-stream")})
        assert excel.status_code == 201, excel.text
        assert (excel.json()["report"]["source"], excel.json()["rows_accepted"]) == ("xlsx", 1)
        nothing_valid = trace_api.post("/sellout-reports/upload", headers=auth(),
                                       data={**form, "report_reference": "HD-CSV-2"},
                                       files={"file": ("x.csv", b"hospital_id,gtin,lot,quantity,sold_at\nx,1,L,0,y\n")})
        assert nothing_valid.status_code == 422
        assert {e["field"] for e in nothing_valid.json()["errors"]} >= {"rows[2].hospital_id", "rows[2].gtin"}
        assert stored(traceability) == events + 1  # the workbook's report only
        got = trace_api.get(f"/sellout-reports/{result['report']['report_id']}", headers=auth())
        assert got.status_code == 200 and got.json()["lines"] == result["report"]["lines"]
        assert trace_api.get(f"/sellout-reports/{uuid4()}", headers=auth()).status_code == 404
    finally:
        await running.stop()
        inventory.close()
