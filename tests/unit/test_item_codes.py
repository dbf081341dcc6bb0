"""The item master's national medical-insurance consumables code (医保耗材编码): its published structure, refusals
naming the part that is wrong, the event it is recorded by; and the UDI database submission file's rows."""

import csv
import io

import pytest
from openpyxl import load_workbook

from services.inventory.application import item_master
from services.inventory.documents import udi_submission
from services.inventory.domain.insurance_code import check_insurance_code
from shared.domain.rules import InvalidReference
from shared.events import inventory as contracts
from tests.unit.inventory_world import World, world  # noqa: F401 - the fixture

GTIN, BOX, CASE = "09506000134352", "19506000134359", "29506000134356"
CODE_20 = "C0203011230010001234"  # C | 020301 | 123 | 00100 | 01234
CODE_27 = CODE_20 + "0000017"


@pytest.mark.parametrize("code", [CODE_20, CODE_27, CODE_20 + "A00B017", "C9999999999999999999"])
def test_a_code_of_the_published_structure_is_accepted(code: str):
    assert check_insurance_code(code) == code


@pytest.mark.parametrize(("code", "words"), [
    ("C020301123001000123", "20 characters (or 27 with the product suffix), not 19"),
    (CODE_20 + "1", "not 21"),
    ("D0203011230010001234", "character 1 (耗材标识码) must be the letter \"C\""),
    ("c0203011230010001234", "character 1 (耗材标识码)"),
    ("C02A3011230010001234", "characters 2-7 (分类码) must be 6 digits"),
    ("C020301X230010001234", "characters 8-10 (通用名码) must be 3 digits"),
    ("C02030112300 1001234", "characters 11-15 (产品特征码) must be 5 digits"),
    ("C020301123001000123A", "characters 16-20 (生产企业码) must be 5 digits"),
    (CODE_20 + "00000a7", "characters 21-27 (产品后缀) must be 7 upper-case letters or digits"),
    ("Ｃ0203011230010001234", "character 1"),  # a full-width C is not the letter C
])
def test_a_malformed_code_is_refused_naming_the_field_the_rule_and_the_part(code: str, words: str):
    with pytest.raises(InvalidReference) as refused:
        check_insurance_code(code)
    assert (refused.value.field, refused.value.rule) == ("code", "nhsa-consumable-code")
    assert words in refused.value.message


def test_the_code_is_set_once_changed_and_taken_off_by_events_and_a_bad_one_stores_nothing(world: World):
    world.item(GTIN)
    before = world.stored()
    with pytest.raises(InvalidReference):
        item_master.set_insurance_code(item_master.SetInsuranceCode(gtin=GTIN, code="C123"), world.uow())
    assert world.stored() == before
    for code in (CODE_20, CODE_20, CODE_27, None, None):
        item = item_master.set_insurance_code(item_master.SetInsuranceCode(gtin=GTIN, code=code), world.uow())
        assert item.master.insurance_code == code
    assert world.stored()[len(before):] == ["MedicalInsuranceCodeSet"] * 3
    assert world.app.repository.get(item.id).master.insurance_code is None  # replayed from the history


def test_the_contract_holds_the_published_structure_only():
    contracts.MedicalInsuranceCodeSet(item_id="fe481384-7cf3-576e-90bb-3a07e6637fa8", gtin=GTIN, code=CODE_27)
    contracts.MedicalInsuranceCodeSet(item_id="fe481384-7cf3-576e-90bb-3a07e6637fa8", gtin=GTIN, code=None)
    with pytest.raises(ValueError):
        contracts.MedicalInsuranceCodeSet(item_id="fe481384-7cf3-576e-90bb-3a07e6637fa8", gtin=GTIN, code="C12")


def item_row(**overrides) -> dict:
    return {"gtin": GTIN, "name": "冠脉支架系统", "model": "3.0x18mm", "certificate_number": "国械注准20243130001",
            "certificate_holder": "苏州医疗器械制造有限公司", "insurance_code": CODE_20, "lot_tracked": True,
            "serial_tracked": False, "implant": True, "min_temperature_c": 2.0, "max_temperature_c": 25.0,
            **overrides}


def test_each_packaging_level_names_the_level_below_and_how_many_of_it_it_holds():
    levels = {"box": {"packaging_gtin": BOX, "quantity": 10}, "case": {"packaging_gtin": CASE, "quantity": 60}}
    assert udi_submission.packaging_rows(GTIN, levels) == [["盒", BOX, 10, GTIN], ["箱", CASE, 6, BOX]]
    # A case without a box holds base units.
    assert udi_submission.packaging_rows(GTIN, {"case": {"packaging_gtin": CASE, "quantity": 60}}) == [
        ["箱", CASE, 60, GTIN]]


def test_the_submission_file_has_a_row_per_packaging_level_in_csv_and_xlsx():
    other = "09506000134369"
    items = [item_row(), item_row(gtin=other, model=None, insurance_code=None, min_temperature_c=None,
                                  max_temperature_c=None, serial_tracked=True)]
    packaging = {GTIN: {"box": {"packaging_gtin": BOX, "quantity": 10}, "case": {"packaging_gtin": CASE, "quantity": 60}}}
    table = udi_submission.rows(items, packaging)
    assert len(table) == 3 and all(len(row) == len(udi_submission.COLUMNS) for row in table)

    data = udi_submission.as_csv_bytes(table)
    assert data.startswith("\ufeff".encode())
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["最小销售单元产品标识"], r["产品包装级别"], r["包装产品标识"], r["包装内含小一级产品标识数量"],
             r["包装内含小一级包装产品标识"]) for r in read] == [
        (GTIN, "盒", BOX, "10", GTIN), (GTIN, "箱", CASE, "6", BOX), (other, "", "", "", "")]
    first, last = read[0], read[2]
    assert (first["产品名称/通用名称"], first["规格型号"], first["注册证编号或者备案凭证编号"], first["医疗器械注册人/备案人名称"],
            first["医保耗材分类编码"], first["生产标识是否包含批号"], first["最低值"], first["最高值"], first["计量单位"]) == (
        "冠脉支架系统", "3.0x18mm", "国械注准20243130001", "苏州医疗器械制造有限公司", CODE_20, "是", "2", "25", "℃")
    assert (last["规格型号"], last["医保耗材分类编码"], last["生产标识是否包含序列号"], last["储存或操作条件"]) == ("", "", "是", "")

    sheet = load_workbook(io.BytesIO(udi_submission.as_xlsx(table))).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == udi_submission.COLUMNS
    assert values[1][0] == GTIN  # text: the leading zero stays
    assert [v[udi_submission.COLUMNS.index("包装产品标识")] for v in values[1:]] == [BOX, CASE, None]
