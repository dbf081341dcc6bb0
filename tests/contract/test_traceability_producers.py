"""Traceability's newer events map to their contracts and validate against the committed schemas: the recall
number, the scope reduction proposed / approved / rejected, and a closure naming the scope it closed."""

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jsonschema

from services.traceability.application import TraceabilityApplication
from services.traceability.domain.consignees import Effectiveness
from services.traceability.domain.recall import RecallCase
from services.traceability.domain.recall_number import RecallNumbers
from shared.events.schemas import SCHEMA_DIR
from shared.platform.context import acting_as

GTIN, KIT = "09506000134352", "09506000134383"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def payloads(events: list) -> list:
    out = []
    for event in events:
        payload = TraceabilityApplication.to_payload(event)
        schema = json.loads((SCHEMA_DIR / f"{payload.event_type()}.v{payload.schema_version}.json").read_text())
        jsonschema.validate(payload.model_dump(mode="json"), schema)
        assert str(getattr(payload, payload.subject_field)) == str(event.originator_id)
        out.append(payload)
    return out


def test_numbering_scope_reduction_and_closure_publish_valid_contracts():
    recall_id, other = uuid4(), uuid4()
    with acting_as("user:qa-li"):
        numbers = RecallNumbers.first(2026, recall_id)
        assert numbers.issue(other) == "RC-2026-0002"
        case = RecallCase.open(recall_id, "Stent recall", "NMPA", 1, "断裂风险", NOW - timedelta(hours=1),
                               [{"gtin": GTIN, "lot": "L1"}, {"gtin": GTIN, "lot": "L2"}],
                               [{"gtin": GTIN, "serial": "S1"}], NOW, kit_lots=[{"gtin": KIT, "lot": "K1"}],
                               number=numbers.issued[str(recall_id)])
        first, second = uuid4(), uuid4()
        case.propose_scope_reduction(first, [{"gtin": KIT, "lot": "K1"}], [{"gtin": GTIN, "serial": "S1"}],
                                     "K1 made from another component lot", "user:qa-li")
        case.propose_scope_reduction(second, [{"gtin": GTIN, "lot": "L2"}], [], "L2 tested compliant", "user:qa-li")
    with acting_as("user:qa-wang"):
        case.approve_scope_reduction(first, "user:qa-wang")
        case.reject_scope_reduction(second, "user:qa-wang", "检验报告未附")
        case.request_closure(NOW, "done", "user:qa-wang", NOW)
    with acting_as("user:qa-li"):
        case.close("user:qa-li", Effectiveness(1, 1, 1, 2, 2))
    published = payloads([*numbers.collect_events(), *case.collect_events()])
    by_type = {p.event_type().rsplit(".", 1)[1]: p for p in published}
    assert [p.number for p in published if p.event_type().endswith("RecallNumberIssued")] == [
        "RC-2026-0001", "RC-2026-0002"]
    assert by_type["RecallOpened"].number == "RC-2026-0001"
    reduced = by_type["RecallScopeReduced"]
    assert (reduced.proposal_id, reduced.proposed_by, reduced.approved_by) == (first, "user:qa-li", "user:qa-wang")
    assert [(r.gtin, r.lot) for r in reduced.lots] == [(KIT, "K1")]
    assert by_type["RecallScopeReductionRejected"].rejected_by == "user:qa-wang"
    closed = by_type["RecallClosed"]
    assert ([(r.gtin, r.lot) for r in closed.lots], closed.serials) == ([(GTIN, "L1"), (GTIN, "L2")], [])
    assert (closed.requested_by, closed.approved_by) == ("user:qa-wang", "user:qa-li")
    assert by_type["RecallClosureRequested"].summary == "done"
