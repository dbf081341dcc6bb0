"""The recall lookup over HTTP: which consignees received a lot (or a serialised unit, or any lot of an item made or
expiring in a date range), how many units are still out, and every kit lot made from it (queries/lookup.py)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from services.traceability.api.recall_models import LookupReader
from services.traceability.domain.lineage import AmbiguousLookup, lookup_kind
from services.traceability.queries.answers import ConsigneeOut, RecallLookup
from services.traceability.queries.lookup import lookup
from services.traceability.queries.master_data import DateRange, lots_in_range
from services.traceability.queries.merged import consignees_of, direct_units
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.platform.paging import PageRequest, Paging
from shared.platform.problems import invalid_field
from shared.platform.service_state import Reads

router = APIRouter(tags=["recalls"])

MAX_SERIALS = 1000


def one_question(gtin: str | None, lot: str | None, serial: str | None) -> None:
    """The parameters name one lookup (a lot, a lot under any GTIN, or a unit), else a 422 naming them."""
    try:
        lookup_kind(gtin, lot, serial)
    except AmbiguousLookup as error:
        raise invalid_field("lot" if serial is None else "serial", "recall-lookup-parameters", str(error)) from None


# The hot route answers with the model's JSON as pydantic writes it: FastAPI would validate the answer it was just
# built from (a dump and a second validation of every consignee) before encoding it. The OpenAPI document still
# describes the answer (`response_model`).
@router.get("/recalls/lookup", operation_id="recall_lookup", response_model=RecallLookup)
def recall_lookup_route(
        read: Reads, _: LookupReader, paging: Paging,
        gtin: Annotated[GTINInput | None, Query()] = None,
        lot: Annotated[LotInput | None, Query()] = None,
        serial: Annotated[SerialInput | None, Query()] = None,
) -> Response:
    """`gtin`+`lot`: one lot; `lot` alone: that lot number under every GTIN; `gtin`+`serial`: one unit.

    A lot's answer also covers every kit lot assembled from it, transitively (`affected_lots`, each with the
    path `via` which it was reached); consignees are paged (`limit`, `offset`, `total`), most units first.
    """
    one_question(gtin, lot, serial)
    found = lookup(read, gtin=gtin, lot=lot, serial=serial, limit=paging.limit, offset=paging.offset)
    return Response(RecallLookup.__pydantic_serializer__.to_json(found), media_type="application/json")


class LotInRange(BaseModel):
    gtin: str
    lot: str
    expiry: date
    production_date: date | None


class MergedLookup(BaseModel):
    """Several lots or units at once: every consignee of any of them, one row per consignee (and path)."""

    gtin: str
    lots: list[LotInRange] = Field(default_factory=list, description="the lots in the range (by item)")
    serials: list[str] = Field(default_factory=list, description="the units asked for (by serials)")
    quantity_shipped: int
    quantity_returned: int
    quantity_outstanding: int
    consignees: list[ConsigneeOut]
    total: int
    limit: int
    offset: int


@router.get("/recalls/lookup/by-item", operation_id="recall_lookup_by_item")
def recall_lookup_by_item(
        read: Reads, _: LookupReader, paging: Paging, gtin: Annotated[GTINInput, Query()],
        expiry_from: Annotated[date | None, Query()] = None, expiry_to: Annotated[date | None, Query()] = None,
        produced_from: Annotated[date | None, Query()] = None, produced_to: Annotated[date | None, Query()] = None,
) -> MergedLookup:
    """Every lot of the item whose expiry and/or production date falls in the range (bounds included), and every
    consignee of those lots and of the kit lots made from them, merged: one row per consignee, paged."""
    dates = DateRange(expiry_from, expiry_to, produced_from, produced_to)
    if all(v is None for v in vars(dates).values()):
        raise invalid_field("expiry_from", "date-range-required", "give at least one expiry or production date bound")
    for start, end in (("expiry_from", "expiry_to"), ("produced_from", "produced_to")):
        if getattr(dates, start) and getattr(dates, end) and getattr(dates, start) > getattr(dates, end):
            raise invalid_field(end, "range-order", f"{end} is before {start}")
    lots = lots_in_range(read, gtin, dates)
    consignees = consignees_of(read, [{"gtin": r["gtin"], "lot": r["lot"]} for r in lots])
    return merged(gtin, consignees, paging, lots=[LotInRange(**r) for r in lots])


@router.get("/recalls/lookup/serials", operation_id="recall_lookup_by_serials")
def recall_lookup_by_serials(
        read: Reads, _: LookupReader, paging: Paging, gtin: Annotated[GTINInput, Query()],
        serial: Annotated[list[SerialInput],
                          Query(min_length=1, max_length=MAX_SERIALS, description="repeat for each unit, AI (21)")],
) -> MergedLookup:
    """Who received any of these serialised units of the item: one row per consignee, paged."""
    units = list(dict.fromkeys(serial))
    consignees = consignees_of(read, [], [{"gtin": gtin, "serial": s} for s in units])
    return merged(gtin, consignees, paging, serials=units)


def merged(gtin: str, consignees: list[ConsigneeOut], paging: PageRequest, **asked: list) -> MergedLookup:
    units = direct_units(consignees)  # each unit once, at its direct consignee
    return MergedLookup(gtin=gtin, quantity_shipped=units.shipped, quantity_returned=units.returned,
                        quantity_outstanding=units.outstanding,
                        consignees=consignees[paging.offset:paging.offset + paging.limit], total=len(consignees),
                        limit=paging.limit, offset=paging.offset, **asked)
