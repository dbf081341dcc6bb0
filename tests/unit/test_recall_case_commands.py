"""A recall case followed through its handlers, on the in-memory event store: only a consignee of the case is
notified, acknowledgements follow notices, the closure records the effectiveness the consignees port reports at the
closing time, and the scope shrinks only by a second officer's approval."""

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.traceability.application import TraceabilityApplication
from services.traceability.application.recall_cases import (
    AcknowledgeNotice, CloseRecall, NotifyConsignee, RecordAcknowledgement, RequestClosure, acknowledge_notice,
    close_recall, notify_consignee, record_acknowledgement, request_closure,
)
from services.traceability.application.recall_opening import OpenRecall, open_recall
from services.traceability.application.scope_reductions import (
    DecideScopeReduction, ProposeScopeReduction, approve_scope_reduction, propose_scope_reduction,
    reject_scope_reduction,
)
from services.traceability.domain.recall import RecallCase
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from tests.unit.traceability_world import GTIN, NOW, World, app, stored, world  # noqa: F401 - the fixtures

L1, L2 = {"gtin": GTIN, "lot": "L1"}, {"gtin": GTIN, "lot": "L2"}


def opened(app: TraceabilityApplication, world: World, **holders: int) -> tuple[RecallCase, dict[str, UUID]]:
    """An open case of L1 and L2 whose consignees (named here) hold these units."""
    case = open_recall(OpenRecall(recall_id=uuid4(), title="召回", scheme="NMPA", level=1, reason="断裂",
                                  decided_at=NOW - timedelta(hours=2), lots=[L1, L2]), world.unit_of_work(app)).case
    ids = {name: uuid4() for name in holders}
    world.holders[case.id] = {ids[name]: units for name, units in holders.items()}
    return case, ids


def notify(app: TraceabilityApplication, world: World, case: RecallCase, consignee: UUID, at: datetime = NOW) -> None:
    notify_consignee(NotifyConsignee(recall_id=case.id, consignee_id=consignee, notified_at=at, method="phone"),
                     world.unit_of_work(app))


def test_only_a_consignee_of_the_case_is_notified_and_a_repeated_notice_records_nothing(app, world):
    case, ids = opened(app, world, huashan=4)
    with pytest.raises(RuleViolation) as stranger:
        notify(app, world, case, uuid4())
    assert (stranger.value.rule, stranger.value.field) == ("consignee-of-recall", "consignee_id")
    with pytest.raises(InvalidReference) as early:  # before the decision: 422 naming the field
        notify(app, world, case, ids["huashan"], NOW - timedelta(days=1))
    assert (early.value.rule, early.value.field) == ("after-decision", "notified_at")
    notify(app, world, case, ids["huashan"])
    notify(app, world, case, ids["huashan"])
    assert stored(app).count("ConsigneeNotified") == 1
    with pytest.raises(NotFound):
        notify(app, world, RecallCase.open(uuid4(), "t", "NMPA", 1, "r", NOW, [L1], [], NOW), ids["huashan"])


def test_an_acknowledgement_follows_a_notice(app, world):
    case, ids = opened(app, world, huashan=4, ruijin=2)

    def acknowledge(consignee: UUID) -> RecallCase:
        return record_acknowledgement(RecordAcknowledgement(
            recall_id=case.id, consignee_id=consignee, acknowledged_at=NOW, acknowledged_by="王主任"),
            world.unit_of_work(app))

    with pytest.raises(RuleViolation) as unheard:
        acknowledge(ids["ruijin"])
    notify(app, world, case, ids["ruijin"])
    assert str(ids["ruijin"]) in acknowledge(ids["ruijin"]).acknowledged
    assert unheard.value.rule == "notified-first"


def test_a_consignee_acknowledges_its_own_notice_once_and_never_another_s(app, world):
    case, ids = opened(app, world, huashan=4, ruijin=2)
    notify(app, world, case, ids["huashan"])
    notify(app, world, case, ids["ruijin"])
    reached = {ids["huashan"]}  # the notices within the portal user's scope

    def acknowledge(by: str = "王护士长", consignee: UUID | None = None, own: frozenset = frozenset({ids["huashan"]}),
                    ) -> tuple[RecallCase, UUID]:
        return acknowledge_notice(AcknowledgeNotice(recall_id=case.id, consignee_id=consignee, own_consignees=own,
                                                    acknowledged_by=by), world.unit_of_work(app),
                                  reaches=lambda consignee_id: consignee_id in reached)

    before = stored(app)
    with pytest.raises(NotFound):  # another consignee's notice, named outright: as if it did not exist
        acknowledge(consignee=ids["ruijin"])
    with pytest.raises(RuleViolation) as unnamed:  # acting for two organisations: which one?
        acknowledge(own=frozenset({ids["huashan"], ids["ruijin"]}))
    assert (unnamed.value.rule, unnamed.value.field) == ("consignee-named", "consignee_id")
    assert stored(app) == before
    acknowledged, consignee = acknowledge()
    assert (consignee, acknowledged.acknowledged[str(consignee)]["by"]) == (ids["huashan"], "王护士长")
    acknowledge()  # the same person retrying: nothing more is recorded
    assert stored(app).count("Acknowledged") == 1
    with pytest.raises(RuleViolation) as again:  # someone else: the first acknowledgement stands
        acknowledge(by="李医生")
    assert again.value.rule == "acknowledge-once"


def test_the_closure_records_the_effectiveness_of_the_consignees_at_the_closing_time(app, world):
    case, ids = opened(app, world, huashan=4, ruijin=2)
    notify(app, world, case, ids["huashan"])
    request_closure(RequestClosure(recall_id=case.id, summary="已完成", officer="user:li"), world.unit_of_work(app))
    closed = close_recall(CloseRecall(recall_id=case.id, officer="user:wang"), world.unit_of_work(app))
    assert (closed.status, closed.closed_at, closed.effectiveness_at_closure) == ("closed", NOW, {
        "consignees_to_notify": 2, "consignees_notified": 1, "consignees_acknowledged": 0, "units_to_recover": 6,
        "units_recovered": 0})
    assert closed.closed_by == {"requested_by": "user:li", "approved_by": "user:wang"}
    with pytest.raises(RuleViolation) as again:
        close_recall(CloseRecall(recall_id=case.id, officer="user:zhao"), world.unit_of_work(app))
    assert again.value.rule == "case-open" and stored(app).count("Closed") == 1


def test_a_recall_closes_only_when_a_second_officer_approves_the_request(app, world):
    case, _ = opened(app, world)
    with pytest.raises(RuleViolation) as unrequested:
        close_recall(CloseRecall(recall_id=case.id, officer="user:wang"), world.unit_of_work(app))
    assert unrequested.value.rule == "closure-requested"
    request = RequestClosure(recall_id=case.id, summary="已完成", officer="user:li")
    requested = request_closure(request, world.unit_of_work(app))
    assert requested.status == "open" and requested.pending_closure["requested_by"] == "user:li"
    request_closure(request, world.unit_of_work(app))  # a retry records nothing more
    assert stored(app).count("ClosureRequested") == 1
    with pytest.raises(RuleViolation) as own:
        close_recall(CloseRecall(recall_id=case.id, officer="user:li"), world.unit_of_work(app))
    assert own.value.rule == "four-eyes" and stored(app).count("Closed") == 0
    assert close_recall(CloseRecall(recall_id=case.id, officer="user:wang"), world.unit_of_work(app)).status == "closed"


def test_the_scope_shrinks_only_when_a_second_officer_approves(app, world):
    case, _ = opened(app, world)
    proposal = uuid4()

    def propose() -> bool:
        return propose_scope_reduction(ProposeScopeReduction(recall_id=case.id, proposal_id=proposal, lots=[L2],
                                                             reason="L2 检验合格", officer="user:qa-li"),
                                       world.unit_of_work(app))[1]

    def decide(handler, officer: str, reason: str | None = None, proposal_id: UUID = proposal) -> RecallCase:  # noqa: ANN001
        return handler(DecideScopeReduction(recall_id=case.id, proposal_id=proposal_id, officer=officer,
                                            rejection_reason=reason), world.unit_of_work(app))

    assert (propose(), propose()) == (True, False)  # the same proposal again: a retry
    with pytest.raises(RuleViolation) as own:
        decide(approve_scope_reduction, "user:qa-li")
    with pytest.raises(NotFound) as unknown:
        decide(approve_scope_reduction, "user:qa-wang", proposal_id=uuid4())
    assert (own.value.rule, unknown.value.what) == ("four-eyes", "Scope reduction")
    approved = decide(approve_scope_reduction, "user:qa-wang")
    assert (approved.scope_lots, approved.removed_lots) == ([L1], [L2])
    with pytest.raises(RuleViolation) as late:
        decide(reject_scope_reduction, "user:qa-zhao", "仍有风险")
    assert late.value.rule == "proposal-pending"
    assert stored(app)[-2:] == ["ScopeReductionProposed", "ScopeReduced"]
