"""A recall case from an adverse event to closure, through HTTP and Kafka only, every service as processes.

Two hospitals receive units of one lot. A death is reported for that lot (report due in 7 days); a 二级
recall is opened from it, which puts the lot on hold in inventory. Deadlines are judged at a chosen time
(`at`): nobody is overdue now, both consignees are four days on. One hospital is notified, acknowledges and
returns part of its units (the return reaches the case through inventory's event); the case is closed with
the effectiveness as it stood.
"""

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from services.demo import in_days, udi_scan
from shared.platform.auth import issue_token
from tests.items import registered_item_via_api
from tests.waiting import wait_for
from tests.apitools import approve_typed_prices

GTIN = "09506000134352"
LOT, EXPIRY = "RC-1", in_days(400)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ship(http, url, hospital_id: str, quantity: int) -> tuple[str, str]:  # noqa: ANN001
    placed = wait_for(lambda: (r := http.post(f"{url('order')}/orders", json={
        "hospital_id": hospital_id, "lines": [{"gtin": GTIN, "quantity": quantity, "unit_price": "100.00"}]}))
        .status_code == 201 and r.json(), "the order service to learn the hospital")
    order_id = approve_typed_prices(http, placed, url("order"))["order_id"]
    wait_for(lambda: http.get(f"{url('inventory')}/fulfilments/{order_id}").status_code == 200
             and http.get(f"{url('inventory')}/fulfilments/{order_id}").json()["status"] == "reserved", "the reservation")
    picked = http.post(f"{url('inventory')}/fulfilments/{order_id}/picks",
                       json={"scans": [udi_scan(GTIN, EXPIRY, LOT, quantity)]})
    assert picked.status_code == 200, picked.text
    dispatched = http.post(f"{url('inventory')}/fulfilments/{order_id}/dispatch",
                           json={"carrier": "SF Express", "tracking_number": f"SF-{quantity}"})
    assert dispatched.status_code == 200, dispatched.text
    return order_id, dispatched.json()["shipments"][0]["shipment_id"]


def test_recall_case_from_adverse_event_through_notice_returns_and_closure(stack, http):
    stack.start_all()
    stack.wait_until_ready()
    url = stack.url
    trace = url("traceability")
    first = http.post(f"{url('channel')}/hospitals", json={"name": "华西医院", "province": "四川省", "grade": "3A",
                                                           "contact": {"name": "设备科 王主任", "phone": "028-8542 2114"}}).json()
    second = http.post(f"{url('channel')}/hospitals", json={"name": "省人民医院", "province": "四川省", "grade": "3A"}).json()
    registered_item_via_api(http, None, GTIN, base_url=url("inventory"))  # with its registration certificate
    supplier = http.post(f"{url('inventory')}/suppliers", json={"name": "苏州医疗器械制造有限公司"}).json()
    for kind, number in (("business_licence", "91320500MA1XXXXX0A"), ("production_licence", "苏械生产许20160001号")):
        assert http.post(f"{url('inventory')}/suppliers/{supplier['supplier_id']}/qualifications", json={
            "document_type": kind, "number": number, "valid_from": "2024-01-01", "valid_to": in_days(3650)}
        ).status_code == 201
    assert http.post(f"{url('inventory')}/goods-receipts", json={"supplier_id": supplier["supplier_id"], "lines": [
        {"gtin": GTIN, "lot": LOT, "expiry": EXPIRY, "quantity": 50, "warehouse": "WH-CD"}]}).status_code == 201
    assert http.post(f"{url('inventory')}/quality/inspections", json={
        "gtin": GTIN, "lot": LOT, "warehouse": "WH-CD", "result": "released"}).status_code == 200
    first_order, first_shipment = ship(http, url, first["hospital_id"], 10)
    wait_for(lambda: http.get(f"{trace}/recalls/lookup", params={"gtin": GTIN, "lot": LOT}).json()["total"] == 1,
             "the lineage to know the first shipment")
    between = datetime.now(UTC)
    ship(http, url, second["hospital_id"], 5)
    changed = http.put(f"{url('channel')}/hospitals/{second['hospital_id']}/contact",
                       json={"name": "李主任", "email": "li@example.cn"})
    assert changed.json()["contact"] == {"name": "李主任", "phone": None, "email": "li@example.cn"}
    wait_for(lambda: {c["name"]: c["contact"] for c in http.get(f"{trace}/recalls/lookup", params={
        "gtin": GTIN, "lot": LOT}).json()["consignees"]} == {
        "华西医院": {"name": "设备科 王主任", "phone": "028-8542 2114", "email": None},
        "省人民医院": {"name": "李主任", "phone": None, "email": "li@example.cn"}}, "the lineage to know both hospitals")

    now = datetime.now(UTC)
    death = http.post(f"{trace}/adverse-events", json={
        "gtin": GTIN, "lot": LOT, "hospital_id": first["hospital_id"], "outcome": "death",
        "description": "术后支架断裂", "became_aware_at": iso(now - timedelta(hours=1))})
    assert death.status_code == 201, death.text
    death = death.json()
    assert (death["status"], death["report_due_at"][:10]) == ("due", (now - timedelta(hours=1) + timedelta(days=7)).date().isoformat())
    overdue = lambda at: http.get(f"{trace}/adverse-events", params={"overdue": "true", "at": iso(at)}).json()  # noqa: E731
    assert wait_for(lambda: overdue(now + timedelta(days=8))["total"] == 1, "the adverse-event list")
    assert overdue(now)["total"] == 0

    decided = now - timedelta(minutes=30)
    opened = http.post(f"{trace}/adverse-events/{death['adverse_event_id']}/recall", json={
        "title": "支架断裂召回", "level": 2, "reason": "支架断裂风险", "decided_at": iso(decided)})
    assert opened.status_code == 201, opened.text
    recall = opened.json()
    recall_id = recall["recall_id"]
    assert (recall["level_name"], recall["lots"], recall["adverse_event_id"]) == (
        "二级", [{"gtin": GTIN, "lot": LOT}], death["adverse_event_id"])
    assert recall["notify_by"][:16] == iso(decided + timedelta(days=3))[:16]
    assert recall["consignees_by_status"] == {"pending": 2}
    again = http.post(f"{trace}/adverse-events/{death['adverse_event_id']}/recall", json={
        "title": "again", "level": 1, "reason": "again", "decided_at": iso(decided)})
    assert (again.status_code, again.json()["rule"]) == (409, "one-recall")

    # Inventory heard of the recall and holds the lot: nothing of it is reserved or shipped any more.
    wait_for(lambda: {r["status"] for r in http.get(f"{url('inventory')}/stock", params={"gtin": GTIN}).json()["items"]}
             == {"on_hold"}, "inventory to put the recalled lot on hold")

    def consignees(at: datetime, status: str | None = None) -> dict:
        params = {"at": iso(at), **({"status": status} if status else {})}
        return {c["name"]: c for c in http.get(f"{trace}/recalls/{recall_id}/consignees", params=params).json()["items"]}

    assert set(consignees(now)) == {"华西医院", "省人民医院"}
    assert consignees(now, "overdue") == {}
    assert set(consignees(now + timedelta(days=4), "overdue")) == {"华西医院", "省人民医院"}
    listed = wait_for(lambda: (r := http.get(f"{trace}/recalls/overdue", params={"at": iso(now + timedelta(days=4))})
                               .json())["total"] == 2 and r, "the case list to know the open case")
    assert sorted((o["name"], o["quantity_outstanding"]) for o in listed["items"]) == [("华西医院", 10), ("省人民医院", 5)]

    stranger = http.post(f"{trace}/recalls/{recall_id}/notifications", json={
        "consignee_id": supplier["supplier_id"], "notified_at": iso(now), "method": "phone"})
    assert (stranger.status_code, stranger.json()["rule"]) == (409, "consignee-of-recall")
    early_ack = http.post(f"{trace}/recalls/{recall_id}/acknowledgements", json={
        "consignee_id": second["hospital_id"], "acknowledged_at": iso(now), "acknowledged_by": "李主任"})
    assert (early_ack.status_code, early_ack.json()["rule"]) == (409, "notified-first")
    notice = {"consignee_id": first["hospital_id"], "notified_at": iso(now), "method": "phone"}
    assert http.post(f"{trace}/recalls/{recall_id}/notifications", json=notice).status_code == 200
    assert http.post(f"{trace}/recalls/{recall_id}/notifications", json=notice).status_code == 200  # a retry
    assert http.post(f"{trace}/recalls/{recall_id}/acknowledgements", json={
        "consignee_id": first["hospital_id"], "acknowledged_at": iso(now), "acknowledged_by": "王主任"}).status_code == 200
    # As known between the two shipments (before the case existed: its scope as opened), then after the notice.
    at_first = http.get(f"{trace}/recalls/{recall_id}/consignees/as-of", params={"at": iso(between)}).json()
    assert [(c["name"], c["quantity_outstanding"], c["status"]) for c in at_first["consignees"]] == [
        ("华西医院", 10, "pending")]
    after_notice = http.get(f"{trace}/recalls/{recall_id}/consignees/as-of",
                            params={"at": iso(datetime.now(UTC) + timedelta(seconds=1))}).json()
    assert {c["name"]: c["status"] for c in after_notice["consignees"]} == {"华西医院": "acknowledged", "省人民医院": "pending"}
    assert after_notice["case_version"] > at_first["case_version"] == 1
    later = consignees(now + timedelta(days=4))
    assert (later["华西医院"]["status"], later["省人民医院"]["status"]) == ("acknowledged", "overdue")

    returned = http.post(f"{url('inventory')}/returns", json={
        "order_id": first_order, "shipment_id": first_shipment, "reason": "recall", "disposition": "quarantine",
        "warehouse": "WH-RETURNS", "lines": [{"gtin": GTIN, "lot": LOT, "quantity": 4}]})
    assert returned.status_code == 201, returned.text
    effectiveness = wait_for(lambda: (e := http.get(f"{trace}/recalls/{recall_id}").json()["effectiveness"])
                             ["units_recovered"] == 4 and e, "the return to reach the recall case")
    assert effectiveness == {"consignees_to_notify": 2, "consignees_notified": 1, "consignees_acknowledged": 1,
                             "units_to_recover": 15, "units_recovered": 4, "notified_share": 0.5,
                             "acknowledged_share": 0.5, "recovered_share": 0.2667}
    assert consignees(now)["华西医院"]["units_recovered"] == 4

    check_reports(http, trace, recall_id)

    requested = http.post(f"{trace}/recalls/{recall_id}/close", json={"summary": "一家医院未回复，已上报监管部门"})
    assert requested.status_code == 200 and requested.json()["status"] == "open", requested.text
    second_officer = {"Authorization": f"Bearer {issue_token('qa-wang', ['recall_officer'])}"}
    closed = http.post(f"{trace}/recalls/{recall_id}/close/approval", headers=second_officer)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["effectiveness_at_closure"]["units_recovered"]) == ("closed", 4)
    after = http.post(f"{trace}/recalls/{recall_id}/notifications", json={**notice, "consignee_id": second["hospital_id"]})
    assert (after.status_code, after.json()["rule"]) == (409, "case-open")
    cases = wait_for(lambda: (p := http.get(f"{trace}/recalls", params={"lot": LOT}).json())["items"]
                     and p["items"][0]["status"] == "closed" and p, "the case list to show the closure")
    assert [(c["recall_id"], c["consignees_notified"], c["units_returned"]) for c in cases["items"]] == [(recall_id, 1, 4)]
    linked = http.get(f"{trace}/adverse-events/{death['adverse_event_id']}").json()
    assert linked["recall_id"] == recall_id


def check_reports(http, trace: str, recall_id: str) -> None:  # noqa: ANN001
    """The implementation report names every consignee and lot with its UDI and the figures; the event report
    and the lookup export agree with it."""
    udi = f"(01){GTIN}(17){datetime.fromisoformat(EXPIRY):%y%m%d}(10){LOT}"
    xlsx = http.get(f"{trace}/recalls/{recall_id}/reports/implementation", params={"format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats"), xlsx.text[:200]
    book = load_workbook(io.BytesIO(xlsx.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["应通知单位 Consignees to notify"], summary["已通知单位 Notified"],
            summary["应召回数量 Units to recover"], summary["已召回数量 Units recovered"]) == (2, 1, 15, 4)
    header, *lines, total = list(book.worksheets[1].iter_rows(values_only=True))
    column = {name: i for i, name in enumerate(header)}
    assert sorted((r[column["单位 Consignee"]], r[column["联系人 Contact"]], r[column["UDI"]], r[column["已召回 Recovered"]],
                   r[column["状态 Status"]]) for r in lines) == [
        ("华西医院", "设备科 王主任 028-8542 2114", udi, 4, "已确认 acknowledged"),
        ("省人民医院", "李主任 li@example.cn", udi, 0, "待通知 pending")]
    assert (total[0], total[column["应召回数量 To recover"]], total[column["已召回 Recovered"]]) == ("合计 Total", 15, 4)
    pdf = http.get(f"{trace}/recalls/{recall_id}/reports/event", params={"format": "pdf"})
    assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
    assert http.get(f"{trace}/recalls/{recall_id}/reports/summary").status_code == 422
    exported = http.get(f"{trace}/recalls/lookup/export", params={"gtin": GTIN, "lot": LOT, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert sorted((r["name"], r["udi"], r["quantity_outstanding"]) for r in rows) == [
        ("华西医院", udi, "6"), ("省人民医院", udi, "5")]
