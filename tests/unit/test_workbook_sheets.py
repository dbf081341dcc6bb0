"""A migration workbook holds a sheet per kind of record: each import reads the sheet titled after its kind; a single
sheet is read whatever its title; a workbook of several sheets without the one asked for is refused, naming them."""

import pytest

from shared.domain.workbook import UnreadableFile, xlsx_rows
from tests.spreadsheets import workbook


def first_cells(content: bytes, sheet: str | None = None) -> list[object]:
    return [row[0] for row in xlsx_rows(content, 100, sheet=sheet)]  # rows come padded to the column bound


def test_the_sheet_titled_after_the_kind_is_read_whatever_its_place_case_or_blanks():
    content = workbook({"hospitals": [["name"], ["A"]], " Historical-Shipments ": [["lot"], ["L1"], ["L2"]]})
    assert first_cells(content, "historical-shipments") == ["lot", "L1", "L2"]
    assert first_cells(content, "hospitals") == ["name", "A"]


def test_a_single_sheet_is_read_whatever_its_title():
    assert first_cells(workbook({"Sheet1": [["lot"], ["L1"]]}), "items") == ["lot", "L1"]


def test_several_sheets_without_the_one_asked_for_are_refused_naming_them():
    content = workbook({"hospitals": [["name"]], "items": [["gtin"]]})
    with pytest.raises(UnreadableFile) as refused:
        xlsx_rows(content, 100, sheet="suppliers")
    assert refused.value.rule == "sheet"
    assert "hospitals, items" in str(refused.value) and "'suppliers'" in str(refused.value)


def test_without_a_sheet_asked_for_the_first_is_read_as_before():
    content = workbook({"first": [["a"]], "second": [["b"]]})
    assert first_cells(content) == ["a"]
