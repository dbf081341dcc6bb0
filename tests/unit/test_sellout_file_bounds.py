"""An uploaded workbook is untrusted: a small zip can inflate to gigabytes, lie about its sizes, or hold a row of a
million cells. Each is refused before openpyxl parses it, naming the rule; the work is bounded, not timed.
File rows follow the same rules as typed input: GS1-encodable lots and serials, no control characters."""

import io
import struct
import zipfile
from uuid import UUID

import pytest

from services.traceability.domain import sellout_file
from shared.domain import workbook as bounded
from services.traceability.domain.sellout_file import FileTooLarge, UnreadableFile, check_archive, parse_file
from tests.spreadsheets import xlsx

GTIN = "09506000134352"
H1 = UUID("5b0c6a55-7f3e-4c1e-9a51-0d1a3f6c2b11")
HEADER = ["hospital_id", "gtin", "lot", "quantity", "sold_at", "serials"]


def workbook(rows: list[list]) -> bytes:
    return xlsx([HEADER, *rows])


def with_sheet_data(extra_rows: bytes | None = None, repeat: int = 0, block: bytes = b"") -> bytes:
    """A real workbook whose first sheet's rows are replaced: `block` written `repeat` times (streamed, so a sheet of
    hundreds of MB costs no memory here)."""
    source = zipfile.ZipFile(io.BytesIO(workbook([])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with archive.open(info.filename, "w", force_zip64=True) as sheet:
                sheet.write(head)
                for _ in range(repeat):
                    sheet.write(block)
                sheet.write((extra_rows or b"") + b"</sheetData>" + tail)
    return out.getvalue()


def test_a_zip_bomb_is_refused_by_its_declared_size_before_anything_parses_it():
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    bomb = with_sheet_data(repeat=200, block=row * (1024 * 1024 // len(row)))  # 200 MB of rows, < 1 MB zipped
    assert len(bomb) < 1024 * 1024
    with pytest.raises(FileTooLarge) as refused:
        parse_file("流向.xlsx", bomb)
    assert (refused.value.rule, refused.value.status) == ("max-uncompressed-size", 413)
    assert "uncompressed" in str(refused.value)


def lying_about(content: bytes, member: str, declared: int) -> bytes:
    """The archive with `member`'s uncompressed size in the central directory replaced by `declared`."""
    data = bytearray(content)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, at + 24, declared)
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in the archive")


def test_a_member_that_inflates_beyond_what_it_declares_is_refused():
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    honest = with_sheet_data(repeat=4, block=row * (1024 * 1024 // len(row)))  # 4 MB: within the bound
    liar = lying_about(honest, "docProps/app.xml", 10)
    with pytest.raises(UnreadableFile) as refused:
        check_archive(liar)
    assert refused.value.rule == "readable-file"
    check_archive(honest)  # the same archive with its true sizes passes the check


def test_a_row_of_a_million_cells_is_refused_by_counting_cells_not_by_parsing_them():
    cell = b'<c t="n"><v>1</v></c>'
    wide = with_sheet_data(extra_rows=b'<row r="2">' + cell * 300_000 + b"</row>")
    with pytest.raises(FileTooLarge) as refused:
        parse_file("wide.xlsx", wide)
    assert (refused.value.rule, refused.value.status) == ("max-cells", 413)


def test_rows_beyond_the_bound_stop_the_reading(monkeypatch):
    monkeypatch.setattr(sellout_file, "MAX_LINES", 3)
    rows = [[str(H1), GTIN, f"L{n}", 1, "2026-05-01"] for n in range(5)]
    with pytest.raises(UnreadableFile) as refused:
        parse_file("many.xlsx", workbook(rows))
    assert (refused.value.rule, refused.value.status) == ("max-rows", 422)
    with pytest.raises(UnreadableFile) as csv_refused:
        parse_file("many.csv", "\n".join(",".join(map(str, r)) for r in [HEADER[:5], *rows]).encode())
    assert csv_refused.value.rule == "max-rows"


def test_columns_beyond_the_bound_are_not_read_and_a_declared_huge_sheet_is_no_slower():
    # The sheet declares 16,384 columns; only the first MAX_COLUMNS of a row are read.
    content = workbook([[str(H1), GTIN, "L1", 2, "2026-05-03", "S1;S2"]])
    book = zipfile.ZipFile(io.BytesIO(content))
    sheet = book.read("xl/worksheets/sheet1.xml").replace(b'<dimension ref="A1:F2"/>', b'<dimension ref="A1:XFD2"/>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in book.infolist():
            archive.writestr(info, sheet if info.filename == "xl/worksheets/sheet1.xml" else book.read(info))
    rows = bounded.xlsx_rows(out.getvalue(), sellout_file.MAX_LINES)
    assert [len(r) for r in rows] == [bounded.MAX_COLUMNS] * 2
    _, parsed = parse_file("ok.xlsx", out.getvalue())
    assert [(row, li.lot, li.serials) for row, li in parsed.lines] == [(2, "L1", ("S1", "S2"))]


def test_file_rows_follow_the_gs1_and_text_rules_naming_row_field_and_rule():
    content = workbook([
        [str(H1), GTIN, "L 1", 1, "2026-05-01", None],          # row 2: a space is not in GS1 set 82
        [str(H1), GTIN, "L2", 2, "2026-05-01", "S1;序列2"],      # row 3: a serial not in set 82
        [str(H1), GTIN, "L\u202e3", 1, "2026-05-01", None],     # row 4: a bidirectional override
        [str(H1), GTIN, "L4", 1, "2026\x9b-05-01", None],       # row 5: a (C1) control character
        [str(H1), GTIN, "L-5/A", 1, "2026-05-01", None],        # row 6: fine
    ])
    _, parsed = parse_file("rows.xlsx", content)
    assert [(row, li.lot) for row, li in parsed.lines] == [(6, "L-5/A")]
    assert [(e.line, e.field, e.rule) for e in parsed.errors] == [
        (2, "lot", "gs1-character-set"), (3, "serials", "gs1-character-set"), (4, "lot", "no-control-characters"),
        (5, "sold_at", "no-control-characters")]
    _, from_csv = parse_file("rows.csv", f"hospital_id,gtin,lot,quantity,sold_at\n{H1},{GTIN},L\x076,1,2026-05-01\n"
                             .encode())
    assert [(e.line, e.field, e.rule) for e in from_csv.errors] == [(2, "lot", "no-control-characters")]
