"""The clocks a recall runs on: when consignees must be told (by the recall's level), whether a consignee was told in
time, and what "not in the future" allows. Pure: `now` is always handed in."""

from datetime import datetime, timedelta
from typing import Literal, Protocol
from uuid import UUID

from shared.domain.rules import InvalidReference

# NMPA 召回管理办法: 一级 within 1 day, 二级 3 days, 三级 7 days of the decision. 21 CFR 7 sets no day count
# for FDA classes; the same windows apply to class I/II/III as company policy.
NOTIFY_WITHIN = {1: timedelta(days=1), 2: timedelta(days=3), 3: timedelta(days=7)}
# Timestamps a few minutes ahead of the server's clock are accepted (the caller's clock may run fast).
CLOCK_SKEW = timedelta(minutes=5)

ConsigneeStatus = Literal["acknowledged", "notified", "notified_late", "overdue", "pending"]


def notify_by(decided_at: datetime, level: int) -> datetime:
    return decided_at + NOTIFY_WITHIN[level]


def not_in_future(field: str, value: datetime, now: datetime) -> None:
    if value > now + CLOCK_SKEW:
        raise InvalidReference(field, "not-in-future", f"{field} {value.isoformat()} is in the future")


class NoticeRecord(Protocol):
    """What the status of a consignee is judged from: a recall case's notices and its deadline."""

    status: str
    notify_by: datetime
    notified: dict[str, dict]
    acknowledged: dict[str, dict]


def consignee_status(case: NoticeRecord, consignee_id: UUID, now: datetime) -> ConsigneeStatus:
    """acknowledged | notified | notified_late | overdue (not notified past the deadline) | pending."""
    key = str(consignee_id)
    if key in case.acknowledged:
        return "acknowledged"
    notice = case.notified.get(key)
    if notice is not None:
        return "notified_late" if notice["notified_at"] > case.notify_by else "notified"
    return "overdue" if case.status == "open" and now > case.notify_by else "pending"
