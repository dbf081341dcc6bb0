"""Promotions' effect (促销效果): each promotion's in-scope sales while it ran against as many days just before it,
the uplift, what it gave from its budget and to how many orders; the lines behind either figure
(domain/promotions.py says how). Company data, for those who read prices and rules."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.analytics import queries
from services.analytics.api.sales import SalesLines, SalesLine
from services.analytics.domain.promotions import uplift, windows
from shared.domain.business_day import CHINA
from shared.domain.rules import NotFound
from shared.platform.access import COMPANY, permitted
from shared.platform.paging import Page, PageRequest, Paging
from shared.platform.service_state import Reads

router = APIRouter(tags=["promotions"])
PromotionReader = permitted("price:read", scope=COMPANY)


class PromotionEffect(BaseModel):
    promotion_id: UUID
    number: str
    name: str
    rule_id: str
    owner: str
    scope: dict[str, Any]
    effect: dict[str, Any]
    valid_from: date
    valid_to: date
    ran: tuple[date, date] = Field(description="the days it ran, to today while it runs")
    baseline: tuple[date, date] = Field(description="as many days just before it started")
    amount: Decimal = Field(description="in-scope sales while it ran (含税)")
    units: int
    baseline_amount: Decimal
    baseline_units: int
    uplift: Decimal | None = Field(description="amount against the baseline's, as a fraction (0.25: 25% more)")
    budget: Decimal
    discount_given: Decimal = Field(description="what it gave, from its budget")
    budget_used: Decimal = Field(description="discount given over budget")
    orders: int = Field(description="orders it gave a discount to")


def _effect(read: Reads, found: dict) -> PromotionEffect:
    run, baseline = windows(found["valid_from"], found["valid_to"], datetime.now(CHINA).date())
    figures = queries.promotion_effect(read, found, run, baseline)
    return PromotionEffect(
        **{k: found[k] for k in ("promotion_id", "number", "name", "rule_id", "owner", "scope", "effect",
                                 "valid_from", "valid_to", "budget")},
        ran=run, baseline=baseline, amount=figures["amount"], units=figures["units"],
        baseline_amount=figures["baseline_amount"], baseline_units=figures["baseline_units"],
        uplift=uplift(figures["amount"], figures["baseline_amount"]), discount_given=figures["discount"],
        budget_used=(figures["discount"] / found["budget"]).quantize(Decimal("0.0001")), orders=figures["orders"])


@router.get("/promotions/effect", operation_id="promotion_effects")
def promotion_effects(read: Reads, access: PromotionReader, paging: Paging) -> Page[PromotionEffect]:
    """Every promotion with its effect, latest first (at most 100 a page: each is measured when asked)."""
    page = PageRequest(limit=min(paging.limit, 100), offset=paging.offset)
    rows, total = queries.promotions(read, page)
    return Page[PromotionEffect](items=[_effect(read, row) for row in rows], total=total, limit=page.limit,
                                 offset=page.offset)


@router.get("/promotions/{promotion_id}/effect", operation_id="promotion_effect")
def promotion_effect(promotion_id: UUID, read: Reads, access: PromotionReader) -> PromotionEffect:
    found = queries.promotion(read, promotion_id)
    if found is None:
        raise NotFound("Promotion", promotion_id)
    return _effect(read, found)


@router.get("/promotions/{promotion_id}/lines", operation_id="promotion_lines")
def promotion_lines(promotion_id: UUID, read: Reads, access: PromotionReader, paging: Paging,
                    window: Literal["ran", "baseline"] = "ran") -> SalesLines:
    """The in-scope sales lines behind a figure: while it ran, or in its baseline."""
    found = queries.promotion(read, promotion_id)
    if found is None:
        raise NotFound("Promotion", promotion_id)
    run, baseline = windows(found["valid_from"], found["valid_to"], datetime.now(CHINA).date())
    start, end = run if window == "ran" else baseline
    rows, total = queries.promotion_lines(read, found, start, end, paging)
    return SalesLines(items=[SalesLine(**row) for row in rows], total=total, limit=paging.limit,
                      offset=paging.offset)
