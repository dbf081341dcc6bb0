"""A qualified supplier (business licence + production licence, valid for ten years): every receipt needs one."""

from datetime import date, timedelta
from uuid import UUID, uuid4

from services.inventory.application import InventoryApplication, InventoryUnitOfWork, suppliers
from shared.domain.business_day import business_today

LICENCES = ("business_licence", "production_licence")


def qualified_supplier(app: InventoryApplication) -> UUID:
    """Through inventory's handlers (call inside acting_as)."""
    uow = InventoryUnitOfWork(app)
    supplier, _ = suppliers.register_supplier(suppliers.RegisterSupplier(
        supplier_id=uuid4(), name="苏州医疗器械制造有限公司"), uow)
    valid_to = business_today() + timedelta(days=3650)
    for n, document in enumerate(LICENCES):
        suppliers.record_qualification(suppliers.RecordQualification(
            supplier_id=supplier.id, document_type=document, number=f"DOC-{n}", valid_from=date(2020, 1, 1),
            valid_to=valid_to), uow)
    return supplier.id


def qualified_supplier_via_api(client, headers: dict[str, str]) -> str:  # noqa: ANN001 - a TestClient
    supplier = client.post("/suppliers", headers=headers, json={"name": "苏州医疗器械制造有限公司"}).json()
    valid_to = (business_today() + timedelta(days=3650)).isoformat()
    for n, document in enumerate(LICENCES):
        response = client.post(f"/suppliers/{supplier['supplier_id']}/qualifications", headers=headers, json={
            "document_type": document, "number": f"DOC-{n}", "valid_from": "2020-01-01", "valid_to": valid_to})
        assert response.status_code in (200, 201), response.text
    return supplier["supplier_id"]
