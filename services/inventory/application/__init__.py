"""Inventory's application layer: the event store it writes to, the unit of work its handlers run in (with the read
models its rules ask, as ports), and one module of commands per capability — item_master, suppliers, receiving,
quality, reservation, outbound, returns, kits, stock_control, recall_stops and wms (messages from warehouse systems,
wrapping the others)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from psycopg_pool import ConnectionPool

from services.inventory.domain import Fulfilment, StockItem, Supplier, fulfilment_id_for, item_id_for
from services.inventory.domain.consignment import ConsignmentLocation
from services.inventory.domain.external import ExternalMessage
from services.inventory.domain.item_master import (
    MedicalInsuranceCodeSet, PackagingLevelAdded, ProductGroupSet, RegistrationCertificateSet, SalesBlockSet,
    StorageConditionsSet, TrackingSet,
)
from services.inventory.domain.kits import ComponentsConsumed, KitAssembled
from services.inventory.domain.recall_stops import RecallStopLifted, SerialsRecalled
from services.inventory.domain.returns import StockReturned
from services.inventory.domain.stock_control import StockAdjusted, StockCounted, StockMoved, StockNearingExpiry
from services.inventory.projections.backorders import BackorderQueue, DueDeliveries
from services.inventory.projections.hospitals import ProvinceOfHospital
from services.inventory.projections.open_recalls import OpenRecallRegister
from services.inventory.projections.stock import ExpiringStockOnHand
from services.inventory.settings import InventorySettings
from shared.events import inventory as contracts
from shared.platform.eventstore import ServiceApplication
from shared.platform.settings import Settings
from shared.platform.unit_of_work import UnitOfWork


class InventoryApplication(ServiceApplication):
    service = "inventory"
    published = {
        StockItem.Registered: contracts.ItemRegistered,
        StockItem.LotReceived: contracts.LotReceived,
        StockItem.LotInspected: contracts.LotInspected,
        StockItem.LotHeld: contracts.LotHeld,
        StockItem.LotHoldReleased: contracts.LotHoldReleased,
        StockItem.StockAllocated: contracts.StockAllocated,
        StockItem.AllocatedStockShipped: contracts.AllocatedStockShipped,
        StockItem.StockDeallocated: contracts.StockDeallocated,
        PackagingLevelAdded: contracts.PackagingLevelAdded,
        RegistrationCertificateSet: contracts.RegistrationCertificateSet,
        StorageConditionsSet: contracts.StorageConditionsSet,
        TrackingSet: contracts.TrackingSet,
        SalesBlockSet: contracts.SalesBlockSet,
        ProductGroupSet: contracts.ProductGroupSet,
        MedicalInsuranceCodeSet: contracts.MedicalInsuranceCodeSet,
        StockMoved: contracts.StockMoved,
        StockCounted: contracts.StockCounted,
        StockAdjusted: contracts.StockAdjusted,
        StockNearingExpiry: contracts.StockNearingExpiry,
        SerialsRecalled: contracts.SerialsRecalled,
        RecallStopLifted: contracts.RecallStopLifted,
        StockReturned: contracts.StockReturned,
        ComponentsConsumed: contracts.ComponentsConsumed,
        KitAssembled: contracts.KitAssembled,
        ConsignmentLocation.Opened: contracts.ConsignmentLocationOpened,
        ConsignmentLocation.Placed: contracts.ConsignmentStockPlaced,
        ConsignmentLocation.Used: contracts.ConsignmentUsed,
        ConsignmentLocation.Returned: contracts.ConsignmentStockReturned,
        Supplier.Registered: contracts.SupplierRegistered,
        Supplier.QualificationRecorded: contracts.SupplierQualificationRecorded,
        Fulfilment.Requested: contracts.FulfilmentRequested,
        Fulfilment.Reserved: contracts.StockReserved,
        Fulfilment.Rejected: contracts.StockReservationRejected,
        Fulfilment.PicksConfirmed: contracts.PicksConfirmed,
        Fulfilment.Dispatched: contracts.ShipmentDispatched,
        Fulfilment.Held: contracts.FulfilmentHeld,
        Fulfilment.DeliveriesScheduled: contracts.FulfilmentDeliveriesScheduled,
        Fulfilment.DeliveriesDue: contracts.FulfilmentDeliveriesDue,
        Fulfilment.Cancelled: contracts.FulfilmentCancelled,
        Fulfilment.Amended: contracts.FulfilmentAmended,
        Fulfilment.AmendmentRefused: contracts.FulfilmentAmendmentRefused,
        Fulfilment.CancellationRefused: contracts.FulfilmentCancellationRefused,
        Fulfilment.HoldReleased: contracts.FulfilmentHoldReleased,
        Fulfilment.Delivered: contracts.ShipmentDelivered,
        Fulfilment.Accepted: contracts.ShipmentAccepted,
        Fulfilment.Returned: contracts.ShipmentReturned,
        ExternalMessage.Accepted: contracts.ExternalMessageAccepted,
    }

    def __init__(self, settings: Settings | None = None, env: dict[str, str] | None = None, *,
                 in_memory: bool = False) -> None:
        super().__init__(settings, env, in_memory=in_memory)
        self.inventory_settings = InventorySettings()

    # Reading the write side outside a command (tools, benches, tests); a command reads through its unit of work.

    def item_by_gtin(self, gtin: str) -> StockItem | None:
        return self.get_aggregate(item_id_for(gtin), StockItem)

    def get_fulfilment(self, order_id: UUID) -> Fulfilment | None:
        return self.get_aggregate(fulfilment_id_for(order_id), Fulfilment)


class OpenRecallsPort(Protocol):
    """Which open recalls cover these goods: the register traceability's events keep (projections/open_recalls.py).
    Dispatch asks it on its own, beside the items' recall stops: two independent checks for one safety rule."""

    def covering(self, gtin: str, lots: list[str], serials: list[str]) -> list[str]: ...


class BackordersPort(Protocol):
    """The orders backordered for an item, oldest first (projections/backorders.py)."""

    def waiting_for(self, gtin: str, limit: int = 100) -> list[UUID]: ...


class ExpiringStockPort(Protocol):
    """The items with stock on hand expiring on or before a day (projections/stock.py): what a near-expiry scan
    looks at, instead of every item."""

    def items_expiring_by(self, day: date) -> list[str]: ...


class SchedulesPort(Protocol):
    """The orders with scheduled deliveries due by a day (projections/backorders.py: ScheduledDeliveries)."""

    def due_by(self, day: date, limit: int = 500) -> list[UUID]: ...


class HospitalProvincesPort(Protocol):
    """The province of a hospital (projections/hospitals.py): which warehouses serve its orders first."""

    def province_of(self, hospital_id: UUID) -> str | None: ...


class InventoryUnitOfWork(UnitOfWork):
    """The unit of work of inventory's handlers, with the read models their rules ask. On PostgreSQL (`pool`) the
    ports read the service's read models; unit tests give their own."""

    app: InventoryApplication

    def __init__(self, app: InventoryApplication, pool: ConnectionPool | None = None, *, deferred: bool = False,
                 open_recalls: OpenRecallsPort | None = None, backorders: BackordersPort | None = None,
                 expiring_stock: ExpiringStockPort | None = None,
                 hospital_provinces: HospitalProvincesPort | None = None,
                 schedules: SchedulesPort | None = None) -> None:
        super().__init__(app, deferred=deferred)
        self.open_recalls: OpenRecallsPort = open_recalls or _read_model(OpenRecallRegister, pool, app)
        self.backorders: BackordersPort = backorders or _read_model(BackorderQueue, pool, app)
        self.expiring_stock: ExpiringStockPort = expiring_stock or _read_model(ExpiringStockOnHand, pool, app)
        self.hospital_provinces: HospitalProvincesPort = hospital_provinces or _read_model(ProvinceOfHospital, pool, app)
        self.schedules: SchedulesPort = schedules or _read_model(DueDeliveries, pool, app)
        self._enclosed = 0

    @property
    def settings(self) -> InventorySettings:
        return self.app.inventory_settings

    @contextmanager
    def as_one_command(self) -> Iterator[None]:
        """Handlers run in this block commit together with the command around them (a WMS message is saved with
        the stock changes it caused, or nothing is): their own `commit()` waits for the enclosing one."""
        self._enclosed += 1
        try:
            yield
        except BaseException:
            self.rollback()  # the enclosing command fails as a whole
            raise
        finally:
            self._enclosed -= 1

    def commit(self, **save_kwargs: Any) -> None:
        if not self._enclosed:
            super().commit(**save_kwargs)


class _Missing:
    """A port this unit of work was built without (a unit test that does not need it): asking it is a mistake."""

    def __init__(self, port: str) -> None:
        self.port = port

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and hasattr ask for these: not a use of the port
            raise AttributeError(name)
        raise LookupError(f"this unit of work has no {self.port} read model (asked for {name})")


def _read_model(port: type, pool: ConnectionPool | None, app: InventoryApplication) -> Any:
    return port(pool, app.schema) if pool is not None else _Missing(port.__name__)
