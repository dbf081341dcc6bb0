"""Distributor authorization (授权书): the manufacturer's letter authorizing a distributor to sell some products (by
GTIN or product group) in a territory (provinces, cities, or named hospitals) for a period. A sale through a distributor
needs an authorization, not revoked, covering each product, the hospital's territory and the delivery day. Pure:
the authorizations come in as dictionaries (channel's aggregate, the order service's copy)."""

from datetime import date
from typing import Any
from uuid import UUID

from shared.domain.validity import valid_on

MAX_AUTHORIZATION_DAYS = 5 * 366  # letters run for a year or a few; a longer one is a typo


def covers(authorization: dict[str, Any], gtin: str, product_group: str | None, province: str | None,
           hospital_id: UUID | None, day: date, city: str | None = None) -> bool:
    """Whether this authorization lets the distributor sell the product to the hospital on `day`."""
    if authorization.get("revoked") or not valid_on(authorization["valid_from"], authorization["valid_to"], day):
        return False
    product = gtin in authorization.get("gtins", []) or (
        product_group is not None and product_group in authorization.get("product_groups", []))
    territory = (province is not None and province in authorization.get("provinces", [])) or (
        city is not None and {"province": province, "city": city} in (authorization.get("cities") or [])) or (
        hospital_id is not None and str(hospital_id) in {str(h) for h in authorization.get("hospitals", [])})
    return product and territory


def authorization_problem(authorizations: list[dict[str, Any]], gtin: str, product_group: str | None,
                          province: str | None, hospital_id: UUID | None, day: date,
                          city: str | None = None) -> str | None:
    """Why the distributor may not sell the product there on that day, or None when an authorization covers it."""
    if any(covers(a, gtin, product_group, province, hospital_id, day, city) for a in authorizations):
        return None
    live = [a for a in authorizations if not a.get("revoked") and valid_on(a["valid_from"], a["valid_to"], day)]
    if not live:
        return f"no authorization (授权书) valid on {day}"
    for_product = [a for a in live if gtin in a.get("gtins", []) or (
        product_group is not None and product_group in a.get("product_groups", []))]
    if not for_product:
        return f"its authorizations valid on {day} do not cover this product"
    where = f"{province} {city}" if province and city and city != province else province or "the hospital"
    return f"its authorizations for this product do not cover {where}"
