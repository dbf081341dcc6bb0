"""A recall's scope shrinks only by four eyes, the human recall number is per year in China and gap-free, and
the master-data rules refuse a recall of an unknown lot or an adverse event of an unknown hospital: pure, no I/O."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.traceability.domain.consignees import Effectiveness
from services.traceability.domain.master_data import registered_hospital, unknown_scope_lots
from services.traceability.domain.recall import RecallCase
from services.traceability.domain.recall_number import RecallNumbers, numbering_year, recall_number, sequence_id
from shared.domain.rules import RuleViolation
from shared.platform.context import acting_as

GTIN, KIT = "09506000134352", "09506000134383"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
L1, L2, K1 = {"gtin": GTIN, "lot": "L1"}, {"gtin": GTIN, "lot": "L2"}, {"gtin": KIT, "lot": "K1"}
S1 = {"gtin": GTIN, "serial": "S1"}


def opened() -> RecallCase:
    with acting_as("user:li"):
        return RecallCase.open(uuid4(), "Stent", "NMPA", 2, "断裂", NOW - timedelta(hours=1), [L1, L2], [S1], NOW,
                               kit_lots=[K1], number="RC-2026-0007")


def refused(call) -> RuleViolation:  # noqa: ANN001
    with pytest.raises(RuleViolation) as caught:
        call()
    return caught.value


def test_a_reduction_takes_effect_only_when_a_second_officer_approves_it():
    case, proposal = opened(), uuid4()
    with acting_as("user:li"):
        assert case.propose_scope_reduction(proposal, [K1], [S1], "K1 made from another component lot", "user:li")
        assert not case.propose_scope_reduction(proposal, [K1], [S1], "K1 made from another component lot",
                                                "user:li")  # the same proposal again: a retry
        assert case.covers(KIT, "K1") and case.covers(GTIN, "X", ["S1"])  # proposed is not yet removed
        own = refused(lambda: case.approve_scope_reduction(proposal, "user:li"))
    assert (own.rule, case.scope_lots) == ("four-eyes", [L1, L2, K1])
    with acting_as("user:wang"):
        assert case.approve_scope_reduction(proposal, "user:wang")
        assert not case.approve_scope_reduction(proposal, "user:wang")  # a retry
    assert (case.scope_lots, case.scope_serials, case.removed_lots) == ([L1, L2], [], [K1])
    assert not case.covers(KIT, "K1") and not case.covers(GTIN, "X", ["S1"]) and case.covers(GTIN, "L2")
    assert case.proposals[str(proposal)]["status"] == "approved"


def test_only_what_is_in_scope_may_be_proposed_and_something_must_remain():
    case = opened()
    with acting_as("user:li"):
        outside = refused(lambda: case.propose_scope_reduction(uuid4(), [L1, {"gtin": GTIN, "lot": "L9"}], [], "r",
                                                               "user:li"))
        nothing = refused(lambda: case.propose_scope_reduction(uuid4(), [], [], "r", "user:li"))
        everything = uuid4()
        case.propose_scope_reduction(everything, [L1, L2, K1], [S1], "all fine after all", "user:li")
    assert (outside.rule, outside.field) == ("in-recall-scope", "lots[1]")
    assert (nothing.rule, nothing.field) == ("scope-reduction-names-something", "lots")
    with acting_as("user:wang"):
        emptied = refused(lambda: case.approve_scope_reduction(everything, "user:wang"))
    assert emptied.rule == "scope-remains"


def test_a_rejected_proposal_changes_nothing_and_cannot_be_approved_later():
    case, proposal = opened(), uuid4()
    with acting_as("user:li"):
        case.propose_scope_reduction(proposal, [L2], [], "L2 tested compliant", "user:li")
    with acting_as("user:wang"):
        assert case.reject_scope_reduction(proposal, "user:wang", "检验报告未附")
        late = refused(lambda: case.approve_scope_reduction(proposal, "user:zhao"))
    assert (late.rule, case.scope_lots, case.proposals[str(proposal)]["status"]) == (
        "proposal-pending", [L1, L2, K1], "rejected")


def test_a_stale_proposal_cannot_remove_what_another_approval_removed_first():
    case, first, second = opened(), uuid4(), uuid4()
    with acting_as("user:li"):
        case.propose_scope_reduction(first, [L2], [], "r1", "user:li")
        case.propose_scope_reduction(second, [L2, K1], [], "r2", "user:li")
    with acting_as("user:wang"):
        case.approve_scope_reduction(first, "user:wang")
        stale = refused(lambda: case.approve_scope_reduction(second, "user:wang"))
    assert (stale.rule, stale.field) == ("in-recall-scope", "lots[0]")


def test_closing_records_the_scope_as_it_stands_and_a_closed_case_takes_no_reduction():
    case, proposal = opened(), uuid4()
    with acting_as("user:li"):
        case.propose_scope_reduction(proposal, [L2], [], "r", "user:li")
    with acting_as("user:wang"):
        case.approve_scope_reduction(proposal, "user:wang")
        case.request_closure(NOW, "done", "user:li", NOW)
        case.close("user:wang", Effectiveness(1, 1, 1, 1, 1))
        after = refused(lambda: case.propose_scope_reduction(uuid4(), [L1], [], "r", "user:wang"))
    closed = case.collect_events()[-1]
    assert (closed.lots, closed.serials) == ([L1, K1], [S1])
    assert after.rule == "case-open"


def test_recall_numbers_are_per_year_in_china_without_gaps_and_once_per_case():
    first, second, third = uuid4(), uuid4(), uuid4()
    with acting_as("user:li"):
        numbers = RecallNumbers.first(2026, first)
        assert [numbers.issue(second), numbers.issue(third), numbers.issue(second)] == [
            "RC-2026-0002", "RC-2026-0003", "RC-2026-0002"]
    assert numbers.issued[str(first)] == "RC-2026-0001" and numbers.last == 3
    assert numbers.id == sequence_id(2026) != sequence_id(2027)
    # 17:00 UTC on 31 December is already New Year's Day in China.
    assert numbering_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026
    assert numbering_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027
    assert recall_number(2027, 12345) == "RC-2027-12345"


class Known:
    def __init__(self, lots: set[tuple[str, str]], hospitals: set[UUID]) -> None:
        self.lots, self.hospitals = lots, hospitals

    def known_lots(self, lots: list[tuple[str, str]]) -> set[tuple[str, str]]:
        return self.lots & set(lots)

    def registered_hospitals(self, ids: list[UUID]) -> set[UUID]:
        return self.hospitals & set(ids)


def test_a_recall_of_a_lot_nobody_knows_is_refused_naming_it_unless_deliberate():
    known = Known({(GTIN, "L1")}, set())
    missing = refused(lambda: unknown_scope_lots([L1, L2], known, allow_unknown=False))
    assert (missing.rule, missing.field) == ("known-lot", "lots[1].lot")
    assert unknown_scope_lots([L1, L2], known, allow_unknown=True) == [L2]
    assert unknown_scope_lots([L1], known, allow_unknown=False) == []


def test_an_adverse_event_names_a_registered_hospital_or_none():
    hospital = uuid4()
    registered_hospital(None, Known(set(), set()))
    registered_hospital(hospital, Known(set(), {hospital}))
    stranger = refused(lambda: registered_hospital(uuid4(), Known(set(), {hospital})))
    assert (stranger.rule, stranger.field) == ("registered-hospital", "hospital_id")
