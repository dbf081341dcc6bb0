"""Taking lots out of an open recall's scope takes two recall officers: one proposes with a reason, another approves
(the proposer cannot). Approved, the lot leaves the case's consignees, reports and the open scope the return reaction
reads, and the closure names the scope as it then stood. Real PostgreSQL, the API in-process."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from services.traceability.projections.recalls import RecallCases
from services.traceability.reactions import RecallReturns
from shared.events.channel import HospitalRegistered
from shared.events.inventory import LotReceived
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery
from tests.apitools import stored
from tests.integration.test_recall_case_consignees import EXPIRY, Feed, shipment
from tests.apps import web_app

GTIN = "09506000134352"


def officer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(name, ['recall_officer'])}"}


LI, WANG = officer("qa-li"), officer("qa-wang")


def project_case_events(client, settings, pool) -> None:  # noqa: ANN001
    """Traceability's own log applied through the recall-case projection, as its worker would."""
    application = client.app.state.service.application
    projection = RecallCases(pool, settings.schema_for("traceability"))
    projection.setup()
    deliveries = [Delivery(settings.topic_for("traceability"), 0, n.id, application.envelope(n))
                  for n in application.recorder.select_notifications(start=1, limit=1000)]
    projection.handle_batch(deliveries)


def test_a_second_recall_officer_takes_a_lot_out_of_scope_and_it_leaves_the_case(settings, pool):
    app = web_app("traceability")

    kept, cleared = uuid4(), uuid4()
    with TestClient(app) as client:
        Feed(settings, pool).apply(
            HospitalRegistered(hospital_id=kept, name="华西医院", province="四川省", grade="3A"),
            HospitalRegistered(hospital_id=cleared, name="省人民医院", province="四川省", grade="3A"),
            LotReceived(item_id=uuid4(), gtin=GTIN, lot="A-1", expiry=EXPIRY, quantity=9, warehouse="WH"),
            LotReceived(item_id=uuid4(), gtin=GTIN, lot="B-1", expiry=EXPIRY, quantity=9, warehouse="WH"),
            shipment(kept, GTIN, "A-1", 4), shipment(cleared, GTIN, "B-1", 3))
        opened = client.post("/recalls", headers=LI, json={
            "title": "导管召回", "level": 2, "reason": "涂层脱落", "decided_at": datetime.now(UTC).isoformat(),
            "lots": [{"gtin": GTIN, "lot": "A-1"}, {"gtin": GTIN, "lot": "B-1"}]})
        assert opened.status_code == 201, opened.text
        recall_id = opened.json()["recall_id"]
        base = f"/recalls/{recall_id}/scope-reductions"

        proposed = client.post(base, headers=LI, json={"lots": [{"gtin": GTIN, "lot": "B-1"}],
                                                       "reason": "B-1 批次检验合格，涂层来自另一批原料"})
        assert proposed.status_code == 201, proposed.text
        proposal = proposed.json()
        assert (proposal["status"], proposal["proposed_by"], proposal["recall_number"]) == (
            "pending", "user:qa-li", opened.json()["number"])
        assert client.get(f"/recalls/{recall_id}", headers=LI).json()["pending_scope_reductions"] == 1

        # The proposer cannot approve it; nobody without the role can; nothing is stored by either.
        events = stored(client.app.state.service.application)
        own = client.post(f"{base}/{proposal['proposal_id']}/approval", headers=LI)
        assert (own.status_code, own.json()["rule"]) == (409, "four-eyes")
        clerk = {"Authorization": f"Bearer {issue_token('bob', ['order_desk'])}"}
        assert client.post(f"{base}/{proposal['proposal_id']}/approval", headers=clerk).status_code == 403
        assert client.post(base, headers=clerk, json={"lots": [{"gtin": GTIN, "lot": "A-1"}], "reason": "x"}
                           ).status_code == 403
        outside = client.post(base, headers=LI, json={"lots": [{"gtin": GTIN, "lot": "C-1"}], "reason": "typo"})
        assert (outside.status_code, outside.json()["errors"][0]["field"], outside.json()["errors"][0]["rule"]) == (
            422, "lots[0]", "in-recall-scope")
        assert client.post(f"{base}/{uuid4()}/approval", headers=WANG).status_code == 404
        assert stored(client.app.state.service.application) == events

        approved = client.post(f"{base}/{proposal['proposal_id']}/approval", headers=WANG)
        assert approved.status_code == 200, approved.text
        assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "user:qa-wang")
        case = client.get(f"/recalls/{recall_id}", headers=LI).json()
        assert (case["lots"], case["removed_lots"], case["pending_scope_reductions"]) == (
            [{"gtin": GTIN, "lot": "A-1"}], [{"gtin": GTIN, "lot": "B-1"}], 0)
        assert case["effectiveness"]["consignees_to_notify"] == 1
        consignees = client.get(f"/recalls/{recall_id}/consignees", headers=LI).json()["items"]
        assert [c["name"] for c in consignees] == ["华西医院"]
        as_of = client.get(f"/recalls/{recall_id}/consignees/as-of", headers=LI,
                           params={"at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()}).json()
        assert [c["name"] for c in as_of["consignees"]] == ["华西医院"]
        # A notice to the consignee of the removed lot is no notice of this recall any more.
        stranger = client.post(f"/recalls/{recall_id}/notifications", headers=LI, json={
            "consignee_id": str(cleared), "notified_at": datetime.now(UTC).isoformat(), "method": "phone"})
        assert (stranger.status_code, stranger.json()["rule"]) == (409, "consignee-of-recall")

        # The open scope the return reaction reads no longer holds B-1; the list still finds the case by it.
        project_case_events(client, settings, pool)
        returns = RecallReturns(client.app.state.service.application, pool)  # with the same ports as the worker
        open_scope = returns.new_unit_of_work(True).open_recalls  # what the reaction asks
        assert open_scope.covering(GTIN, "B-1", []) == []
        assert [str(r) for r in open_scope.covering(GTIN, "A-1", [])] == [recall_id]
        listed = client.get("/recalls", headers=LI, params={"lot": "B-1"}).json()["items"]
        assert [(r["recall_id"], r["number"]) for r in listed] == [(recall_id, opened.json()["number"])]

        # A second proposal is rejected (by anyone with the role, with a reason): nothing changes.
        again = client.post(base, headers=WANG, json={"lots": [{"gtin": GTIN, "lot": "A-1"}], "reason": "复核"}).json()
        rejected = client.post(f"{base}/{again['proposal_id']}/rejection", headers=LI, json={"reason": "A-1 仍有风险"})
        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == ("rejected", "A-1 仍有风险")
        late = client.post(f"{base}/{again['proposal_id']}/approval", headers=LI)
        assert (late.status_code, late.json()["rule"]) == (409, "proposal-pending")
        assert [p["status"] for p in client.get(base, headers=LI).json()] == ["approved", "rejected"]

        requested = client.post(f"/recalls/{recall_id}/close", headers=LI, json={"summary": "已完成"})
        assert requested.json()["closure_requested"]["requested_by"] == "user:qa-li", requested.text
        own = client.post(f"/recalls/{recall_id}/close/approval", headers=LI)
        assert (own.status_code, own.json()["rule"]) == (409, "four-eyes")
        closed = client.post(f"/recalls/{recall_id}/close/approval", headers=WANG)
        assert closed.status_code == 200, closed.text
        assert closed.json()["closed_by"] == {"requested_by": "user:qa-li", "approved_by": "user:qa-wang"}
        application = client.app.state.service.application
        last = application.mapper.to_domain_event(list(application.recorder.select_notifications(start=1, limit=1000))[-1])
        payload = application.to_payload(last)
        assert (payload.event_type(), [(r.gtin, r.lot) for r in payload.lots], payload.serials) == (
            "erp.traceability.RecallClosed", [(GTIN, "A-1")], [])
        project_case_events(client, settings, pool)
        assert open_scope.covering(GTIN, "A-1", []) == []  # closed: nothing of it is open any more
