"""Sell-out reports and adverse events through their handlers, on the in-memory event store: a report is recorded
once per reference and flagged against what the lineage says the distributor received; an adverse event names a
registered hospital and is submitted once."""

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from services.traceability.application.adverse_events import (
    ReportAdverseEvent, SubmitAdverseEvent, report_adverse_event, submit_adverse_event,
)
from services.traceability.application.sellout_reports import (
    MatchSellOutLine, ReportSellOut, match_sellout_line, report_sellout, sellout_report,
)
from services.traceability.application.channel_stock import ReportChannelStock, report_channel_stock
from services.traceability.domain.channel_stock import StockLine
from services.traceability.domain.sellout import ReportedLine
from services.traceability.domain.stock_file import parse_stock_file
from services.traceability.domain.terminal_matching import Terminal
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


def named(name: str, quantity: int = 1, serials: tuple[str, ...] | None = None) -> ReportedLine:
    return ReportedLine(hospital_id=None, hospital_name=name, gtin=GTIN, lot="L1", quantity=quantity,
                        sold_at=date(2026, 11, 10), serials=serials)


def test_names_are_cleansed_against_the_terminal_master_and_the_rest_wait_for_review_counting_nothing(app, world):
    west_china, ruijin, ruijin_north = uuid4(), uuid4(), uuid4()
    world.hospitals |= {west_china, ruijin, ruijin_north}
    world.terminal_master = [Terminal(west_china, "四川大学华西医院", aliases=("华西医院",)),
                             Terminal(ruijin, "上海交通大学医学院附属瑞金医院"),
                             Terminal(ruijin_north, "瑞金医院（北院）", aliases=("瑞金北院",))]
    stored_report, _ = report_sellout(report(
        "HD-12", named("华西医院"), named("四川大学华西医院【东院】", serials=("S9",)), named("上海交通大学医学院附属瑞金医院"),
        named("某某县人民医院", 2)), world.unit_of_work(app))
    assert [(li["line_no"], li["hospital_id"], li["matched_by"]) for li in stored_report.lines] == [
        (1, west_china, "alias"), (2, west_china, "branch"), (3, ruijin, "exact")]
    assert [(u["line_no"], u["reported_hospital"], u["quantity"]) for u in stored_report.unmatched] == [
        (4, "某某县人民医院", 2)]
    # Only the matched lines count against what the distributor received (6 before + 3 of 10: none over).
    assert [li["over_reported"] for li in stored_report.lines] == [False, False, False]
    # The same report again is a retry, not other content.
    again, created = report_sellout(report(
        "HD-12", named("华西医院"), named("四川大学华西医院【东院】", serials=("S9",)), named("上海交通大学医学院附属瑞金医院"),
        named("某某县人民医院", 2)), world.unit_of_work(app))
    assert (created, again.id) == (False, stored_report.id)


def test_a_person_matches_a_line_of_the_review_queue_once_to_a_registered_hospital(app, world):
    county = uuid4()
    first, _ = report_sellout(report("HD-13", named("某某县人民医院", 2)), world.unit_of_work(app))
    with pytest.raises(RuleViolation) as unregistered:
        match_sellout_line(MatchSellOutLine(report_id=first.id, line_no=1, hospital_id=county),
                           world.unit_of_work(app))
    assert unregistered.value.rule == "registered-hospital"
    world.hospitals.add(county)
    line = match_sellout_line(MatchSellOutLine(report_id=first.id, line_no=1, hospital_id=county),
                              world.unit_of_work(app))
    # 6 reported before + 2 = 8 of the 10 received: not over-reported.
    assert (line["hospital_id"], line["matched_by"], line["over_reported"]) == (county, "review", False)
    with pytest.raises(RuleViolation) as twice:
        match_sellout_line(MatchSellOutLine(report_id=first.id, line_no=1, hospital_id=county),
                           world.unit_of_work(app))
    assert twice.value.rule == "sellout-line-unmatched"
    with pytest.raises(NotFound):
        match_sellout_line(MatchSellOutLine(report_id=first.id, line_no=7, hospital_id=county),
                           world.unit_of_work(app))
    assert stored(app) == ["Reported", "LineMatched"]
    assert sellout_report(world.unit_of_work(app), first.id).unmatched == []


def stock(reference: str, *lines: StockLine, as_of: date = NOW.date()) -> ReportChannelStock:
    return ReportChannelStock(distributor_id=DISTRIBUTOR, report_reference=reference, as_of=as_of, source="api",
                              lines=list(enumerate(lines, start=1)))


def test_an_inventory_report_is_recorded_once_with_each_lot_once_and_never_for_a_future_day(app, world):
    first, created = report_channel_stock(stock("INV-11", StockLine(GTIN, "L1", 4), StockLine(GTIN, "L2", 0)),
                                          world.unit_of_work(app))
    again, created_again = report_channel_stock(stock("INV-11", StockLine(GTIN, "L1", 4), StockLine(GTIN, "L2", 0)),
                                                world.unit_of_work(app))
    assert (created, created_again, again.id, [line["quantity"] for line in first.lines]) == (True, False, first.id,
                                                                                            [4, 0])
    with pytest.raises(RuleViolation) as changed:
        report_channel_stock(stock("INV-11", StockLine(GTIN, "L1", 5)), world.unit_of_work(app))
    with pytest.raises(RuleViolation) as twice:
        report_channel_stock(stock("INV-12", StockLine(GTIN, "L1", 1), StockLine(GTIN, "L1", 2)),
                             world.unit_of_work(app))
    with pytest.raises(RuleViolation) as future:
        report_channel_stock(stock("INV-13", StockLine(GTIN, "L1", 1), as_of=date(2099, 1, 1)),
                             world.unit_of_work(app))
    assert (changed.value.rule, twice.value.rule, twice.value.field, future.value.rule) == (
        "report-reference-once", "lot-once", "lines[1].lot", "not-in-future")
    assert stored(app) == ["Reported"]


def test_an_inventory_file_gives_valid_rows_and_each_bad_row_by_number():
    text = f"产品标识,批号,库存数量\n{GTIN},L1,4\n{GTIN},L 2,1\n{GTIN},L3,-1\n12345,L4,1\n".encode()
    kind, lines, errors = parse_stock_file("进销存.csv", text)
    assert (kind, [(n, line.lot, line.quantity) for n, line in lines]) == ("csv", [(2, "L1", 4)])
    assert [(e.line, e.field, e.rule) for e in errors] == [
        (3, "lot", "gs1-character-set"), (4, "quantity", "quantity-range"), (5, "gtin", "gtin")]
