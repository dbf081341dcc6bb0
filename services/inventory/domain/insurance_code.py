"""The national medical-insurance consumables code (医保医用耗材分类与代码, "医保耗材编码") an item may carry.

Its structure is the National Healthcare Security Administration's (国家医保局) coding rule for the classification and
codes of medical consumables (医保医用耗材编码规则和方法). The NHSA's own document was not among the sources we could
search; we read the rule as restated in "医保医用耗材编码规则和方法" (http://m.jiajiao0451.com/club/show.php?itemid=407):
20 characters in five parts, upper-case Latin letters and Arabic digits in a fixed order —

    part 1  耗材标识码   1 character   the letter "C" (consumable)
    part 2  分类码       6 digits      classification by discipline, use, site and function (学科、用途、部位、功能);
                                       its levels (一级、二级、三级分类) are not checked apart
    part 3  通用名码     3 digits      the nationally unified generic name (医保医用耗材通用名)
    part 4  产品特征码   5 digits      features such as material and specification (材质、规格等特征)
    part 5  生产企业码   5 digits      the manufacturer, assigned from its registration certificate or filing
                                       (依据医疗器械注册证或备案凭证为生产企业赋予的唯一代码)

The 27-character form used for a single product (the code the NHSA's maintenance platform gives an enterprise's
product, 单件产品) is the 20-character code followed by a 7-character product suffix. We found no published text that
divides those 7 characters further, so they are checked only as the rule's alphabet allows: upper-case Latin letters
and digits (README, "Codes").
"""

import re

from shared.domain.rules import InvalidReference

FIELD = "code"
RULE = "nhsa-consumable-code"
# (name, characters, pattern, what it is) in order: the published parts, then the 27-character form's suffix.
PARTS = (
    ("耗材标识码", 1, r"C", 'the letter "C"'),
    ("分类码", 6, r"[0-9]{6}", "6 digits"),
    ("通用名码", 3, r"[0-9]{3}", "3 digits"),
    ("产品特征码", 5, r"[0-9]{5}", "5 digits (材质、规格等特征)"),
    ("生产企业码", 5, r"[0-9]{5}", "5 digits"),
)
SUFFIX = ("产品后缀", 7, r"[0-9A-Z]{7}", "7 upper-case letters or digits")
LENGTHS = (20, 27)


def check_insurance_code(code: str, field: str = FIELD) -> str:
    """The code when its structure is right, else a 422 naming `field`, the rule and the first part that is wrong
    (its characters' positions, counted from 1)."""
    if len(code) not in LENGTHS:
        _refuse(field, f"a 医保耗材编码 has 20 characters (or 27 with the product suffix), not {len(code)}")
    start = 0
    for name, size, pattern, what in PARTS + ((SUFFIX,) if len(code) == 27 else ()):
        part = code[start:start + size]
        if not re.fullmatch(pattern, part):
            _refuse(field, f"characters {start + 1}-{start + size} ({name}) must be {what}, not {part!r}"
                    if size > 1 else f"character {start + 1} ({name}) must be {what}, not {part!r}")
        start += size
    return code


def _refuse(field: str, message: str) -> None:
    raise InvalidReference(field, RULE, message)
