"""The regulator reports and the lookup export add up to the lineage: a recall of one lot shipped 10 to a hospital
directly and 10 to a distributor that reported selling 6 on to a second hospital counts 20 units, each once, where it
is now (10, 4 at the distributor, 6) — not 26. The reports name the product as registered, the case by its recall
number, codes in Chinese and English, times in China's time; a hospital named like a formula stays text.
Real PostgreSQL, the API in-process, lineage applied through the real projections."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.traceability.domain.recall import RecallCase
from services.traceability.domain.recall_number import numbering_year
from services.traceability.queries import recall_lookup
from services.traceability.queries.case_consignees import case_consignees, scope_lookups
from services.traceability.queries.master_data import products
from services.traceability.reports.regulator import TOTAL, implementation_report, recall_event_report
from shared.events.channel import DistributorRegistered, HospitalRegistered
from shared.events.inventory import ItemRegistered, LotReceived, RegistrationCertificateSet, ShipmentReturned
from shared.events.traceability import SellOutReported
from shared.platform.auth import issue_token
from shared.platform.context import acting_as
from tests.integration.test_recall_case_consignees import EXPIRY, Feed, shipment
from tests.apps import web_app

GTIN, LOT = "09506000134352", "R-1"
EVIL = '=HYPERLINK("http://evil.example/x","点我")'
OFFICER = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}


def recalled(settings, pool, client, sold_to_name: str = "苏州大学附属第一医院"):  # noqa: ANN001, ANN201
    """Hospital H gets 10 directly (2 come back after the decision), distributor D gets 10 and sells 6 on to V."""
    hospital, distributor, via = uuid4(), uuid4(), uuid4()
    to_hospital = shipment(hospital, GTIN, LOT, 10)
    to_distributor = shipment(hospital, GTIN, LOT, 10).model_copy(update={"ship_to_distributor_id": distributor})
    feed = Feed(settings, pool)
    feed.apply(
        ItemRegistered(item_id=uuid4(), gtin=GTIN, name="冠脉支架系统", device_class=3, model="RX-3.0×18mm"),
        RegistrationCertificateSet(item_id=uuid4(), gtin=GTIN, number="国械注准20193130001",
                                   holder="苏州医疗器械制造有限公司", valid_from=date(2019, 1, 1),
                                   valid_to=date(2029, 12, 31)),
        LotReceived(item_id=uuid4(), gtin=GTIN, lot=LOT, expiry=EXPIRY, quantity=30, warehouse="WH"),
        HospitalRegistered(hospital_id=hospital, name="上海市第一人民医院", province="上海市", grade="3A",
                           contact={"name": "设备科 王主任", "phone": "021-6324 0090"}),
        DistributorRegistered(distributor_id=distributor, name="华东医疗器械有限公司", region="江苏省", tier="gold"),
        HospitalRegistered(hospital_id=via, name=sold_to_name, province="江苏省", grade="3A"),
        to_hospital, to_distributor,
        SellOutReported(report_id=uuid4(), distributor_id=distributor, report_reference="2026-11", source="api",
                        period={"start": "2026-11-01", "end": "2026-11-30"}, lines=[{
                            "line_no": 1, "hospital_id": via, "gtin": GTIN, "lot": LOT, "quantity": 6,
                            "sold_at": "2026-11-10", "received": 10, "over_reported": False, "excess": 0,
                            "unknown_hospital": False}]))
    opened = client.post("/recalls", headers=OFFICER, json={
        "title": "支架输送系统召回", "level": 2, "reason": "输送系统回撤困难",
        "decided_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(), "lots": [{"gtin": GTIN, "lot": LOT}]})
    assert opened.status_code == 201, opened.text
    recall = opened.json()
    # Two units come back from the hospital while the case is open: the lineage and the case both know it.
    return_id = uuid4()
    feed.apply(ShipmentReturned(fulfilment_id=to_hospital.fulfilment_id, order_id=to_hospital.order_id, shipment_id=to_hospital.shipment_id, return_id=return_id,
                                ship_to_hospital_id=hospital, reason="recall", disposition="quarantine",
                                warehouse="WH-RET", lines=[{"gtin": GTIN, "lot": LOT, "expiry": EXPIRY, "quantity": 2}]))
    application = client.app.state.service.application
    with acting_as("service:traceability"):
        case = application.get_aggregate(UUID(recall["recall_id"]), RecallCase)
        assert case.record_return(hospital, GTIN, LOT, 2, return_id, datetime.now(UTC))
        application.save(case)
    return recall, {"hospital": hospital, "distributor": distributor, "via": via}


def lineage_of(pool, schema: str):  # noqa: ANN001, ANN201
    with pool.connection() as conn:
        return recall_lookup(conn, schema, gtin=GTIN, lot=LOT, limit=100)


def documents(client, pool, recall_id: str):  # noqa: ANN001, ANN201
    """The two reports' Document models, built as the download route builds them."""
    application, read, at = client.app.state.service.application, client.app.state.service.read_models, datetime.now(UTC)
    case = application.get_aggregate(UUID(recall_id), RecallCase)
    lookups = scope_lookups(read, case)
    consignees = case_consignees(lookups, case, at)
    items = products(read, [GTIN])
    return (recall_event_report(case, lookups, consignees, items, at),
            implementation_report(case, consignees, items, at))


def columns(table) -> dict:  # noqa: ANN001
    return {name: i for i, name in enumerate(table.columns)}


def test_every_report_counts_each_unit_once_where_it_is_now_as_the_lineage_does(settings, pool):
    app = web_app("traceability")

    with TestClient(app) as client:
        recall, _ = recalled(settings, pool, client)
        lineage = lineage_of(pool, client.app.state.service.read_models.schema)
        assert (lineage.quantity_shipped, lineage.quantity_returned, lineage.quantity_outstanding) == (20, 2, 18)
        event, implementation = documents(client, pool, recall["recall_id"])

        products_table, spread = event.tables
        *lots, total = products_table.rows
        c = columns(products_table)
        assert [row[c["批号 Lot"]] for row in lots] == [LOT]
        assert (total[0], total[c["发货数量 Shipped"]], total[c["退回数量 Returned"]], total[c["在外数量 Outstanding"]]) == (
            TOTAL, lineage.quantity_shipped, lineage.quantity_returned, lineage.quantity_outstanding)
        *regions, spread_total = spread.rows
        assert sorted(regions) == [["上海市", "医院 hospital", 1, 8], ["江苏省", "医院 hospital", 1, 6],
                                   ["江苏省", "经销商 distributor", 1, 4]]
        assert spread_total == [TOTAL, None, 3, lineage.quantity_outstanding]
        assert sum(row[3] for row in regions) == lineage.quantity_outstanding  # 18, not 24 (nor 26 before returns)
        fields = dict(event.fields)
        assert (fields["发货数量合计 Units shipped"], fields["在外数量合计 Units outstanding"]) == (20, 18)

        lines_table = implementation.tables[0]
        *lines, line_total = lines_table.rows
        c = columns(lines_table)
        by_name = {row[c["单位 Consignee"]]: row for row in lines}
        assert {name: (row[c["发货数量 Shipped"]], row[c["经销商配送 Delivered by distributor"]], row[c["转售数量 Sold on"]],
                       row[c["现有数量 Units held now"]], row[c["应召回数量 To recover"]], row[c["已召回 Recovered"]])
                for name, row in by_name.items()} == {
            "上海市第一人民医院": (10, None, None, 8, 10, 2),
            "华东医疗器械有限公司": (10, None, 6, 4, 4, 0),
            "苏州大学附属第一医院": (None, 6, None, 6, 6, 0)}
        summed = {name: line_total[c[name]] for name in ("发货数量 Shipped", "现有数量 Units held now",
                                                           "应召回数量 To recover", "已召回 Recovered")}
        assert summed == {"发货数量 Shipped": lineage.quantity_shipped, "现有数量 Units held now": lineage.quantity_outstanding,
                          "应召回数量 To recover": 20, "已召回 Recovered": 2}
        assert line_total[c["经销商配送 Delivered by distributor"]] == line_total[c["转售数量 Sold on"]] == 6
        fields = dict(implementation.fields)
        assert (fields["应召回数量 Units to recover"], fields["已召回数量 Units recovered"]) == (20, 2)
        assert by_name["上海市第一人民医院"][c["联系人 Contact"]] == "设备科 王主任 021-6324 0090"
        assert by_name["苏州大学附属第一医院"][c["经由 Via"]] == "华东医疗器械有限公司"

        # The Excel download is that model: its totals row is the lineage's too.
        xlsx = client.get(f"/recalls/{recall['recall_id']}/reports/implementation", headers=OFFICER,
                          params={"format": "xlsx"})
        assert xlsx.status_code == 200, xlsx.text
        header, *rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[1].iter_rows(values_only=True))
        assert rows[-1][0] == TOTAL and rows[-1][header.index("现有数量 Units held now")] == lineage.quantity_outstanding
        assert sum(r[header.index("现有数量 Units held now")] for r in rows[:-1]) == lineage.quantity_outstanding
        event_xlsx = load_workbook(io.BytesIO(client.get(f"/recalls/{recall['recall_id']}/reports/event", headers=OFFICER,
                                                         params={"format": "xlsx"}).content))
        assert list(event_xlsx.worksheets[2].iter_rows(values_only=True))[-1] == (TOTAL, None, 3, 18)


def test_the_lookup_export_has_the_distributor_leg_and_its_held_units_add_up_to_the_lineage(settings, pool):
    app = web_app("traceability")

    with TestClient(app) as client:
        _, ids = recalled(settings, pool, client)
        lineage = lineage_of(pool, client.app.state.service.read_models.schema)
        exported = client.get("/recalls/lookup/export", headers=OFFICER, params={"gtin": GTIN, "lot": LOT, "format": "csv"})
        assert exported.status_code == 200, exported.text
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        by_id = {(r["consignee_id"], r["via_distributor_id"]): r for r in rows}
        hospital, distributor, via = (str(ids[k]) for k in ("hospital", "distributor", "via"))
        assert {key: (r["via_distributor"], r["quantity_shipped"], r["quantity_sold_on"], r["quantity_held"])
                for key, r in by_id.items()} == {
            (hospital, ""): ("", "10", "", "8"),
            (distributor, ""): ("", "10", "6", "4"),
            (via, distributor): ("华东医疗器械有限公司", "6", "", "6")}
        assert by_id[(hospital, "")]["contact"] == "设备科 王主任 021-6324 0090"
        assert sum(int(r["quantity_held"]) for r in rows) == lineage.quantity_outstanding
        assert sum(int(r["quantity_shipped"]) for r in rows if not r["via_distributor_id"]) == lineage.quantity_shipped

        xlsx = client.get("/recalls/lookup/export", headers=OFFICER, params={"gtin": GTIN, "lot": LOT, "format": "xlsx"})
        book = load_workbook(io.BytesIO(xlsx.content))
        summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
        header, *lines = list(book.worksheets[1].iter_rows(values_only=True))
        assert summary["units outstanding"] == sum(r[header.index("quantity_held")] for r in lines) == 18
        assert summary["units shipped"] == lineage.quantity_shipped


def test_reports_name_the_product_the_case_number_codes_in_two_languages_and_china_time(settings, pool):
    app = web_app("traceability")

    with TestClient(app) as client:
        recall, _ = recalled(settings, pool, client)
        decided = datetime.fromisoformat(recall["decided_at"])
        assert recall["number"] == f"RC-{numbering_year(decided)}-0001"  # the first case of its year (in China)
        event, implementation = documents(client, pool, recall["recall_id"])
        fields = dict(event.fields)
        assert {k: fields[k] for k in ("召回编号 Recall number", "产品名称 Product", "型号规格 Model / specification",
                                       "生产企业 Manufacturer", "注册证编号 Registration certificate", "状态 Status",
                                       "召回级别 Level")} == {
            "召回编号 Recall number": recall["number"], "产品名称 Product": "冠脉支架系统",
            "型号规格 Model / specification": "RX-3.0×18mm",
            "生产企业 Manufacturer": "苏州医疗器械制造有限公司",  # no manufacturer on the item: the certificate holder
            "注册证编号 Registration certificate": "国械注准20193130001", "状态 Status": "进行中 open",
            "召回级别 Level": "二级 Class II (NMPA)"}
        c = columns(event.tables[0])
        assert (event.tables[0].rows[0][c["产品名称 Product"]], event.tables[0].rows[0][c["型号规格 Model"]]) == (
            "冠脉支架系统", "RX-3.0×18mm")
        statuses = {row[columns(implementation.tables[0])["状态 Status"]] for row in implementation.tables[0].rows[:-1]}
        assert statuses == {"待通知 pending"}
        kinds = {row[1] for row in implementation.tables[0].rows[:-1]}
        assert kinds == {"医院 hospital", "经销商 distributor"}

        book = load_workbook(io.BytesIO(client.get(f"/recalls/{recall['recall_id']}/reports/event", headers=OFFICER,
                                                   params={"format": "xlsx"}).content))
        summary = dict(book["Summary"].iter_rows(min_row=2, values_only=True))
        shown = summary["决定召回时间 Decided at"]
        assert shown.endswith("+08:00") and datetime.fromisoformat(shown) == decided.replace(microsecond=0)
        assert summary["召回编号 Recall number"] == recall["number"]
        for kind in ("event", "implementation"):
            pdf = client.get(f"/recalls/{recall['recall_id']}/reports/{kind}", headers=OFFICER)
            assert pdf.status_code == 200, pdf.text
            assert pdf.content[:5] == b"%PDF-" and recall["number"] in pdf.headers["content-disposition"]


def test_a_hospital_named_like_a_formula_is_text_in_every_export(settings, pool):
    app = web_app("traceability")

    with TestClient(app) as client:
        recall, _ = recalled(settings, pool, client, sold_to_name=EVIL)
        downloads = [client.get(f"/recalls/{recall['recall_id']}/reports/{kind}", headers=OFFICER,
                                params={"format": "xlsx"}) for kind in ("implementation", "event")]
        downloads.append(client.get("/recalls/lookup/export", headers=OFFICER,
                                    params={"gtin": GTIN, "lot": LOT, "format": "xlsx"}))
        for download in downloads:
            assert download.status_code == 200, download.text
            cells = [cell for sheet in load_workbook(io.BytesIO(download.content)).worksheets
                     for row in sheet.iter_rows() for cell in row if cell.value is not None]
            assert not any(cell.data_type == "f" for cell in cells)
        names = [cell.value for sheet in load_workbook(io.BytesIO(downloads[0].content)).worksheets
                 for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str) and "HYPERLINK" in cell.value]
        assert names == ["'" + EVIL]
        exported = client.get("/recalls/lookup/export", headers=OFFICER, params={"gtin": GTIN, "lot": LOT, "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert sorted(r["name"] for r in rows if "HYPERLINK" in r["name"]) == ["'" + EVIL]
