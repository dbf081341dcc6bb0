"""A device may be received and sold only under a registration certificate (医疗器械注册证, or a class I filing
备案凭证) valid on the day (China, 医疗器械监督管理条例). Items whose certificate is not migrated yet may be allowed
until a configured day (REGISTRATION_CERTIFICATE_GRACE_UNTIL, no grace by default); an expired certificate never
is. Pure: applied alike by inventory (receipts) and the order service (sales)."""

from datetime import date
from typing import Any

from shared.domain.validity import valid_on


def certificate_problem(certificate: dict[str, Any] | None, day: date, grace_until: date | None = None) -> str | None:
    """Why the device may not be received or sold on `day`, or None when it may."""
    if certificate is None:
        if grace_until is not None and day <= grace_until:
            return None
        return "no registration certificate (注册证) is on record"
    valid_from, valid_to = _day(certificate["valid_from"]), _day(certificate["valid_to"])
    if valid_on(valid_from, valid_to, day):
        return None
    when = "expired on" if day > valid_to else "is valid only from"
    return f"its registration certificate {certificate['number']} {when} {valid_to if day > valid_to else valid_from}"


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
