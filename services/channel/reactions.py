"""Process manager: every sell-out line a distributor reports, or a person matches from the review queue, is checked
for diversion (窜货) against the distributor's authorizations (application/diversion.py)."""

from services.channel.application import ChannelUnitOfWork, diversion
from shared.events import CloudEvent, EventPayload
from shared.events.traceability import SellOutLine, SellOutLineMatched, SellOutReported
from shared.platform.consumer import ProcessManager


class DiversionWatch(ProcessManager):
    name = "channel-diversion-watch"
    subscribes_to = ("traceability",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: ChannelUnitOfWork) -> None:
        if isinstance(payload, SellOutReported):
            for line in payload.lines:
                self._check(payload, line, uow)
        elif isinstance(payload, SellOutLineMatched):
            self._check(payload, payload.line, uow)

    @staticmethod
    def _check(report: SellOutReported | SellOutLineMatched, line: SellOutLine, uow: ChannelUnitOfWork) -> None:
        if line.unknown_hospital:
            return  # traceability flagged it; there is no territory to judge
        diversion.check_sold_line(diversion.SoldLine(
            report_id=report.report_id, report_reference=report.report_reference,
            distributor_id=report.distributor_id, line_no=line.line_no, hospital_id=line.hospital_id, gtin=line.gtin,
            lot=line.lot, serials=tuple(line.serials) if line.serials else None, quantity=line.quantity,
            sold_at=line.sold_at), uow)
