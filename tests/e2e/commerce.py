"""What the commercial e2e tests set up alike, over HTTP: people with roles, a stocked item (registered, certified,
received from a qualified supplier and released by quality) and a list price for it."""

import httpx

from services.demo import in_days
from shared.platform.auth import issue_token
from tests.items import registered_item_via_api


def as_(name: str, *roles: str) -> dict[str, str]:
    """The Authorization header of a person with these roles."""
    return {"Authorization": f"Bearer {issue_token(name, list(roles))}"}


PRICING = as_("pricing-li", "pricing_manager")


def stocked_item(http: httpx.Client, inventory: str, gtin: str, lot: str, quantity: int, warehouse: str) -> str:
    """The item in stock: `quantity` of `lot` released in `warehouse`; the lot's expiry."""
    registered_item_via_api(http, None, gtin, base_url=inventory)
    supplier = http.post(f"{inventory}/suppliers", json={"name": f"{lot} 医疗器械有限公司"}).json()["supplier_id"]
    for document_type in ("business_licence", "production_licence"):
        http.post(f"{inventory}/suppliers/{supplier}/qualifications", json={
            "document_type": document_type, "number": f"{document_type}-1", "valid_from": "2024-01-01",
            "valid_to": in_days(3650)}).raise_for_status()
    expiry = in_days(450)
    http.post(f"{inventory}/goods-receipts", json={"supplier_id": supplier, "lines": [
        {"gtin": gtin, "lot": lot, "expiry": expiry, "quantity": quantity, "warehouse": warehouse}]}).raise_for_status()
    http.post(f"{inventory}/quality/inspections", json={"gtin": gtin, "lot": lot, "warehouse": warehouse,
                                                        "result": "released"}).raise_for_status()
    return expiry


def list_price(http: httpx.Client, channel: str, gtin: str, price: str) -> str:
    """A new price list pricing the item (tax-inclusive) from ten days ago; its id."""
    price_list = http.post(f"{channel}/price-lists", headers=PRICING, json={"name": "2026 目录价"}).json()
    http.post(f"{channel}/price-lists/{price_list['price_list_id']}/prices", headers=PRICING, json={
        "gtin": gtin, "price": price, "valid_from": in_days(-10)}).raise_for_status()
    return price_list["price_list_id"]
