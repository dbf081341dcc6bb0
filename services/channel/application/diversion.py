"""Diversion (窜货) alerts: every sell-out line a distributor reports (traceability's SellOutReported, and each line a
person matches later from the review queue) is checked against the distributor's authorizations on the day of the
sale (domain/diversion.py); a line none covers raises an alert, once per line. A person resolves it with a reason."""

from datetime import date
from uuid import UUID

from services.channel.application import ChannelUnitOfWork
from services.channel.domain import Distributor, Hospital
from services.channel.domain.diversion import DiversionAlert, alert_id_for, diversion_of
from shared.domain.rules import NotFound
from shared.platform.command import Command
from shared.platform.idempotency import create_once


class SoldLine(Command):
    report_id: UUID
    report_reference: str
    distributor_id: UUID
    line_no: int
    hospital_id: UUID
    gtin: str
    lot: str
    serials: tuple[str, ...] | None = None
    quantity: int
    sold_at: date


def check_sold_line(command: SoldLine, uow: ChannelUnitOfWork) -> DiversionAlert | None:
    """The line's alert when no authorization covers it (raised once), else None. A hospital or distributor the
    channel does not know cannot be judged: traceability flags an unknown hospital itself."""
    distributor = uow.get(command.distributor_id, Distributor)
    hospital = uow.get(command.hospital_id, Hospital)
    if distributor is None or hospital is None:
        return None
    found = diversion_of(distributor.authorizations, command.gtin, uow.items.product_group(command.gtin),
                         hospital.province, hospital.id, command.sold_at, hospital.city)
    if found is None:
        return None
    alert, _ = create_once(uow, alert_id_for(command.report_id, command.line_no), DiversionAlert, lambda: DiversionAlert(
        report_id=command.report_id, line_no=command.line_no, report_reference=command.report_reference,
        distributor_id=command.distributor_id, hospital_id=command.hospital_id, province=hospital.province,
        gtin=command.gtin, lot=command.lot, serials=list(command.serials) if command.serials else None,
        quantity=command.quantity, sold_at=command.sold_at, authorizations=found["authorizations"],
        problem=found["problem"]))
    return alert


class ResolveAlert(Command):
    alert_id: UUID
    outcome: str
    resolution: str


def resolve_alert(command: ResolveAlert, uow: ChannelUnitOfWork) -> DiversionAlert:
    alert = diversion_alert(uow, command.alert_id)
    if alert.resolve(command.outcome, command.resolution):
        uow.collect(alert)
    uow.commit()
    return alert


def diversion_alert(uow: ChannelUnitOfWork, alert_id: UUID) -> DiversionAlert:
    alert = uow.get(alert_id, DiversionAlert)
    if alert is None:
        raise NotFound("Diversion alert", alert_id)
    return alert
