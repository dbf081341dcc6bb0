"""The ledger export (凭证导出): each month's journal — invoices, credit notes (红字, in red: negative on the same
side), payments and reversals — written once for the accounting system (金蝶/用友 voucher import). A month exported is
marked; exporting it again is explicit, with a reason, and recorded too, so that the accounting system is never fed
a month twice by accident. Pure."""

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.domain.rules import RuleViolation
from shared.platform.aggregate import TracedAggregate


def ledger_period_id(period: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"erp:ledger-period:{period}")


def period_bounds(period: str) -> tuple[date, date]:
    """The first and last day of a month written YYYY-MM."""
    year, month = int(period[:4]), int(period[5:7])
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def vouchers(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The journal lines as vouchers: one per document, numbered 1.. in date then document order within the month,
    each line numbered within its voucher. Refused when the debits and credits do not balance (the read model is
    wrong, and the accounting system would refuse it anyway)."""
    numbered, voucher, last = [], 0, None
    for line in sorted(lines, key=lambda l: (l["on_date"], l["entry_id"], l["line_no"])):
        if line["entry_id"] != last:
            voucher, last = voucher + 1, line["entry_id"]
        numbered.append({**line, "voucher": voucher})
    debit = sum((Decimal(line["debit"]) for line in lines), Decimal("0.00"))
    credit = sum((Decimal(line["credit"]) for line in lines), Decimal("0.00"))
    if debit != credit:
        raise RuleViolation("ledger-balanced", f"the journal does not balance: debits {debit}, credits {credit}",
                            "period")
    return numbered


class LedgerPeriod(TracedAggregate):
    @event("Exported")
    def __init__(self, period: str, vouchers: int, lines: int, debit_total: Decimal, digest: str) -> None:
        self.period = period
        self.exports = [{"vouchers": vouchers, "lines": lines, "debit_total": debit_total, "digest": digest,
                         "reason": None}]

    @staticmethod
    def create_id(period: str) -> UUID:
        return ledger_period_id(period)

    def export_again(self, vouchers: int, lines: int, debit_total: Decimal, digest: str, reason: str | None) -> None:
        if not reason:
            raise RuleViolation("ledger-period-exported", f"{self.period} was exported already: export it again only"
                                " on purpose (again, with a reason)", "period",
                                exports=len(self.exports))
        self._exported_again(vouchers=vouchers, lines=lines, debit_total=debit_total, digest=digest, reason=reason)

    @event("ExportedAgain")
    def _exported_again(self, vouchers: int, lines: int, debit_total: Decimal, digest: str, reason: str) -> None:
        self.exports = [*self.exports, {"vouchers": vouchers, "lines": lines, "debit_total": debit_total,
                                        "digest": digest, "reason": reason}]
