"""Distributors' inventory reports (进销存): recorded once per (distributor, report reference), reconciled when read
(queries/channel_stock.py)."""

from datetime import date
from shared.domain.business_day import CHINA
from uuid import UUID

from services.traceability.application import TraceabilityUnitOfWork
from services.traceability.domain.channel_stock import (
    ChannelInventoryReport, StockLine, stock_line_errors, stock_report_id,
)
from services.traceability.domain.master_data import registered_distributor
from shared.domain.rules import RuleViolation
from shared.platform.command import Command
from shared.platform.idempotency import create_once



class ReportChannelStock(Command):
    distributor_id: UUID
    report_reference: str
    as_of: date
    source: str
    lines: list[tuple[int, StockLine]]  # each valid; no lot twice


def report_channel_stock(command: ReportChannelStock, uow: TraceabilityUnitOfWork) -> tuple[ChannelInventoryReport,
                                                                                          bool]:
    registered_distributor(command.distributor_id, uow.master_data)
    if errors := stock_line_errors(command.lines):
        raise RuleViolation(errors[0].rule, errors[0].message, f"lines[{errors[0].line - 1}].{errors[0].field}")
    if command.as_of > uow.now().astimezone(CHINA).date():  # the distributor counts its stock on China's days
        raise RuleViolation("not-in-future", f"{command.as_of} is in the future", "as_of")

    def reported() -> ChannelInventoryReport:
        return ChannelInventoryReport(distributor_id=command.distributor_id, report_reference=command.report_reference,
                                      as_of=command.as_of, source=command.source, lines=[
                                          {"line_no": n, "gtin": line.gtin, "lot": line.lot,
                                           "quantity": line.quantity} for n, line in command.lines])

    report, created = create_once(uow, stock_report_id(command.distributor_id, command.report_reference),
                                  ChannelInventoryReport, reported)
    if not created:
        report.check_resubmission(command.as_of, command.lines)
    return report, created
