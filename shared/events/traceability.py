"""Events produced by the traceability service (topic `traceability.events`): recall cases, adverse events
and distributor sell-out reports, its own aggregates."""

from datetime import date
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.events.base import GTIN, AwareDatetime, EventPayload, LotNumber, NoneIsEmpty, Quantity, ValueObject


class TraceabilityEvent(EventPayload):
    producer: ClassVar[str] = "traceability"


# Recall cases ----------------------------------------------------------------------------------------------------

RecallScheme = Literal["NMPA", "FDA"]
NotificationMethod = Literal["email", "phone", "fax", "letter", "visit", "portal"]


class RecalledLot(ValueObject):
    gtin: GTIN
    lot: LotNumber


class RecalledSerial(ValueObject):
    gtin: GTIN
    serial: str = Field(min_length=1, max_length=20, description="GS1 AI (21)")


class RecallEvent(TraceabilityEvent):
    subject_field: ClassVar[str] = "recall_id"
    recall_id: UUID


class RecallOpened(RecallEvent):
    """A recall decided by the manufacturer. Its level sets the notification deadline from `decided_at`:
    NMPA 一级/二级/三级 (and FDA class I/II/III) within 1/3/7 days. Inventory puts the lots on hold."""

    event_name: ClassVar[str] = "RecallOpened"

    title: str = Field(min_length=1, max_length=200)
    scheme: RecallScheme = Field(description="NMPA: 一级/二级/三级 (China); FDA: class I/II/III (21 CFR 7)")
    level: Literal[1, 2, 3] = Field(description="1 is the most serious")
    reason: str = Field(min_length=1, max_length=2000)
    decided_at: AwareDatetime = Field(description="when the recall was decided: the notification clock starts here")
    notify_by: AwareDatetime = Field(description="every consignee must be notified by then (decided_at + 1/3/7 days)")
    lots: list[RecalledLot] = Field(default_factory=list, description="whole lots recalled")
    serials: list[RecalledSerial] = Field(default_factory=list, description="single serialised units recalled")
    kit_lots: list[RecalledLot] = Field(
        default_factory=list, description="kit lots assembled from a recalled lot (transitively), as the lineage knew"
                                          " them at opening: recalled and held with it")
    adverse_event_id: UUID | None = Field(None, description="the adverse event that led to this recall, if any")
    # Absent from cases opened before recalls were numbered: they are known by their id.
    number: str | None = Field(None, min_length=1, max_length=20,
                               description="the human recall number, e.g. RC-2026-0001: per calendar year of the"
                                           " decision (Asia/Shanghai), without gaps")


class RecallNumberIssued(TraceabilityEvent):
    """The year's recall number sequence gave the next number to a case: recorded in the same transaction as the
    case it numbers, so two cases never get one number and no number is skipped."""

    event_name: ClassVar[str] = "RecallNumberIssued"
    subject_field: ClassVar[str] = "sequence_id"

    sequence_id: UUID = Field(description="the sequence of one calendar year")
    year: int = Field(ge=2000, le=9999, description="calendar year of the decision, in Asia/Shanghai")
    sequence: int = Field(ge=1, description="the number's position in the year: 1, 2, 3, … without gaps")
    number: str = Field(min_length=1, max_length=20, description="as printed, e.g. RC-2026-0001")
    recall_id: UUID = Field(description="the case that carries the number")


class RecallConsigneeNotified(RecallEvent):
    event_name: ClassVar[str] = "RecallConsigneeNotified"

    consignee_id: UUID
    notified_at: AwareDatetime
    method: NotificationMethod
    note: str | None = Field(None, max_length=500)


class RecallAcknowledged(RecallEvent):
    """The consignee confirmed it received the notice (and, for a hospital, stopped using the units)."""

    event_name: ClassVar[str] = "RecallAcknowledged"

    consignee_id: UUID
    acknowledged_at: AwareDatetime
    acknowledged_by: str = Field(min_length=1, max_length=100, description="the person at the consignee")
    note: str | None = Field(None, max_length=500)


class RecallUnitsReturned(RecallEvent):
    """Units of a recalled lot came back from a consignee (a return recorded by inventory while the case is open)."""

    event_name: ClassVar[str] = "RecallUnitsReturned"

    consignee_id: UUID
    gtin: GTIN
    lot: LotNumber
    quantity: Quantity
    return_id: UUID = Field(description="inventory's return (RMA) the units came back with")
    returned_at: AwareDatetime


class RecallEffectiveness(ValueObject):
    consignees_to_notify: int = Field(ge=0)
    consignees_notified: int = Field(ge=0)
    consignees_acknowledged: int = Field(ge=0)
    units_to_recover: int = Field(ge=0)
    units_recovered: int = Field(ge=0)


class RecallScopeReductionProposed(RecallEvent):
    """A recall officer proposes taking lots or units out of an open recall's scope, with a reason. Nothing changes
    until a second recall officer approves it (RecallScopeReduced); it may be rejected instead."""

    event_name: ClassVar[str] = "RecallScopeReductionProposed"

    proposal_id: UUID
    lots: list[RecalledLot] = Field(default_factory=list, description="whole lots (or kit lots) to take out")
    serials: list[RecalledSerial] = Field(default_factory=list, description="units to take out")
    reason: str = Field(min_length=1, max_length=2000)
    proposed_by: str = Field(min_length=1, max_length=200, description="the actor who proposes it")


class RecallScopeReductionRejected(RecallEvent):
    """The proposal is turned down (or withdrawn): the scope stays as it was."""

    event_name: ClassVar[str] = "RecallScopeReductionRejected"

    proposal_id: UUID
    reason: str = Field(min_length=1, max_length=2000)
    rejected_by: str = Field(min_length=1, max_length=200)


class RecallScopeReduced(RecallEvent):
    """Lots or units taken out of an open recall's scope: proposed by one recall officer with a reason and approved
    by a second one. Inventory no longer stops them for this recall (a lot stays on hold until quality releases it)."""

    event_name: ClassVar[str] = "RecallScopeReduced"

    proposal_id: UUID
    lots: list[RecalledLot] = Field(default_factory=list, description="whole lots (or kit lots) removed from the scope")
    serials: list[RecalledSerial] = Field(default_factory=list, description="units removed from the scope")
    reason: str = Field(min_length=1, max_length=2000)
    proposed_by: str = Field(min_length=1, max_length=200, description="the actor who proposed the reduction")
    approved_by: str = Field(min_length=1, max_length=200, description="the second person, never the proposer")


class RecallClosureRequested(RecallEvent):
    """A recall officer asks to close the recall with a summary. Nothing changes until a second recall officer
    approves it (RecallClosed); a later request replaces this one."""

    event_name: ClassVar[str] = "RecallClosureRequested"

    closed_at: AwareDatetime
    summary: str = Field(min_length=1, max_length=4000)
    requested_by: str = Field(min_length=1, max_length=200, description="the actor who requests it")


class RecallClosed(RecallEvent):
    """The recall is over. Inventory lifts the recall's stop on the scope named here (lots stay on hold until
    quality releases them)."""

    event_name: ClassVar[str] = "RecallClosed"

    closed_at: AwareDatetime
    summary: str = Field(min_length=1, max_length=4000)
    effectiveness: RecallEffectiveness = Field(description="the figures as they stood at closure")
    # Absent from events recorded before inventory kept recall stops (those recalls held lots without one).
    lots: list[RecalledLot] | None = Field(None, description="the lots (kit lots included) in scope at closure")
    serials: list[RecalledSerial] | None = Field(None, description="the units in scope at closure")
    # Absent from events recorded before closure took four eyes.
    requested_by: str | None = Field(None, max_length=200, description="the recall officer who requested closure")
    approved_by: str | None = Field(None, max_length=200, description="the second recall officer, who approved it")


# Adverse events --------------------------------------------------------------------------------------------------

AdverseOutcome = Literal["death", "serious_injury", "group_event", "other"]


class AdverseEventEvent(TraceabilityEvent):
    subject_field: ClassVar[str] = "adverse_event_id"
    adverse_event_id: UUID


class AdverseEventReported(AdverseEventEvent):
    """A suspected adverse event came to the manufacturer's knowledge. The regulator must have the report by
    `report_due_at`: deaths 7 days, serious injuries 20 days, group events 12 hours after `became_aware_at`."""

    event_name: ClassVar[str] = "AdverseEventReported"

    gtin: GTIN
    lot: LotNumber | None = None
    serial: str | None = Field(None, min_length=1, max_length=20)
    udi: str | None = Field(None, max_length=200, description="the UDI as scanned or read from the label")
    hospital_id: UUID | None = None
    outcome: AdverseOutcome
    description: str = Field(min_length=1, max_length=4000)
    occurred_at: AwareDatetime | None = None
    became_aware_at: AwareDatetime
    report_due_at: AwareDatetime | None = Field(description="null for outcomes without a statutory deadline")


class AdverseEventSubmitted(AdverseEventEvent):
    """The report reached the regulator (e.g. the national adverse event monitoring system)."""

    event_name: ClassVar[str] = "AdverseEventSubmitted"

    submitted_at: AwareDatetime
    regulator_reference: str = Field(min_length=1, max_length=100)


class AdverseEventRecallOpened(AdverseEventEvent):
    event_name: ClassVar[str] = "AdverseEventRecallOpened"

    recall_id: UUID


# Distributor sell-out (流向) reports -----------------------------------------------------------------------------


class ReportPeriod(ValueObject):
    start: date
    end: date = Field(description="the last day of the period, included")


class SellOutLine(ValueObject):
    """Units a distributor delivered to a hospital, as it reported them, with what the report's checks found."""

    line_no: int = Field(ge=1, description="the line's position in the report, or its row in the uploaded file")
    hospital_id: UUID
    gtin: GTIN
    lot: LotNumber
    serials: list[str] | None = Field(None, description="serial numbers (GS1 AI 21), one per unit, when reported")
    quantity: Quantity
    sold_at: date = Field(description="the day the distributor delivered the units to the hospital")
    received: int = Field(ge=0, description="units of the lot the distributor had received (shipped to it minus returned"
                                            " by it) as the lineage knew when the report arrived")
    over_reported: bool = Field(description="this line takes the distributor's reported total of the lot above"
                                            " `received`: accepted, but flagged for review")
    excess: int = Field(ge=0, description="the units of this line above what the distributor received")
    unknown_hospital: bool = Field(description="no hospital with this id is registered in the channel: flagged")
    # Absent from lines reported by hospital id (and from reports before names could be reported).
    reported_hospital: str | None = Field(None, max_length=200, description="the hospital's name as the distributor"
                                                                            " reported it, when it gave a name")
    matched_by: Literal["exact", "alias", "normalized", "branch", "review"] | None = Field(
        None, description="how the reported name was matched to the terminal master (流向清洗); `review`: by a person"
                          " from the review queue")


class UnmatchedSellOutLine(ValueObject):
    """A line whose hospital name matched no hospital of the terminal master, or several: kept for review (it counts
    for nothing — traceability, rebates, performance — until a person matches it)."""

    line_no: int = Field(ge=1)
    reported_hospital: str = Field(min_length=1, max_length=200)
    gtin: GTIN
    lot: LotNumber
    serials: list[str] | None = None
    quantity: Quantity
    sold_at: date
    candidates: list[UUID] = Field(default_factory=list, max_length=20,
                                   description="the hospitals an ambiguous name fits; empty: none fits")


class SellOutReported(TraceabilityEvent):
    """A distributor's sell-out (流向) report: which hospital received which GTIN, lot (and serials), how many.

    One per (distributor, report reference): the report id is derived from both. Lines over what the distributor
    received, or naming an unknown hospital, are accepted and flagged (the decision is recorded here)."""

    event_name: ClassVar[str] = "SellOutReported"
    subject_field: ClassVar[str] = "report_id"

    report_id: UUID
    distributor_id: UUID
    report_reference: str = Field(min_length=1, max_length=100, description="the distributor's own reference")
    period: ReportPeriod
    source: Literal["api", "csv", "xlsx"] = Field(description="how the report arrived: JSON or an uploaded file")
    lines: list[SellOutLine] = Field(description="the lines whose hospital is known (reported by id, or matched)")
    unmatched: Annotated[list[UnmatchedSellOutLine], NoneIsEmpty] = Field(
        default_factory=list, description="lines whose hospital name is for review (absent before names were read)")


class SellOutLineMatched(TraceabilityEvent):
    """An unmatched sell-out line matched to a hospital by a person from the review queue: from now it counts like
    the report's other lines (the lineage, rebates and scorecards take it as it comes)."""

    event_name: ClassVar[str] = "SellOutLineMatched"
    subject_field: ClassVar[str] = "report_id"

    report_id: UUID
    distributor_id: UUID
    report_reference: str = Field(min_length=1, max_length=100)
    line: SellOutLine


# Distributors' inventory reports (进销存) ---------------------------------------------------------------------------

class ChannelStockLine(ValueObject):
    line_no: int = Field(ge=1)
    gtin: GTIN
    lot: LotNumber
    quantity: int = Field(ge=0, description="on hand on the report's day")


class ChannelInventoryReported(TraceabilityEvent):
    """What a distributor reports it holds of each lot on a day: reconciled against what it received, returned and
    reported sold (GET /channel-inventory/reconciliation)."""

    event_name: ClassVar[str] = "ChannelInventoryReported"
    subject_field: ClassVar[str] = "report_id"

    report_id: UUID
    distributor_id: UUID
    report_reference: str = Field(min_length=1, max_length=100)
    as_of: date
    source: Literal["api", "csv", "xlsx"]
    lines: list[ChannelStockLine] = Field(min_length=1)


# Shipments from before go-live ----------------------------------------------------------------------------------

class HistoricalShipmentImported(TraceabilityEvent):
    """A shipment line from the company's records before go-live (`erp import historical-shipments`): the lot went to
    the consignee on `shipped_at`, before this system kept records, so that a recall finds who received it. It lands
    in the lineage like a dispatch, and in the as-of lookup at `shipped_at`: what the company's records held then.
    The import batch (the file's SHA-256, the row, the person) is in the event's metadata: correlation id
    `import:<sha256>`, reason `import historical-shipments row <n> …`, actor."""

    event_name: ClassVar[str] = "HistoricalShipmentImported"
    subject_field: ClassVar[str] = "shipment_line_id"

    shipment_line_id: UUID = Field(description="derived from the file's SHA-256 and the row: one per imported row")
    shipment_reference: str = Field(min_length=1, max_length=100, description="the old system's delivery note number")
    hospital_id: UUID | None = Field(None, description="the hospital the goods went to (or, with a distributor, for)")
    distributor_id: UUID | None = Field(None, description="when set, the consignee: the distributor shipped to")
    shipped_at: AwareDatetime = Field(description="when the goods were shipped, as the company's records say")
    gtin: GTIN
    lot: LotNumber
    expiry: date
    quantity: Quantity
    serials: list[str] | None = Field(None, description="serial numbers (GS1 AI 21), one per unit, when recorded")
    ship_from: str | None = Field(None, max_length=100, description="the warehouse or site it left from")
