"""How codes read in documents for regulators and partners: in Chinese and English, e.g. "进行中 open".

The API keeps answering the codes themselves; only the rendered reports and exports use these labels.
"""

# NMPA 一级/二级/三级 and FDA class I/II/III are the same three levels (domain/recall.py LEVEL_NAMES).
LEVEL = {1: "一级 Class I", 2: "二级 Class II", 3: "三级 Class III"}
CASE_STATUS = {"open": "进行中 open", "closed": "已关闭 closed"}
CONSIGNEE_STATUS = {
    "pending": "待通知 pending",
    "overdue": "逾期未通知 overdue",
    "notified": "已通知 notified",
    "notified_late": "逾期通知 notified late",
    "acknowledged": "已确认 acknowledged",
}
CONSIGNEE_KIND = {"hospital": "医院 hospital", "distributor": "经销商 distributor"}
NOTIFICATION_METHOD = {
    "email": "电子邮件 email", "phone": "电话 phone", "fax": "传真 fax", "letter": "信函 letter",
    "visit": "上门 visit", "portal": "平台 portal",
}


def label(codes: dict[str, str], code: str | None) -> str | None:
    """The bilingual label of a code; a code without one is shown as it is."""
    return None if code is None else codes.get(code, code)
