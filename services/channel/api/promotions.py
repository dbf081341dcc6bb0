"""Promotions (促销活动) and regional policies: a promotion is a pricing rule with a budget (the price explanation names
it; the order service passes over it once the budget is spent); `GET /promotions/{id}/effect` answers its effect —
channel sell-in and sell-out per region during it against the same length just before."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from services.channel import queries
from services.channel.api.prices import RuleScopeIn
from services.channel.application import ChannelUnitOfWork, promotions
from services.channel.domain.promotions import Promotion
from shared.domain.pricing import effect_of
from shared.domain.rules import NotFound
from shared.domain.text import Name
from shared.platform.access import COMPANY, permitted
from shared.platform.api import REPLAYED, command_by
from shared.platform.paging import Page, Paging
from shared.platform.service_state import Reads, unit_of_work

router = APIRouter(tags=["promotions"])
Work = Annotated[ChannelUnitOfWork, Depends(unit_of_work)]
PromotionCommand = command_by("promotion:manage", scope=COMPANY)
PromotionReader = permitted("price:read", scope=COMPANY)
Number = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,90}$", description="letters, digits, _ . -")]


class PromotionEffectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["discount_percent", "fixed_price", "free_goods"]
    value: Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int | float | Decimal) else v)] = Field(
        min_length=1, max_length=64, description="the percent off (below 100), the special price (含税), or free"
                                                 " goods as N+M (买赠: of every N+M units on a line, M are free)")

    @model_validator(mode="after")
    def _value_fits_kind(self) -> "PromotionEffectIn":
        effect_of(self.kind, self.value)  # ValueError saying what is wrong
        return self


class PromotionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    number: Number
    name: Name
    valid_from: date
    valid_to: date
    scope: RuleScopeIn = Field(description="regions (provinces, cities), products (gtins, groups), customers, tiers,"
                                           " channels")
    effect: PromotionEffectIn
    budget: Decimal = Field(gt=0, max_digits=18, decimal_places=2, description="the discount it may give in all, 含税")
    priority: int = Field(900, ge=0, le=1_000_000, description="above the rules it should win over")


class PromotionOut(BaseModel):
    promotion_id: UUID
    number: str
    name: str
    rule_id: str = Field(description="its rule in the rulebook: the price explanation names it")
    budget: Decimal
    valid_from: date
    valid_to: date
    scope: dict[str, Any]
    effect: dict[str, Any]
    owner: str


class PromotionRow(PromotionOut):
    created_at: datetime


class RegionEffect(BaseModel):
    province: str
    basis: Literal["sell_in", "sell_through"]
    units: int | None = Field(description="during the promotion")
    amount: Decimal | None = Field(description="net of VAT; sell-through carries none")
    baseline_units: int | None = Field(description="the same number of days just before it")
    baseline_amount: Decimal | None
    uplift_units: int = Field(description="units less baseline units")


class PromotionEffectOut(BaseModel):
    promotion_id: UUID
    period: tuple[date, date]
    baseline: tuple[date, date]
    regions: list[RegionEffect]


def _out(p: Promotion) -> PromotionOut:
    return PromotionOut(promotion_id=p.id, number=p.number, name=p.name, rule_id=p.rule_id, budget=p.budget,
                        valid_from=p.valid_from, valid_to=p.valid_to, scope=p.scope, effect=p.effect, owner=p.owner)


@router.post("/promotions", status_code=status.HTTP_201_CREATED, operation_id="launch_promotion", responses=REPLAYED)
def launch_promotion(body: PromotionIn, response: Response, meta: PromotionCommand, uow: Work) -> PromotionOut:
    """Launch a promotion: its rule joins the rulebook (a rule of the same priority that could price the same lines
    on the same days is a 409 naming it), its budget is spent by orders. The same again answers 200."""
    promotion, created = promotions.launch_promotion(promotions.LaunchPromotion(
        number=body.number, name=body.name, budget=body.budget, valid_from=body.valid_from, valid_to=body.valid_to,
        priority=body.priority, scope=body.scope.model_dump(mode="json"),
        effect={"kind": body.effect.kind, "value": body.effect.value}, owner=meta.actor), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(promotion)


@router.get("/promotions", operation_id="list_promotions")
def list_promotions(read: Reads, _: PromotionReader, paging: Paging,
                    active_on: Annotated[date | None, Query()] = None) -> Page[PromotionRow]:
    return Page.of(PromotionRow, queries.promotions(read, active_on, paging), paging)


@router.get("/promotions/{promotion_id}/effect", operation_id="promotion_effect")
def promotion_effect(promotion_id: UUID, uow: Work, read: Reads, _: PromotionReader) -> PromotionEffectOut:
    """The promotion's effect per region: channel sell-in (invoiced to distributors) and cleansed sell-out of its
    products during it, against the same number of days just before it."""
    promotion = uow.get(promotion_id, Promotion)
    if promotion is None:
        raise NotFound("Promotion", promotion_id)
    rows = queries.promotion_effect(read, promotion.valid_from, promotion.valid_to,
                                    list(promotion.scope.get("gtins") or []), list(promotion.scope.get("groups") or []))
    days = (promotion.valid_to - promotion.valid_from).days + 1
    base_first = date.fromordinal(promotion.valid_from.toordinal() - days)
    return PromotionEffectOut(
        promotion_id=promotion.id, period=(promotion.valid_from, promotion.valid_to),
        baseline=(base_first, date.fromordinal(promotion.valid_from.toordinal() - 1)),
        regions=[RegionEffect(**r, uplift_units=(r["units"] or 0) - (r["baseline_units"] or 0)) for r in rows])



