"""Sell-out reports and adverse events through their handlers, on the in-memory event store: a report is recorded
once per reference and flagged against what the lineage says the distributor received; an adverse event names a
registered hospital and is submitted once."""

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from services.traceability.application.adverse_events import (
    ReportAdverseEvent, SubmitAdverseEvent, report_adverse_event, submit_adverse_event,
)
from services.traceability.application.sellout_reports import ReportSellOut, report_sellout, sellout_report
from services.traceability.domain.sellout import ReportedLine
from shared.domain.rules import InvalidReference, NotFound, RuleViolation
from tests.unit.traceability_world import GTIN, NOW, World, stored, traceability

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
DISTRIBUTOR, H1, H2 = uuid4(), uuid4(), uuid4()


@pytest.fixture
def app():
    with traceability("user:hd-sales") as app:
        yield app


@pytest.fixture
def world() -> World:
    return World(hospitals={H1}, distributors={DISTRIBUTOR}, received={(DISTRIBUTOR, (GTIN, "L1")): 10},
                 reported={(DISTRIBUTOR, (GTIN, "L1")): 6})


def report(reference: str, *lines: ReportedLine, distributor=DISTRIBUTOR) -> ReportSellOut:  # noqa: ANN001
    return ReportSellOut(distributor_id=distributor, report_reference=reference, period=NOVEMBER, source="api",
                         lines=list(enumerate(lines, start=1)))


def sold(hospital, quantity: int) -> ReportedLine:  # noqa: ANN001
    return ReportedLine(hospital_id=hospital, gtin=GTIN, lot="L1", quantity=quantity, sold_at=date(2026, 11, 10))


def test_a_report_is_flagged_against_what_the_distributor_received_and_recorded_once(app, world):
    first, created = report_sellout(report("HD-11", sold(H1, 3), sold(H2, 2)), world.unit_of_work(app))
    assert created and [(li["over_reported"], li["excess"], li["unknown_hospital"]) for li in first.lines] == [
        (False, 0, False), (True, 1, True)]  # 6 before + 3 = 9 of 10 received, then 11; H2 is not registered
    again, created_again = report_sellout(report("HD-11", sold(H1, 3), sold(H2, 2)), world.unit_of_work(app))
    assert (created_again, again.id, sellout_report(world.unit_of_work(app), first.id).lines) == (
        False, first.id, first.lines)
    with pytest.raises(RuleViolation) as changed:
        report_sellout(report("HD-11", sold(H1, 4)), world.unit_of_work(app))
    assert (changed.value.rule, changed.value.context["report_id"]) == ("sellout-reference-once", str(first.id))
    assert stored(app) == ["Reported"]


def test_a_report_of_an_unregistered_distributor_is_refused_and_an_unknown_report_is_not_found(app, world):
    with pytest.raises(InvalidReference) as stranger:
        report_sellout(report("X-1", sold(H1, 1), distributor=H1), world.unit_of_work(app))
    assert (stranger.value.rule, stranger.value.field) == ("registered-distributor", "distributor_id")
    with pytest.raises(NotFound):
        sellout_report(world.unit_of_work(app), uuid4())
    assert stored(app) == []


def adverse(hospital=None, adverse_event_id=None) -> ReportAdverseEvent:  # noqa: ANN001
    return ReportAdverseEvent(adverse_event_id=adverse_event_id or uuid4(), gtin=GTIN, lot="L1", serial=None,
                              udi=None, hospital_id=hospital, outcome="serious_injury", description="回撤困难",
                              occurred_at=None, became_aware_at=NOW - timedelta(days=1))


def test_an_adverse_event_names_a_registered_hospital_or_none_and_is_reported_once(app, world):
    with pytest.raises(InvalidReference) as unknown:
        report_adverse_event(adverse(uuid4()), world.unit_of_work(app))
    assert (unknown.value.rule, stored(app)) == ("registered-hospital", [])
    command = adverse(H1)
    event, created = report_adverse_event(command, world.unit_of_work(app))
    again, created_again = report_adverse_event(command, world.unit_of_work(app))
    anonymous, _ = report_adverse_event(adverse(), world.unit_of_work(app))
    assert (created, created_again, again.id, event.report_due_at) == (True, False, event.id, NOW + timedelta(days=19))
    assert anonymous.hospital_id is None and stored(app) == ["Reported", "Reported"]


def test_a_submission_is_recorded_once_and_never_before_awareness(app, world):
    event, _ = report_adverse_event(adverse(H1), world.unit_of_work(app))

    def submit(at: datetime, reference: str = "ADR-1"):  # noqa: ANN202
        return submit_adverse_event(SubmitAdverseEvent(adverse_event_id=event.id, submitted_at=at,
                                                       regulator_reference=reference), world.unit_of_work(app))

    with pytest.raises(InvalidReference) as early:
        submit(NOW - timedelta(days=2))
    assert (submit(NOW).status(NOW), submit(NOW).regulator_reference) == ("submitted", "ADR-1")
    with pytest.raises(RuleViolation) as other:
        submit(NOW, "ADR-2")
    with pytest.raises(NotFound):
        submit_adverse_event(SubmitAdverseEvent(adverse_event_id=uuid4(), submitted_at=NOW, regulator_reference="x"),
                             world.unit_of_work(app))
    assert (early.value.field, other.value.rule, stored(app)) == ("submitted_at", "submit-once", ["Reported", "Submitted"])
