"""What every inventory router shares: its typed dependencies, who may run which commands, and the input types of
the whole service (one warehouse code, one location code, one lot status; reasons are shared.domain.text.Reason)."""

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends
from pydantic import Field

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain.returns import DISPOSITIONS, REASONS
from services.inventory.settings import InventorySettings
from shared.platform.access import COMPANY, permitted
from shared.platform.api import command_by
from shared.platform.service_state import State, unit_of_work
from shared.domain.business_day import business_today


def inventory_settings(state: State) -> InventorySettings:
    return state.application.inventory_settings  # type: ignore[attr-defined] - the inventory service's application


Work = Annotated[InventoryUnitOfWork, Depends(unit_of_work)]
Config = Annotated[InventorySettings, Depends(inventory_settings)]

# The permission each command needs (shared/platform/permissions.py says which roles grant it). Items, suppliers,
# stock and quality are the company's own data (not any customer's); an order's fulfilment and its returns belong to
# the order's hospital and distributor.
ItemCommand = command_by("item:register", scope=COMPANY)
SalesBlockCommand = command_by("item:block", scope=COMPANY)
ItemReader = permitted("item:read", scope=COMPANY)
SupplierCommand = command_by("supplier:manage", scope=COMPANY)
SupplierReader = permitted("supplier:read", scope=COMPANY)
ReceiveCommand = command_by("stock:receive", scope=COMPANY)
InspectCommand = command_by("quality:inspect", scope=COMPANY)
HoldCommand = command_by("quality:hold", scope=COMPANY)
ReleaseHoldCommand = command_by("quality:release-hold", scope=COMPANY)
StockCommand = command_by("stock:move", scope=COMPANY)
StockReader = permitted("stock:read", scope=COMPANY)
NearExpiryCommand = command_by("stock:scan-expiry", scope=COMPANY)
KitCommand = command_by("kit:assemble", scope=COMPANY)
WmsCommand = command_by("wms:integrate", scope=COMPANY)
UdiParser = permitted("udi:parse", scope=COMPANY)
# The retention report is records management, for whoever archives and audits the log (ops, auditor), not the desk
# that moves stock: audit:read (README, "Retention").
RetentionReader = permitted("audit:read", scope=COMPANY)
FulfilmentReader = permitted("fulfilment:read", scope="fulfilment")
PickCommand = command_by("fulfilment:pick", scope="fulfilment")
DispatchCommand = command_by("fulfilment:dispatch", scope="fulfilment")
PlanCommand = command_by("fulfilment:dispatch", scope=COMPANY)  # every order's due deliveries, at once
AcceptanceCommand = command_by("shipment:accept", scope="fulfilment")
ReturnCommand = command_by("return:record", scope="return")
ReturnReader = permitted("return:read", scope="return")

WarehouseCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
LocationCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
LotStatus = Literal["quarantine", "available", "on_hold", "rejected"]
ReturnReason = Literal[REASONS]  # type: ignore[valid-type] - why goods came back (a code, not free text)
Disposition = Literal[DISPOSITIONS]  # type: ignore[valid-type]


def today() -> date:
    return business_today()  # China's, as every service's
