"""Recall case and adverse event rules, and the documents rendered for regulators: pure, no I/O."""

import io
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from openpyxl import load_workbook

from services.traceability.domain.adverse import AdverseEvent
from services.traceability.domain.consignees import Effectiveness
from services.traceability.domain.deadlines import consignee_status
from services.traceability.domain.recall import RecallCase
from services.traceability.reports.documents import Document, DocumentTable, as_csv, as_pdf, as_xlsx, udi_text
from shared.domain.rules import RuleViolation
from shared.platform.context import acting_as

GTIN = "09506000134352"
NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def opened(level: int = 2, decided_at: datetime = NOW - timedelta(hours=1)) -> RecallCase:
    with acting_as("user:test"):
        return RecallCase.open(uuid4(), "Stent", "NMPA", level, "断裂", decided_at, [{"gtin": GTIN, "lot": "L1"}], [],
                               NOW)


@pytest.mark.parametrize(("level", "days"), [(1, 1), (2, 3), (3, 7)])
def test_the_level_sets_the_notification_deadline_from_the_decision(level, days):
    case = opened(level)
    assert case.notify_by == NOW - timedelta(hours=1) + timedelta(days=days)


def test_a_recall_needs_a_scope_and_a_decision_not_in_the_future():
    with acting_as("user:test"), pytest.raises(RuleViolation) as empty:
        RecallCase.open(uuid4(), "t", "NMPA", 1, "r", NOW, [], [], NOW)
    assert (empty.value.rule, empty.value.field) == ("scope-required", "lots")
    with acting_as("user:test"), pytest.raises(RuleViolation) as future:
        RecallCase.open(uuid4(), "t", "NMPA", 1, "r", NOW + timedelta(hours=1), [{"gtin": GTIN, "lot": "L"}], [], NOW)
    assert future.value.rule == "not-in-future"


def test_consignee_status_follows_notice_acknowledgement_and_deadline():
    case, hospital, other, late = opened(1), uuid4(), uuid4(), uuid4()
    with acting_as("user:test"):
        assert case.notify(hospital, NOW, "phone", None, NOW)
        assert not case.notify(hospital, NOW, "phone", None, NOW)  # the same notice again: a retry, nothing new
        with pytest.raises(RuleViolation) as twice:
            case.notify(hospital, NOW + timedelta(minutes=1), "email", None, NOW + timedelta(hours=1))
        assert twice.value.rule == "notify-once"
        with pytest.raises(RuleViolation) as unheard:
            case.acknowledge(other, NOW, "x", None, NOW)
        assert unheard.value.rule == "notified-first"
        case.acknowledge(hospital, NOW + timedelta(minutes=5), "王主任", None, NOW + timedelta(minutes=5))
        case.notify(late, case.notify_by + timedelta(hours=2), "letter", None, case.notify_by + timedelta(hours=2))
    assert consignee_status(case, hospital, NOW + timedelta(days=9)) == "acknowledged"
    assert consignee_status(case, late, NOW + timedelta(days=9)) == "notified_late"
    assert consignee_status(case, other, case.notify_by - timedelta(seconds=1)) == "pending"
    assert consignee_status(case, other, case.notify_by + timedelta(seconds=1)) == "overdue"


def test_each_return_counts_once_and_a_closed_case_takes_nothing_more():
    case, hospital, return_id = opened(), uuid4(), uuid4()
    with acting_as("user:test"):
        assert case.record_return(hospital, GTIN, "L1", 3, return_id, NOW)
        assert not case.record_return(hospital, GTIN, "L1", 3, return_id, NOW)
        case.request_closure(NOW, "done", "user:li", NOW)
        case.close("user:wang", Effectiveness(1, 1, 1, 5, 3))
        assert not case.record_return(hospital, GTIN, "L1", 2, uuid4(), NOW)
        with pytest.raises(RuleViolation) as closed:
            case.notify(hospital, NOW, "phone", None, NOW)
    assert case.units_returned_by(hospital) == 3
    assert (closed.value.rule, case.effectiveness_at_closure["units_recovered"]) == ("case-open", 3)


@pytest.mark.parametrize(("outcome", "within"), [("death", timedelta(days=7)), ("serious_injury", timedelta(days=20)),
                                                 ("group_event", timedelta(hours=12)), ("other", None)])
def test_the_outcome_sets_the_report_deadline_from_awareness(outcome, within):
    aware = NOW - timedelta(hours=2)
    with acting_as("user:test"):
        event = AdverseEvent.report(uuid4(), gtin=GTIN, lot="L1", serial=None, udi=None, hospital_id=None,
                                    outcome=outcome, description="d", occurred_at=None, became_aware_at=aware, now=NOW)
    assert event.report_due_at == (aware + within if within else None)
    if within is None:
        assert event.status(NOW + timedelta(days=400)) == "no_deadline"
    else:
        assert (event.status(aware + within), event.status(aware + within + timedelta(seconds=1))) == ("due", "overdue")


def test_a_late_submission_is_reported_as_late_and_submits_once():
    with acting_as("user:test"):
        event = AdverseEvent.report(uuid4(), gtin=GTIN, lot=None, serial=None, udi=None, hospital_id=None,
                                    outcome="group_event", description="d", occurred_at=None,
                                    became_aware_at=NOW - timedelta(days=1), now=NOW)
        assert event.submit(NOW, "ADR-1", NOW)
        assert not event.submit(NOW, "ADR-1", NOW)
        with pytest.raises(RuleViolation):
            event.submit(NOW, "ADR-2", NOW)
    assert event.status(NOW) == "submitted_late"


def test_udi_text_is_gs1_human_readable_form():
    assert udi_text(GTIN, "L1", date(2027, 3, 31)) == "(01)09506000134352(17)270331(10)L1"
    assert udi_text(GTIN, serial="S9") == "(01)09506000134352(21)S9"


def test_documents_render_chinese_text_as_pdf_xlsx_and_csv():
    table = DocumentTable("召回对象", ["单位", "UDI", "数量"], [["四川大学华西医院 <A&B>", udi_text(GTIN, "L1"), 8]])
    document = Document("医疗器械召回计划实施情况报告", [("召回级别", "一级"), ("as of", NOW)], [table])
    assert as_pdf(document).startswith(b"%PDF-")
    book = load_workbook(io.BytesIO(as_xlsx(document)))
    assert [list(r) for r in book.worksheets[1].iter_rows(values_only=True)] == [
        ["单位", "UDI", "数量"], ["四川大学华西医院 <A&B>", "(01)09506000134352(10)L1", 8]]
    assert dict(book["Summary"].iter_rows(min_row=2, values_only=True))["as of"] == "2026-11-24 16:00:00+08:00"
    assert as_csv(table).decode("utf-8-sig").splitlines()[1] == "四川大学华西医院 <A&B>,(01)09506000134352(10)L1,8"


def test_control_characters_cannot_break_a_workbook():
    """Regression (schemathesis): a lot parameter with \\x1f made openpyxl refuse the cell -> 500."""
    document = Document("t", [("lot", "L\x1f1")], [DocumentTable("c", ["lot"], [["A\x00B"]])])
    book = load_workbook(io.BytesIO(as_xlsx(document)))
    assert dict(book["Summary"].iter_rows(min_row=2, values_only=True))["lot"] == "L\ufffd1"
    assert book.worksheets[1]["A2"].value == "A\ufffdB"
