"""The ledger export: a month's journal, as vouchers, marked exported (domain/ledger.py). The file is built from the
AR read model's journal (projections/receivables.py) at the moment of export; its digest is recorded with the mark."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.billing.application import BillingUnitOfWork
from services.billing.documents import ledger_file
from services.billing.domain.ledger import LedgerPeriod, ledger_period_id, period_bounds, vouchers
from shared.platform.command import Command


class ExportLedger(Command):
    period: str  # YYYY-MM
    again: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class LedgerExport:
    period: LedgerPeriod
    rows: list[list[Any]]


def export_ledger(command: ExportLedger, uow: BillingUnitOfWork) -> LedgerExport:
    start, end = period_bounds(command.period)
    numbered = vouchers(uow.receivables.journal(start, end))
    table = ledger_file.rows(numbered, uow.settings.ledger_accounts, uow.settings.account_currency)
    facts = {"vouchers": len({line["voucher"] for line in numbered}), "lines": len(numbered),
             "debit_total": sum((Decimal(line["debit"]) for line in numbered), Decimal("0.00")),
             "digest": ledger_file.digest(table)}
    found = uow.get(ledger_period_id(command.period), LedgerPeriod)
    if found is None:
        found = LedgerPeriod(period=command.period, **facts)
    else:
        found.export_again(**facts, reason=command.reason if command.again else None)
    uow.collect(found)
    uow.commit()
    return LedgerExport(found, table)
