"""What the adverse-event routes (adverse.py) take and answer: a report (the device typed or as its scanned UDI), a
submission, a recall opened from one, and the event with its report deadline's status."""

from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.traceability.api.recall_models import AllowUnknownLots, LotIn, SerialIn
from services.traceability.domain.adverse import AdverseEvent
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Description, Name, Reason, Reference
from shared.domain.udi import UDIError, parse_udi
from shared.events.traceability import AdverseOutcome
from shared.platform.problems import invalid_field

ReportStatus = Literal["submitted", "submitted_late", "overdue", "due", "no_deadline"]


class ReportAdverseEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput | None = Field(None, description="required unless `udi` carries it (GS1)")
    lot: LotInput | None = None
    serial: SerialInput | None = None
    udi: str | None = Field(None, min_length=1, max_length=200,
                            description="the UDI as scanned or read from the label (GS1 or HIBC): its GTIN, lot and"
                                        " serial fill the fields left out, and must agree with those given")
    hospital_id: UUID | None = Field(None, description="a hospital registered in the channel")
    outcome: AdverseOutcome = Field(description="death: report within 7 days; serious_injury: 20 days;"
                                                " group_event: 12 hours (of becoming aware); other: no deadline")
    description: Description
    occurred_at: AwareDatetime | None = None
    became_aware_at: AwareDatetime


class SubmitReport(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    submitted_at: AwareDatetime
    regulator_reference: Reference


class RecallFromAdverseEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: Name
    scheme: Literal["NMPA", "FDA"] = "NMPA"
    level: Literal[1, 2, 3]
    reason: Reason
    decided_at: AwareDatetime
    lots: list[LotIn] | None = Field(None, max_length=1000, description="default: the event's own lot")
    serials: list[SerialIn] = Field(default_factory=list, max_length=10000)
    allow_unknown_lots: AllowUnknownLots = False


class AdverseEventOut(BaseModel):
    adverse_event_id: UUID
    gtin: str
    lot: str | None
    serial: str | None
    udi: str | None
    hospital_id: UUID | None
    outcome: str
    description: str
    occurred_at: datetime | None
    became_aware_at: datetime
    report_due_at: datetime | None
    status: ReportStatus
    evaluated_at: datetime
    submitted_at: datetime | None
    regulator_reference: str | None
    recall_id: UUID | None
    version: int


class AdverseEventRow(BaseModel):
    adverse_event_id: UUID
    gtin: str
    lot: str | None
    outcome: str
    became_aware_at: datetime
    report_due_at: datetime | None
    submitted_at: datetime | None
    regulator_reference: str | None
    recall_id: UUID | None


def adverse_out(event: AdverseEvent, at: datetime | None) -> AdverseEventOut:
    at = at or datetime.now(UTC)
    return AdverseEventOut(
        adverse_event_id=event.id, gtin=event.gtin, lot=event.lot, serial=event.serial, udi=event.udi,
        hospital_id=event.hospital_id, outcome=event.outcome, description=event.description,
        occurred_at=event.occurred_at, became_aware_at=event.became_aware_at, report_due_at=event.report_due_at,
        status=event.status(at), evaluated_at=at, submitted_at=event.submitted_at,
        regulator_reference=event.regulator_reference, recall_id=event.recall_id, version=event.version)


def identified(body: ReportAdverseEvent) -> dict:
    """The report's fields with the device identified: what the UDI says, checked against what was typed."""
    fields = body.model_dump()
    if body.udi is not None:
        try:
            parsed = parse_udi(body.udi)
        except UDIError as error:
            raise invalid_field("udi", error.rule, error.message) from None
        for name in ("gtin", "lot", "serial"):
            read = getattr(parsed, name)
            if read is not None and fields[name] is not None and fields[name] != read:
                raise invalid_field(name, "matches-udi", f"{name} {fields[name]!r} differs from the UDI's {read!r}")
            fields[name] = fields[name] or read
    if fields["gtin"] is None:
        raise invalid_field("gtin", "gtin-required", "give the device's gtin, or a GS1 udi that carries it")
    return fields
