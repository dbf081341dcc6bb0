"""UDI scanning: POST what a scanner sent, get the parsed UDI back or a 422 saying what is wrong."""

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from shared.domain.udi import UDIError, parse_udi
from services.inventory.api.common import UdiParser
from shared.platform.problems import invalid_field

router = APIRouter(tags=["inventory"])


class ScannedCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(
        min_length=1, max_length=500,
        description="exactly what the scanner sent: GS1 element string (GS as \\u001d, optionally after ]d2, ]C1,"
                    " ]Q3 …), GS1 human-readable form '(01)…(17)…(10)…', a GS1 Digital Link URI from a QR code"
                    " ('https://id.gs1.org/01/…/10/…', with or without ]Q1), or HIBC ('+…')",
        examples=["]d201095060001343521725120010A1B2C3", "(01)09506000134352(17)251200(10)A1B2C3",
                  "+A99912345/$$52001510X33"],
    )


class ParsedUDI(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    scheme: Literal["GS1", "HIBC"]
    device_identifier: str | None = Field(description="UDI-DI: the GTIN-14 (GS1), or labeler + product + unit of"
                                                      " measure (HIBC, as GUDID records it); absent for a lone HIBC"
                                                      " secondary")
    gtin: str | None = Field(description="GS1: GTIN-14 from (01), check digit verified")
    labeler: str | None = Field(description="HIBC: labeler identification code (LIC)")
    product: str | None = Field(description="HIBC: product or catalogue number")
    unit_of_measure: int | None = Field(description="HIBC: unit-of-measure digit (0 = unit of use)")
    lot: str | None
    serial: str | None
    expiry: date | None = Field(description="GS1 (17) with day 00 read as the month's last day; HIBC expiry")
    production_date: date | None = Field(description="GS1 (11); HIBC 16D")
    quantity: int | None = Field(description="GS1 (30) (a UDI carries (01), which excludes (37)); HIBC $$8/$$9 or Q")
    symbology_identifier: str | None = Field(description="e.g. ]d2, as the scanner sent it")
    link_character: str | None = Field(description="HIBC: a primary's check character, which its separate"
                                                   " secondary carries as link character, or the link a lone"
                                                   " secondary carries")
    elements: dict[str, str] = Field(description="GS1: every application identifier and its data")
    raw: str = Field(description="the code as received")


@router.post("/udi/parse", operation_id="parse_udi")
def parse_scanned_udi(body: ScannedCode, _: UdiParser) -> ParsedUDI:
    """Parse one scan (GS1 or HIBC). Nothing is stored: this reads the code and says what it holds."""
    try:
        parsed = parse_udi(body.code)
    except UDIError as e:
        raise invalid_field("code", e.rule, e.message) from None
    return ParsedUDI.model_validate(parsed)
