"""Opening a recall case through its handler, on the in-memory event store: the year's gap-free numbers, the kit
lots recalled with their components, the unknown-lot rule, an opening from an adverse event, a taken number retried,
and the Idempotency-Key rules when a retry races the first request."""

from contextlib import contextmanager
from datetime import timedelta
from uuid import uuid4

import pytest

from services.traceability.application import TraceabilityApplication
from services.traceability.application.adverse_events import (
    OpenRecallFromAdverseEvent, ReportAdverseEvent, open_recall_from_adverse_event, report_adverse_event,
)
from services.traceability.application.recall_opening import OpenRecall, open_recall
from services.traceability.domain.recall_number import RecallNumbers, sequence_id
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from shared.platform.problems import Problem
from shared.platform.request_records import IdempotentRequest, current_request
from tests.unit.traceability_world import GTIN, NOW, World, app, stored, world  # noqa: F401 - the fixtures

KIT = "09506000134383"


def recall(*lots: str, recall_id=None, **extra) -> OpenRecall:  # noqa: ANN001, ANN003
    return OpenRecall(recall_id=recall_id or uuid4(), title="支架召回", scheme="NMPA", level=2, reason="断裂",
                      decided_at=NOW - timedelta(hours=1), lots=[{"gtin": GTIN, "lot": lot} for lot in lots], **extra)


def test_cases_are_numbered_per_year_without_gaps_and_a_refused_opening_takes_no_number(app, world):
    first = open_recall(recall("L1"), world.unit_of_work(app))
    with pytest.raises(InvalidReference) as typo:
        open_recall(recall("L1", "L9"), world.unit_of_work(app))
    second = open_recall(recall("L2", "OLD", allow_unknown_lots=True), world.unit_of_work(app))
    assert (typo.value.rule, typo.value.field) == ("known-lot", "lots[1].lot")
    assert [first.case.number, second.case.number] == ["RC-2026-0001", "RC-2026-0002"]
    assert (first.unknown_lots, second.unknown_lots) == ([], [{"gtin": GTIN, "lot": "OLD"}])
    assert stored(app) == ["Opened", "Started", "Opened", "Issued"]  # the case and its number, together


def test_the_kit_lots_made_from_a_recalled_lot_are_recalled_with_it(app, world):
    world.kits[(GTIN, "L1")] = [(KIT, "K1"), (GTIN, "L2")]  # L2 is recalled by name already
    opened = open_recall(recall("L1", "L2"), world.unit_of_work(app))
    assert (opened.case.kit_lots, opened.case.scope_lots) == (
        [{"gtin": KIT, "lot": "K1"}], [{"gtin": GTIN, "lot": "L1"}, {"gtin": GTIN, "lot": "L2"}, {"gtin": KIT, "lot": "K1"}])


def test_an_opening_again_finds_the_first_case_and_stores_nothing(app, world):
    command = recall("L1")
    first = open_recall(command, world.unit_of_work(app))
    again = open_recall(command, world.unit_of_work(app))
    assert (first.created, again.created, again.case.number) == (True, False, "RC-2026-0001")
    assert len(stored(app)) == 2


def test_a_number_taken_meanwhile_is_retried_with_the_next_one(app, world):
    open_recall(recall("L1"), world.unit_of_work(app))
    late = world.unit_of_work(app)
    late.get(sequence_id(2026), RecallNumbers)  # it read the year's numbers before another opening took one
    open_recall(recall("L2"), world.unit_of_work(app))
    opened = open_recall(recall("L1"), late)
    assert (opened.created, opened.case.number) == (True, "RC-2026-0003")
    assert app.get_aggregate(sequence_id(2026), RecallNumbers).last == 3


@contextmanager
def request(key: str, digest: str):  # noqa: ANN201 - the Idempotency-Key of the request being served
    token = current_request.set(IdempotentRequest("user:qa-li", key, digest))
    try:
        yield
    finally:
        current_request.reset(token)


class RacingRetry(World):
    """While the first request checks its lots, a retry under the same key (with `digest`) opens the case."""

    def __init__(self, app: TraceabilityApplication, command: OpenRecall, key: str, digest: str) -> None:
        super().__init__(lots={(GTIN, "L1")})
        self.app, self.command, self.key, self.digest, self.raced = app, command, key, digest, False

    def known_lots(self, lots):  # noqa: ANN001, ANN201
        if not self.raced:
            self.raced = True
            with request(self.key, self.digest):
                open_recall(self.command, World(lots=self.lots).unit_of_work(self.app))
        return super().known_lots(lots)


def test_a_retry_that_wins_the_race_is_the_answer_unless_it_was_another_request(app):
    same = recall("L1")
    with request("key-1", "digest-a"):
        answer = open_recall(same, RacingRetry(app, same, "key-1", "digest-a").unit_of_work(app))
    assert (answer.created, answer.case.number, len(stored(app))) == (False, "RC-2026-0001", 2)
    other = recall("L1")
    with request("key-2", "digest-a"), pytest.raises(Problem) as reused:
        open_recall(other, RacingRetry(app, other, "key-2", "digest-b").unit_of_work(app))
    assert (reused.value.status, reused.value.extensions["errors"][0]["rule"]) == (422, "idempotency-key-reused")
    assert len(stored(app)) == 4  # the other request's case only


def test_a_recall_from_an_adverse_event_recalls_its_lot_and_links_it_once(app, world):
    hospital = uuid4()
    world.hospitals.add(hospital)
    event, _ = report_adverse_event(ReportAdverseEvent(
        adverse_event_id=uuid4(), gtin=GTIN, lot="L1", serial=None, udi=None, hospital_id=hospital, outcome="death",
        description="死亡病例", occurred_at=None, became_aware_at=NOW - timedelta(hours=2)), world.unit_of_work(app))

    def from_event(adverse_event_id=event.id):  # noqa: ANN001, ANN202
        return open_recall_from_adverse_event(OpenRecallFromAdverseEvent(
            adverse_event_id=adverse_event_id, recall_id=uuid4(), title="召回", scheme="NMPA", level=1, reason="死亡",
            decided_at=NOW - timedelta(hours=1)), world.unit_of_work(app))

    opened = from_event()
    assert (opened.case.lots, opened.case.adverse_event_id) == ([{"gtin": GTIN, "lot": "L1"}], event.id)
    assert stored(app)[1:] == ["Opened", "Started", "RecallOpened"]  # case, number and event in one save
    with pytest.raises(RuleViolation) as twice:
        from_event()
    with pytest.raises(NotFound):
        from_event(uuid4())
    assert twice.value.rule == "one-recall" and len(stored(app)) == 4
