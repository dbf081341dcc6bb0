"""A recall names lots traceability knows, unless the officer says deliberately that it may not (and the answer then
lists them); an adverse event names a registered hospital. Recall numbers are per year of the decision in China,
gap-free even when cases are opened at the same moment. Real PostgreSQL, the API in-process."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from services.traceability.application import TraceabilityApplication, TraceabilityUnitOfWork
from services.traceability.application.recall_opening import OpenRecall, open_recall
from services.traceability.domain.recall_number import RecallNumbers, sequence_id
from services.traceability.projections.lineage import ShipmentLineage
from services.traceability.projections.lots import LotCatalogue
from services.traceability.projections.recalls import RecallCases
from services.traceability.queries.master_data import known_lots
from shared.events.channel import HospitalRegistered
from shared.events.inventory import KitAssembled, LotReceived
from shared.events.traceability import RecallOpened
from shared.platform.auth import issue_token
from shared.platform.consumer import Delivery
from shared.platform.context import acting_as
from shared.platform.read_models import ReadModels
from tests.apitools import stored
from tests.integration.test_recall_case_consignees import EXPIRY, Feed, envelope_of, shipment
from tests.apps import web_app

GTIN, KIT = "09506000134352", "09506000134383"
OFFICER = {"Authorization": f"Bearer {issue_token('qa-li', ['recall_officer'])}"}


def recall(lots: list[str], **extra) -> dict:  # noqa: ANN003
    return {"title": "导管召回", "level": 3, "reason": "标签错误", "decided_at": datetime.now(UTC).isoformat(),
            "lots": [{"gtin": GTIN, "lot": lot} for lot in lots], **extra}


def test_a_recall_of_an_unknown_lot_is_refused_naming_it_unless_asked_for_deliberately(settings, pool):
    app = web_app("traceability")

    hospital = uuid4()
    with TestClient(app) as client:
        Feed(settings, pool).apply(
            LotReceived(item_id=uuid4(), gtin=GTIN, lot="RECEIVED", expiry=EXPIRY, quantity=5, warehouse="WH"),
            shipment(hospital, GTIN, "SHIPPED", 2),  # known from the lineage before the catalogue hears of it
            KitAssembled(item_id=uuid4(), gtin=KIT, assembly_id=uuid4(), lot="K-1", expiry=EXPIRY, quantity=1,
                         warehouse="WH", components=[{"gtin": GTIN, "lot": "CONSUMED", "expiry": EXPIRY,
                                                      "warehouse": "WH", "quantity": 1}]))
        application = client.app.state.service.application
        before = stored(application)
        typo = client.post("/recalls", headers=OFFICER, json=recall(["RECEIVED", "RECIEVED"]))
        assert typo.status_code == 422, typo.text
        assert [(e["field"], e["rule"]) for e in typo.json()["errors"]] == [("lots[1].lot", "known-lot")]
        assert stored(application) == before  # nothing: no case, no number taken

        known = client.post("/recalls", headers=OFFICER, json=recall(["RECEIVED", "SHIPPED", "CONSUMED"]))
        assert known.status_code == 201, known.text
        assert known.json()["unknown_lots"] == []
        deliberate = client.post("/recalls", headers=OFFICER,
                                 json=recall(["RECEIVED", "OLD-1"], allow_unknown_lots=True))
        assert deliberate.status_code == 201, deliberate.text
        assert deliberate.json()["unknown_lots"] == [{"gtin": GTIN, "lot": "OLD-1"}]
        # Numbered one after the other: the refused opening took no number.
        assert [known.json()["number"][-4:], deliberate.json()["number"][-4:]] == ["0001", "0002"]


def test_an_adverse_event_names_a_registered_hospital_and_its_recall_a_known_lot(settings, pool):
    app = web_app("traceability")

    hospital = uuid4()
    report = {"gtin": GTIN, "lot": "L-1", "outcome": "serious_injury", "description": "输送系统回撤困难",
              "became_aware_at": datetime.now(UTC).isoformat()}
    with TestClient(app) as client:
        Feed(settings, pool).apply(HospitalRegistered(hospital_id=hospital, name="华西医院", province="四川省",
                                                      grade="3A"))
        application = client.app.state.service.application
        stranger = client.post("/adverse-events", headers=OFFICER, json={**report, "hospital_id": str(uuid4())})
        assert stranger.status_code == 422, stranger.text
        assert [(e["field"], e["rule"]) for e in stranger.json()["errors"]] == [("hospital_id", "registered-hospital")]
        assert stored(application) == 0
        reported = client.post("/adverse-events", headers=OFFICER, json={**report, "hospital_id": str(hospital)})
        assert reported.status_code == 201, reported.text
        opened_from = f"/adverse-events/{reported.json()['adverse_event_id']}/recall"
        body = {"title": "支架召回", "level": 2, "reason": "回撤困难", "decided_at": datetime.now(UTC).isoformat()}
        unknown = client.post(opened_from, headers=OFFICER, json=body)  # its lot L-1 was never received or shipped
        assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "lots[0].lot")
        opened = client.post(opened_from, headers=OFFICER, json={**body, "allow_unknown_lots": True})
        assert opened.status_code == 201, opened.text
        assert (opened.json()["unknown_lots"], opened.json()["adverse_event_id"]) == (
            [{"gtin": GTIN, "lot": "L-1"}], reported.json()["adverse_event_id"])


def test_cases_opened_at_once_get_consecutive_numbers_of_their_year_in_china(settings, pool):
    decided = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January 2026 in China
    applications = [TraceabilityApplication(settings) for _ in range(4)]  # like four API processes
    for projection in (ShipmentLineage, LotCatalogue):  # the read models the rules ask (empty: every lot unknown)
        projection(pool, applications[0].schema).setup()

    def open_one(n: int, decided_at: datetime = decided) -> str:
        with acting_as(f"user:officer-{n}"):
            opened = open_recall(OpenRecall(
                recall_id=uuid4(), title=f"召回 {n}", scheme="NMPA", level=3, reason="r", decided_at=decided_at,
                lots=[{"gtin": GTIN, "lot": f"L-{n}"}], allow_unknown_lots=True),
                TraceabilityUnitOfWork(applications[n % 4], pool))  # the numbering race is the question here
        assert opened.created
        return opened.case.number

    try:
        with ThreadPoolExecutor(max_workers=8) as pool_:
            numbers = list(pool_.map(open_one, range(8)))
        assert sorted(numbers) == [f"RC-2026-{n:04d}" for n in range(1, 9)]
        year = applications[0].repository.get(sequence_id(2026))
        assert isinstance(year, RecallNumbers) and year.last == 8 and sorted(year.issued.values()) == sorted(numbers)
        assert open_one(9, decided - timedelta(hours=1)) == "RC-2025-0001"
    finally:
        for application in applications:
            application.close()


def test_a_case_opened_before_recalls_were_numbered_is_listed_by_its_id(settings, pool):
    app = web_app("traceability")

    old = RecallOpened(recall_id=uuid4(), title="旧召回", scheme="NMPA", level=2, reason="r",
                       decided_at=datetime(2025, 3, 1, tzinfo=UTC), notify_by=datetime(2025, 3, 4, tzinfo=UTC),
                       lots=[{"gtin": GTIN, "lot": "OLD"}])
    with TestClient(app) as client:
        RecallCases(pool, settings.schema_for("traceability")).handle_batch(
            [Delivery(settings.topic_for("traceability"), 0, 1, envelope_of(old))])
        listed = client.get("/recalls", headers=OFFICER).json()["items"]
    assert [(r["recall_id"], r["number"]) for r in listed] == [(str(old.recall_id), str(old.recall_id))]
    assert known_lots(ReadModels(pool, settings.schema_for("traceability")), [(GTIN, "OLD")]) == set()
