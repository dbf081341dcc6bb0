"""Sell-out (流向) reports, pure: which lines are flagged and by how much, the rules a line must meet, the report
id that makes resubmissions idempotent, and reading CSV / Excel files into lines and row-level errors."""

from datetime import date, datetime
from uuid import UUID, uuid4

import pytest

from services.traceability.domain.sellout import (
    ReportedLine, SellOutReport, check_period, flagged_lines, line_errors, sellout_report_id,
)
from services.traceability.domain.sellout_file import UnreadableFile, file_format, parse_file
from shared.platform.context import acting_as
from tests.spreadsheets import xlsx

GTIN = "09506000134352"
OTHER_GTIN = "09506000134376"
H1, H2 = UUID("5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11"), UUID("6c1d7b66-8a4f-4d2f-8b62-1e2b4a7d3c22")
MAY = (date(2026, 5, 1), date(2026, 5, 31))


def line(quantity: int, lot: str = "L1", hospital: UUID = H1, gtin: str = GTIN, sold_at: date = date(2026, 5, 10),
         serials: tuple[str, ...] | None = None) -> ReportedLine:
    return ReportedLine(hospital_id=hospital, gtin=gtin, lot=lot, quantity=quantity, sold_at=sold_at, serials=serials)


def test_the_line_that_crosses_what_the_distributor_received_carries_the_excess_and_later_lines_all_of_it():
    lines = [(1, line(6)), (2, line(3, hospital=H2)), (3, line(4)), (4, line(2, lot="L2"))]
    out = flagged_lines(lines, received={(GTIN, "L1"): 10, (GTIN, "L2"): 5}, reported_before={(GTIN, "L1"): 2},
                        known_hospitals={H1, H2})
    assert [(o["line_no"], o["over_reported"], o["excess"], o["received"]) for o in out] == [
        (1, False, 0, 10), (2, True, 1, 10), (3, True, 4, 10), (4, False, 0, 5)]  # 2+6=8, 11, 15; L2 apart


def test_a_lot_never_received_is_over_reported_in_full_and_an_unknown_hospital_is_flagged():
    stranger = uuid4()
    (out,) = flagged_lines([(7, line(3, hospital=stranger))], received={}, reported_before={}, known_hospitals={H1})
    assert (out["over_reported"], out["excess"], out["received"], out["unknown_hospital"]) == (True, 3, 0, True)


def test_lines_within_what_was_received_and_known_hospitals_are_not_flagged():
    out = flagged_lines([(1, line(5)), (2, line(5, hospital=H2))], {(GTIN, "L1"): 10}, {}, {H1, H2})
    assert not any(o["over_reported"] or o["unknown_hospital"] or o["excess"] for o in out)


@pytest.mark.parametrize(("bad", "field", "rule"), [
    (line(1, sold_at=date(2026, 6, 1)), "sold_at", "sold-within-period"),
    (line(2, serials=("S1",)), "serials", "one-serial-per-unit"),
    (line(2, serials=("S1", "S1")), "serials", "serials-unique"),
    (line(1, serials=("S" * 21,)), "serials", "serial-length"),
])
def test_a_line_breaking_a_rule_is_named_with_its_field_and_rule(bad, field, rule):
    (error,) = line_errors(bad, 4, *MAY, today=date(2026, 7, 1))
    assert (error.line, error.field, error.rule) == (4, field, rule)


def test_a_sale_in_the_future_is_refused_and_a_good_line_has_no_error():
    assert [e.rule for e in line_errors(line(1, sold_at=date(2026, 5, 20)), 1, *MAY, today=date(2026, 5, 19))] == [
        "not-in-future"]
    assert line_errors(line(2, serials=("S1", "S2")), 1, *MAY, today=date(2026, 7, 1)) == []
    assert check_period(*MAY) is None and "after" in check_period(MAY[1], MAY[0])


def test_the_report_id_is_the_distributor_and_its_reference():
    d = uuid4()
    assert sellout_report_id(d, "R-1") == sellout_report_id(d, "R-1")
    assert len({sellout_report_id(d, "R-1"), sellout_report_id(d, "R-2"), sellout_report_id(uuid4(), "R-1")}) == 3


def test_a_stored_report_compares_equal_to_its_resubmission_and_not_to_other_content():
    lines = [(1, line(2, serials=("S1", "S2"))), (2, line(1, hospital=H2))]
    with acting_as("user:test"):
        report = SellOutReport(distributor_id=uuid4(), report_reference="R-1", period={"start": MAY[0], "end": MAY[1]},
                               source="api", lines=flagged_lines(lines, {}, {}, {H1}))
    assert report.id == sellout_report_id(report.distributor_id, "R-1")
    same = ({"start": "2026-05-01", "end": "2026-05-31"}, [li.as_submitted() for _, li in lines])
    assert report.submitted() == same
    other = (same[0], [same[1][0], line(3, hospital=H2).as_submitted()])
    assert report.submitted() != other
    assert [li["line_no"] for li in report.flagged] == [1, 2]  # never received; H2 unknown


# Files ------------------------------------------------------------------------------------------------------------

CSV = (
    "hospital_id,gtin,lot,quantity,sold_at,serials\n"
    f"{H1},{GTIN},L1,2,2026-05-03,S1;S2\n"
    f"{H2},09506000134353,L1,1,2026-05-04,\n"       # row 3: check digit wrong
    ",,,,,\n"                                       # blank: skipped, not an error
    f"{H2},{GTIN},L1,0,2026-05-32,\n"               # row 5: quantity and date
    f"not-a-uuid,{OTHER_GTIN},{'L' * 21},1,2026-05-05,\n"  # row 6: hospital and lot
    f"{H2},{OTHER_GTIN},L9,4,2026/05/06,\n"
)


def test_a_csv_gives_the_valid_rows_and_each_bad_row_with_its_number_field_and_rule():
    kind, parsed = parse_file("may.csv", CSV.encode())
    assert kind == "csv"
    assert [(row, li.hospital_id, li.gtin, li.lot, li.quantity, li.sold_at, li.serials) for row, li in parsed.lines] == [
        (2, H1, GTIN, "L1", 2, date(2026, 5, 3), ("S1", "S2")),
        (7, H2, OTHER_GTIN, "L9", 4, date(2026, 5, 6), None)]
    assert [(e.line, e.field, e.rule) for e in parsed.errors] == [
        (3, "gtin", "gtin"), (5, "quantity", "quantity-range"), (5, "sold_at", "date"),
        (6, "hospital_id", "uuid"), (6, "lot", "lot-length")]


def test_chinese_headers_semicolons_and_gb18030_as_excel_saves_them_on_chinese_windows():
    # A lot is GS1 character set 82 (no Chinese): the Chinese is in the headers, and decodes only as GB18030.
    text = f"医院ID;产品标识;批号;数量;销售日期\n{H1};{GTIN};LOT-甲;3;2026-05-09\n{H2};{GTIN};L-2;3;2026-05-09\n"
    _, parsed = parse_file("流向.csv", text.encode("gb18030"))
    assert [(li.lot, li.quantity) for _, li in parsed.lines] == [("L-2", 3)]
    assert [(e.line, e.field, e.rule) for e in parsed.errors] == [(2, "lot", "gs1-character-set")]


@pytest.mark.parametrize(("content", "rule"), [
    (b"", "header-row"),
    (b"hospital,gtin,lot\n", "header-row"),
    (b"hospital_id,gtin,lot,quantity,sold_at,lot\n", "header-row"),
    (f"hospital_id,gtin,lot,quantity,sold_at\n{H1},{GTIN},L\x001,1,2026-05-01\n".encode(), None),
])
def test_a_file_without_the_columns_is_refused_as_a_whole(content, rule):
    if rule is None:  # a NUL character is a row error, not the file's
        _, parsed = parse_file("x.csv", content)
        assert [(e.line, e.field, e.rule) for e in parsed.errors] == [(2, "lot", "no-nul-character")]
        return
    with pytest.raises(UnreadableFile) as refused:
        parse_file("x.csv", content)
    assert refused.value.rule == rule


def test_an_excel_workbook_with_typed_cells_reads_like_its_csv():
    content = xlsx([["GTIN", "Lot", "Quantity", "Sold_at", "Hospital_ID"],
                    [9506000134352, "L1", 5, datetime(2026, 5, 7), str(H1)],  # a GTIN typed as a number lost its 0
                    [GTIN, "L2", 2.5, date(2026, 5, 8), str(H2)]])
    kind, parsed = parse_file("upload.bin", content)
    assert kind == "xlsx"
    assert [(row, li.gtin, li.quantity, li.sold_at) for row, li in parsed.lines] == [(2, GTIN, 5, date(2026, 5, 7))]
    assert [(e.line, e.field, e.rule) for e in parsed.errors] == [(3, "quantity", "quantity-range")]


@pytest.mark.parametrize(("name", "content", "rule"), [
    ("report.xlsx", b"hospital_id,gtin", "readable-file"),
    ("report.xls", b"\xd0\xcf\x11\xe0", "csv-or-xlsx"),
    ("report.xlsx", b"PK\x03\x04not really a zip", "readable-file"),
])
def test_what_is_not_a_readable_workbook_is_refused_naming_why(name, content, rule):
    with pytest.raises(UnreadableFile) as refused:
        parse_file(name, content)
    assert refused.value.rule == rule
    assert file_format("a.csv", b"x") == "csv"


def test_a_file_may_name_hospitals_by_name_and_a_row_naming_none_is_refused():
    text = (f"医院名称,产品标识,批号,数量,销售日期\n四川大学华西医院（东院）,{GTIN},L1,3,2026-05-09\n"
            f",{GTIN},L1,1,2026-05-09\n{'医' * 201},{GTIN},L1,1,2026-05-09\n")
    _, parsed = parse_file("流向.csv", text.encode())
    assert [(row, li.hospital_id, li.hospital_name) for row, li in parsed.lines] == [
        (2, None, "四川大学华西医院（东院）")]
    assert [(e.line, e.field, e.rule) for e in parsed.errors] == [
        (3, "hospital_name", "required"), (4, "hospital_name", "max-length")]
