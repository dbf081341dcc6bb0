"""Items as tests need them: registered with a registration certificate (注册证) valid from two years ago for five
years, since nothing is received or sold without one."""

from datetime import date, timedelta

from services.inventory.application import InventoryApplication, InventoryUnitOfWork, item_master
from services.inventory.domain import StockItem
from shared.domain.business_day import business_today

# Roles a test client carries to set up what it needs (master data, receipts, quality, orders, recalls).
SETUP_ROLES = ["master_data", "warehouse", "quality", "order_desk", "recall_officer"]


def certificate(number: str = "国械注准20243130001") -> dict[str, str]:
    today = business_today()
    return {"number": number, "holder": "苏州医疗器械制造有限公司", "valid_from": (today - timedelta(days=730)).isoformat(),
            "valid_to": (today + timedelta(days=1095)).isoformat()}


def registered_item(app: InventoryApplication, gtin: str, name: str = "Stent", device_class: int = 3) -> StockItem:
    """Through inventory's handlers (call inside acting_as): the item, with its certificate."""
    uow = InventoryUnitOfWork(app)
    item_master.register_item(item_master.RegisterItem(gtin=gtin, name=name, device_class=device_class), uow)
    c = certificate()
    return item_master.set_registration_certificate(item_master.SetRegistrationCertificate(
        gtin=gtin, number=c["number"], holder=c["holder"], valid_from=date.fromisoformat(c["valid_from"]),
        valid_to=date.fromisoformat(c["valid_to"])), uow)


def registered_item_via_api(client, headers: dict[str, str] | None, gtin: str, name: str = "Stent",  # noqa: ANN001
                            device_class: int = 3, base_url: str = "") -> dict:
    """Through an inventory API: a TestClient, or an httpx client over HTTP with the API's `base_url`."""
    created = client.post(f"{base_url}/items", headers=headers,
                          json={"gtin": gtin, "name": name, "device_class": device_class})
    assert created.status_code in (200, 201), created.text
    certified = client.put(f"{base_url}/items/{gtin}/registration-certificate", headers=headers, json=certificate())
    assert certified.status_code == 200, certified.text
    return created.json()
