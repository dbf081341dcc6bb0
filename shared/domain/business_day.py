"""China's business day: periods, stock counts, rebate periods and sales days are judged on the date in Shanghai
(an invoice at 23:30 UTC is the next day there; at 00:10 in Shanghai it is still yesterday in UTC)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def business_day(at: datetime) -> date:
    """The day in China of an aware time."""
    return at.astimezone(CHINA).date()


def business_today() -> date:
    """Today in China: the one day every service judges certificates, licences, expiry and periods on."""
    return business_day(datetime.now(UTC))
