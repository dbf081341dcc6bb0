"""Inventory's handlers on eventsourcing's in-memory persistence: the application, the read models its rules ask
as in-memory ports the test controls, and the stock a test starts from. Milliseconds, no servers."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.inventory.application import InventoryApplication, InventoryUnitOfWork, item_master, quality
from services.inventory.application import receiving, suppliers
from services.inventory.domain import StockItem
from shared.events import CloudEvent, EventPayload
from tests.unit.in_memory import in_memory
from shared.domain.business_day import business_today

TODAY = business_today()  # receipts are judged on the real day
CERTIFICATE = {"number": "国械注准20243130001", "holder": "苏州医疗器械制造有限公司",
               "valid_from": TODAY - timedelta(days=730), "valid_to": TODAY + timedelta(days=1095)}


class OpenRecallsInMemory:
    """The register of open recalls, as traceability's events would have filled it."""

    def __init__(self) -> None:
        self.scope: dict[str, set[tuple[str, str]]] = {}  # recall id -> (gtin, lot or serial)

    def open(self, recall_id: str, gtin: str, *lots_or_serials: str) -> None:
        self.scope.setdefault(recall_id, set()).update((gtin, x) for x in lots_or_serials)

    def covering(self, gtin: str, lots: list[str], serials: list[str]) -> list[str]:
        return sorted(r for r, goods in self.scope.items() if any((gtin, x) in goods for x in [*lots, *serials]))


class BackordersInMemory:
    def __init__(self) -> None:
        self.waiting: list[tuple[str, UUID]] = []  # (gtin, order id), oldest first

    def waiting_for(self, gtin: str, limit: int = 100) -> list[UUID]:
        return [order_id for g, order_id in self.waiting if g == gtin][:limit]


class ExpiringStockInMemory:
    """What the stock read model would say: the items with stock on hand expiring by a day."""

    def __init__(self, app: InventoryApplication) -> None:
        self.app, self.gtins = app, []

    def items_expiring_by(self, day: date) -> list[str]:
        return [g for g in self.gtins if any(s.on_hand > 0 and s.expiry <= day
                                             for s in self.app.item_by_gtin(g).lot_stock())]


@dataclass
class World:
    app: InventoryApplication
    open_recalls: OpenRecallsInMemory = field(default_factory=OpenRecallsInMemory)
    backorders: BackordersInMemory = field(default_factory=BackordersInMemory)

    def __post_init__(self) -> None:
        self.expiring = ExpiringStockInMemory(self.app)

    def uow(self, deferred: bool = False) -> InventoryUnitOfWork:
        return InventoryUnitOfWork(self.app, deferred=deferred, open_recalls=self.open_recalls,
                                   backorders=self.backorders, expiring_stock=self.expiring)

    def stored(self) -> list[str]:
        """The type of every event stored so far, in order."""
        return [n.topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
                for n in self.app.recorder.select_notifications(start=1, limit=10_000)]

    def item(self, gtin: str, name: str = "Stent", certified: bool = True) -> StockItem:
        uow = self.uow()
        item, _ = item_master.register_item(item_master.RegisterItem(gtin=gtin, name=name, device_class=3), uow)
        if certified:
            item = item_master.set_registration_certificate(item_master.SetRegistrationCertificate(
                gtin=gtin, **CERTIFICATE), uow)
        return item

    def supplier(self, *documents: str) -> UUID:
        uow = self.uow()
        supplier, _ = suppliers.register_supplier(suppliers.RegisterSupplier(supplier_id=uuid4(), name="苏州医疗"), uow)
        for n, document in enumerate(documents or ("business_licence", "production_licence")):
            suppliers.record_qualification(suppliers.RecordQualification(
                supplier_id=supplier.id, document_type=document, number=f"D-{n}", valid_from=date(2020, 1, 1),
                valid_to=TODAY + timedelta(days=3650)), uow)
        return supplier.id

    def released(self, gtin: str, lot: str, quantity: int = 10, days: int = 400, warehouse: str = "WH1",
                 serials: list[str] | None = None) -> StockItem:
        """Stock of the item received (registering it and a supplier first) and released by quality."""
        if self.app.item_by_gtin(gtin) is None:
            self.item(gtin)
        line = {"gtin": gtin, "lot": lot, "expiry": TODAY + timedelta(days=days), "quantity": quantity,
                "warehouse": warehouse, "serials": serials}
        receiving.receive_goods(receiving.ReceiveGoods(supplier_id=self.supplier(), lines=(line,)), self.uow())
        return quality.inspect_lot(quality.InspectLot(gtin=gtin, lot=lot, warehouse=warehouse, released=True),
                                   self.uow())


def envelope_of(payload: EventPayload, at: datetime | None = None, position: int = 1) -> CloudEvent:
    """The event as another service's relay would have published it, at `at` (default: now)."""
    producer, subject = type(payload).producer, str(getattr(payload, type(payload).subject_field))
    return CloudEvent(id=f"{producer}-{position}", source=f"/erp/{producer}", type=payload.event_type(),
                      subject=subject, time=at or datetime.now(UTC), aggregateid=subject, aggregateversion=1,
                      position=position, correlationid=str(uuid4()), actor="user:test",
                      schemaversion=payload.schema_version, data=payload.model_dump(mode="json"))


@pytest.fixture
def world() -> Iterator[World]:
    with in_memory(InventoryApplication, "user:unit-test") as app:
        yield World(app)
