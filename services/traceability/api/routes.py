"""Traceability HTTP API: which consignees received a lot (or a serialised unit, or any lot of an item made or
expiring in a date range), how many units are still out, and every kit lot made from it."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from services.traceability.domain.lineage import AmbiguousLookup, lookup_kind
from services.traceability.queries import AffectedLot, ConsigneeOut, LotRef, RecallLookup, ShipmentOut, recall_lookup
from services.traceability.recall_view import consignees_of
from shared.domain.gtin import GTINInput, LotInput, SerialInput
from shared.platform.auth import CurrentPrincipal
from shared.platform.paging import PageRequest, Paging
from shared.platform.problems import invalid_field

router = APIRouter(tags=["recalls"])

__all__ = ["AffectedLot", "ConsigneeOut", "LotRef", "RecallLookup", "ShipmentOut", "router"]


def lookup_or_422(gtin: str | None, lot: str | None, serial: str | None) -> None:
    try:
        lookup_kind(gtin, lot, serial)
    except AmbiguousLookup as error:
        raise invalid_field("lot" if serial is None else "serial", "recall-lookup-parameters", str(error)) from None


@router.get("/recalls/lookup", operation_id="recall_lookup")
def recall_lookup_route(
        request: Request, _: CurrentPrincipal, paging: Paging,
        gtin: Annotated[GTINInput | None, Query()] = None,
        lot: Annotated[LotInput | None, Query()] = None,
        serial: Annotated[SerialInput | None, Query()] = None,
) -> RecallLookup:
    """`gtin`+`lot`: one lot; `lot` alone: that lot number under every GTIN; `gtin`+`serial`: one unit.

    A lot's answer also covers every kit lot assembled from it, transitively (`affected_lots`, each with the
    path `via` which it was reached); consignees are paged (`limit`, `offset`, `total`), most units first.
    """
    lookup_or_422(gtin, lot, serial)
    with request.app.state.pool.connection() as conn:
        return recall_lookup(conn, request.app.state.schema, gtin=gtin, lot=lot, serial=serial,
                             limit=paging.limit, offset=paging.offset)


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


MAX_LOTS_IN_RANGE = 1000


@router.get("/recalls/lookup/by-item", operation_id="recall_lookup_by_item")
def recall_lookup_by_item(
        request: Request, _: CurrentPrincipal, paging: Paging, gtin: Annotated[GTINInput, Query()],
        expiry_from: Annotated[date | None, Query()] = None, expiry_to: Annotated[date | None, Query()] = None,
        produced_from: Annotated[date | None, Query()] = None, produced_to: Annotated[date | None, Query()] = None,
) -> MergedLookup:
    """Every lot of the item whose expiry and/or production date falls in the range (bounds included), and every
    consignee of those lots and of the kit lots made from them, merged: one row per consignee, paged."""
    bounds = {"expiry_from": expiry_from, "expiry_to": expiry_to, "produced_from": produced_from,
              "produced_to": produced_to}
    if all(v is None for v in bounds.values()):
        raise invalid_field("expiry_from", "date-range-required", "give at least one expiry or production date bound")
    for start, end in (("expiry_from", "expiry_to"), ("produced_from", "produced_to")):
        if bounds[start] and bounds[end] and bounds[start] > bounds[end]:
            raise invalid_field(end, "range-order", f"{end} is before {start}")
    conditions = {"expiry >= %s": expiry_from, "expiry <= %s": expiry_to, "production_date >= %s": produced_from,
                  "production_date <= %s": produced_to}
    chosen = {c: v for c, v in conditions.items() if v is not None}
    schema = request.app.state.schema
    with request.app.state.pool.connection() as conn:
        rows = conn.execute(
            f"SELECT gtin::text AS gtin, lot, expiry, production_date FROM {schema}.lots WHERE gtin = %s AND "
            + " AND ".join(chosen) + " ORDER BY expiry, lot LIMIT %s",
            [gtin, *chosen.values(), MAX_LOTS_IN_RANGE + 1]).fetchall()
        if len(rows) > MAX_LOTS_IN_RANGE:
            raise invalid_field("expiry_to", "range-too-wide", f"more than {MAX_LOTS_IN_RANGE} lots: narrow the range")
        consignees = consignees_of(conn, schema, [{"gtin": r["gtin"], "lot": r["lot"]} for r in rows])
    return merged(gtin, consignees, paging, lots=[LotInRange(**r) for r in rows])


MAX_SERIALS = 1000


@router.get("/recalls/lookup/serials", operation_id="recall_lookup_by_serials")
def recall_lookup_by_serials(
        request: Request, _: CurrentPrincipal, paging: Paging, gtin: Annotated[GTINInput, Query()],
        serial: Annotated[list[SerialInput],
                          Query(min_length=1, max_length=MAX_SERIALS, description="repeat for each unit, AI (21)")],
) -> MergedLookup:
    """Who received any of these serialised units of the item: one row per consignee, paged."""
    units = list(dict.fromkeys(serial))
    with request.app.state.pool.connection() as conn:
        consignees = consignees_of(conn, request.app.state.schema, [], [{"gtin": gtin, "serial": s} for s in units])
    return merged(gtin, consignees, paging, serials=units)


def merged(gtin: str, consignees: list[ConsigneeOut], paging: PageRequest, **asked: list) -> MergedLookup:
    # Hospitals reached through a distributor are in its figures too: count each unit once, at its direct consignee.
    direct = [c for c in consignees if c.via_distributor is None]
    shipped, returned = sum(c.quantity_shipped for c in direct), sum(c.quantity_returned for c in direct)
    return MergedLookup(gtin=gtin, quantity_shipped=shipped, quantity_returned=returned,
                        quantity_outstanding=shipped - returned,
                        consignees=consignees[paging.offset:paging.offset + paging.limit], total=len(consignees),
                        limit=paging.limit, offset=paging.offset, **asked)
