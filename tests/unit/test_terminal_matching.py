"""Sell-out cleansing (流向清洗): a reported hospital name matched to the terminal master — exactly, by alias, once
normalised (full-width, brackets, spaces, case), or without a reported branch — or left for review when nothing or
more than one hospital fits."""

from uuid import uuid4

import pytest

from services.traceability.domain.terminal_matching import Terminal, match, normalized

HUAXI, HUAXI_WEST, RENJI, PEKING_3 = uuid4(), uuid4(), uuid4(), uuid4()
MASTER = [Terminal(HUAXI, "四川大学华西医院", code="H510001", aliases=("华西医院",)),
          Terminal(HUAXI_WEST, "四川大学华西医院(西院)"),
          Terminal(RENJI, "上海交通大学医学院附属仁济医院"),
          Terminal(PEKING_3, "北京大学第三医院 (Peking University Third Hospital)")]


@pytest.mark.parametrize("reported, hospital, how", [
    ("四川大学华西医院", HUAXI, "exact"),
    ("H510001", HUAXI, "exact"),
    ("华西医院", HUAXI, "alias"),
    ("四川大学 华西医院", HUAXI, "normalized"),
    ("四川大学华西医院（西院）", HUAXI_WEST, "normalized"),  # full-width brackets: the branch the master lists
    ("四川大学华西医院【西院】", HUAXI_WEST, "normalized"),
    ("北京大学第三医院（PEKING UNIVERSITY THIRD HOSPITAL）", PEKING_3, "normalized"),  # width and case
    (" 上海交通大学医学院附属仁济医院 ", RENJI, "exact"),  # surrounding spaces are not a name
    ("四川大学华西医院(东院)", HUAXI, "branch"),  # a branch the master does not list: the hospital itself
    ("华西医院（东院）", HUAXI, "branch"),  # by its alias, without the branch
])
def test_a_reported_name_is_matched_strictest_step_first(reported, hospital, how):
    found = match(reported, MASTER)
    assert (found.hospital_id, found.how) == (hospital, how)


def test_a_name_nothing_or_several_hospitals_fit_is_left_for_review():
    assert match("成都市第一人民医院", MASTER).matched is False
    twins = [Terminal(uuid4(), "人民医院"), Terminal(uuid4(), "人民医院 ")]  # two entries alike once normalised
    ambiguous = match("人民医院（东院）", twins)
    assert (ambiguous.matched, len(ambiguous.candidates)) == (False, 2)


def test_normalising_folds_width_case_brackets_spaces_and_punctuation():
    assert normalized("（ＡＢＣ）医院 · 东院") == normalized("(abc)医院东院") == "(abc)医院东院"
    assert normalized("【西院】") == "(西院)"
