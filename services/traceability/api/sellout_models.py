"""What the sell-out routes (sellout.py) take and answer: a report as JSON, its lines, the stored report, the rows an
upload left out, and the lists with names beside ids."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.traceability.domain.sellout import MAX_LINES, SellOutReport
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.domain.text import Name, Reason, Reference


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    end: date = Field(description="the last day of the period, included")


class SellOutLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    hospital_id: UUID | None = Field(None, description="the hospital as the channel registered it; or give"
                                                       " `hospital_name`")
    hospital_name: Name | None = Field(None, description="the hospital's name as the distributor knows it: matched"
                                                            " to the terminal master (aliases, full-/half-width,"
                                                            " brackets, branches) or put in the review queue")
    gtin: GTINInput
    lot: LotInput
    serials: list[SerialInput] | None = Field(None, max_length=100_000, description="one per unit, when serialised")
    quantity: int = Field(gt=0, le=100_000)
    sold_at: date = Field(description="the day the units were delivered to the hospital, within the period")

    @model_validator(mode="after")
    def _one_hospital(self) -> "SellOutLineIn":
        if (self.hospital_id is None) == (self.hospital_name is None):
            raise ValueError("name the hospital by hospital_id or by hospital_name (one of them)")
        return self


class ReportSellOut(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    distributor_id: UUID
    report_reference: Reference = Field(description="the distributor's own reference of the report: one report per"
                                                    " reference")
    period: Period
    lines: list[SellOutLineIn] = Field(min_length=1, max_length=MAX_LINES)


class SellOutLineOut(BaseModel):
    line_no: int = Field(description="the line's position in the JSON report, or its row in the uploaded file")
    hospital_id: UUID
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    received: int = Field(description="units of the lot the distributor had received (shipped to it minus returned)")
    over_reported: bool
    excess: int = Field(description="the units of this line above what the distributor received")
    unknown_hospital: bool
    reported_hospital: str | None = Field(None, description="the name the distributor gave, when it gave one")
    matched_by: str | None = Field(None, description="exact, alias, normalized, branch, or review (by a person)")


class UnmatchedLineOut(BaseModel):
    line_no: int
    reported_hospital: str
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    candidates: list[UUID] = Field(description="the hospitals an ambiguous name fits; empty when none does")


class SellOutReportOut(BaseModel):
    report_id: UUID
    distributor_id: UUID
    report_reference: str
    period: Period
    source: Literal["api", "csv", "xlsx"]
    reported_at: datetime
    units: int
    flagged_lines: int = Field(description="lines over-reported or naming an unknown hospital")
    lines: list[SellOutLineOut]
    unmatched: list[UnmatchedLineOut] = Field(description="lines whose hospital name matched no single hospital:"
                                                          " in the review queue, counted once matched")
    version: int


class RowError(BaseModel):
    row: int = Field(description="the row in the file as a spreadsheet numbers it (the header is row 1)")
    field: str
    rule: str
    message: str


class SellOutUploadOut(BaseModel):
    report: SellOutReportOut
    rows_accepted: int
    rows_rejected: list[RowError] = Field(description="the rows left out of the report, each with why")


class SellOutReportRow(BaseModel):
    report_id: UUID
    distributor_id: UUID
    distributor_name: str | None = Field(description="as the channel registered it")
    report_reference: str
    period_start: date
    period_end: date
    source: str
    line_count: int
    units: int
    flagged_lines: int
    reported_at: datetime


class SellOutLineRow(BaseModel):
    report_id: UUID
    report_reference: str
    line_no: int
    distributor_id: UUID
    distributor_name: str | None
    hospital_id: UUID
    hospital_name: str | None = Field(description="null for a hospital the channel never registered (flagged)")
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    received: int
    over_reported: bool
    excess: int
    unknown_hospital: bool
    reported_hospital: str | None
    matched_by: str | None
    reported_at: datetime


def report_out(report: SellOutReport) -> SellOutReportOut:
    return SellOutReportOut(
        report_id=report.id, distributor_id=report.distributor_id, report_reference=report.report_reference,
        period=Period(**report.period), source=report.source, reported_at=report.created_on,
        units=sum(line["quantity"] for line in report.lines), flagged_lines=len(report.flagged),
        lines=[SellOutLineOut(**line) for line in report.lines],
        unmatched=[UnmatchedLineOut(**line) for line in report.unmatched], version=report.version)


class UnmatchedLineRow(BaseModel):
    report_id: UUID
    report_reference: str
    line_no: int
    distributor_id: UUID
    distributor_name: str | None
    reported_hospital: str
    candidates: list[UUID]
    gtin: str
    lot: str
    serials: list[str] | None
    quantity: int
    sold_at: date
    reported_at: datetime


class MatchLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    hospital_id: UUID = Field(description="the registered hospital the reported name is")
    reason: Reason = Field(description="why this hospital (e.g. confirmed with the distributor by phone)")
