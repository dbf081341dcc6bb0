"""A recall case's scope reductions were recorded as RecallCase's own events before the scope became a part of its own
(domain/scope.py). Stored under those old topics they keep loading — into the case as it is now — and are still
published as the same contracts; new ones are stored under the part's topics."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from services.traceability.application import TraceabilityApplication
from services.traceability.domain.recall import RecallCase
from shared.platform.context import acting_as

GTIN = "09506000134352"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
L1, L2, L3 = ({"gtin": GTIN, "lot": lot} for lot in ("L1", "L2", "L3"))
# As production's stores hold them.
OLD_TOPICS = {name: f"services.traceability.domain.recall:RecallCase.{name}"
              for name in ("ScopeReductionProposed", "ScopeReduced", "ScopeReductionRejected")}


@pytest.fixture
def app():
    app = TraceabilityApplication.in_memory()
    yield app
    app.close()


def reduced_case() -> RecallCase:
    """A case with a reduction approved and another rejected."""
    approved, rejected = uuid4(), uuid4()
    with acting_as("user:qa-li"):
        case = RecallCase.open(uuid4(), "召回", "NMPA", 2, "断裂", NOW - timedelta(hours=1), [L1, L2, L3], [], NOW)
        case.propose_scope_reduction(approved, [L2], [], "L2 检验合格", "user:qa-li")
        case.propose_scope_reduction(rejected, [L3], [], "L3 检验合格", "user:qa-li")
    with acting_as("user:qa-wang"):
        case.approve_scope_reduction(approved, "user:qa-wang")
        case.reject_scope_reduction(rejected, "user:qa-wang", "报告未附")
    return case


def test_scope_reductions_stored_under_the_cases_old_topics_load_and_publish_as_before(app):
    case = reduced_case()
    events = case.collect_events()
    moved = {get_topic(type(e)): OLD_TOPICS[type(e).__name__] for e in events if type(e).__name__ in OLD_TOPICS}
    assert set(moved.values()) == set(OLD_TOPICS.values())
    assert all(topic.startswith("services.traceability.domain.scope:RecallScope.") for topic in moved)
    stored = [app.mapper.to_stored_event(e) for e in events]
    app.recorder.insert_events([replace(s, topic=moved.get(s.topic, s.topic)) for s in stored])
    assert {n.topic for n in app.recorder.select_notifications(start=1, limit=100)} >= set(OLD_TOPICS.values())

    loaded = app.repository.get(case.id)
    assert loaded == case
    assert (loaded.scope_lots, loaded.removed_lots) == ([L1, L3], [L2])
    assert [p["status"] for p in loaded.proposals.values()] == ["approved", "rejected"]
    published = [app.envelope(n).type for n in app.recorder.select_notifications(start=1, limit=100)]
    assert published == ["erp.traceability.RecallOpened", "erp.traceability.RecallScopeReductionProposed",
                         "erp.traceability.RecallScopeReductionProposed", "erp.traceability.RecallScopeReduced",
                         "erp.traceability.RecallScopeReductionRejected"]


def test_new_scope_reductions_are_stored_under_the_parts_topics(app):
    case = reduced_case()
    app.save(case)
    assert [n.topic.rsplit(":", 1)[1] for n in app.recorder.select_notifications(start=1, limit=100)] == [
        "RecallCase.Opened", "RecallScope.ScopeReductionProposed", "RecallScope.ScopeReductionProposed",
        "RecallScope.ScopeReduced", "RecallScope.ScopeReductionRejected"]
    assert app.repository.get(case.id).removed_lots == [L2]
