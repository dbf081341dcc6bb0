"""What every inventory router shares: its typed dependencies, who may run which commands, and the input types of
the whole service (one warehouse code, one location code, one lot status; reasons are shared.domain.text.Reason)."""

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import Depends
from pydantic import Field

from services.inventory.application import InventoryUnitOfWork
from services.inventory.domain.returns import DISPOSITIONS, REASONS
from services.inventory.settings import InventorySettings
from shared.platform.api import command_by
from shared.platform.auth import CHANNEL_MANAGER, MASTER_DATA, ORDER_DESK, QUALITY, WAREHOUSE
from shared.platform.service_state import State, unit_of_work


def inventory_settings(state: State) -> InventorySettings:
    return state.application.inventory_settings  # type: ignore[attr-defined] - the inventory service's application


Work = Annotated[InventoryUnitOfWork, Depends(unit_of_work)]
Config = Annotated[InventorySettings, Depends(inventory_settings)]

# Who may do what, until per-action permissions arrive: the item master is master data; suppliers and their
# qualifications (首营) are kept by master data or quality; quality inspects and holds; the warehouse moves stock; the
# hospital's acceptance is recorded by the warehouse (from the signed delivery note) or the order desk.
MasterDataCommand = command_by(MASTER_DATA, CHANNEL_MANAGER)
SupplierCommand = command_by(MASTER_DATA, QUALITY)
QualityCommand = command_by(QUALITY)
WarehouseCommand = command_by(WAREHOUSE)
NearExpiryCommand = command_by(WAREHOUSE, QUALITY)
AcceptanceCommand = command_by(WAREHOUSE, ORDER_DESK)

WarehouseCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
LocationCode = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
LotStatus = Literal["quarantine", "available", "on_hold", "rejected"]
ReturnReason = Literal[REASONS]  # type: ignore[valid-type] - why goods came back (a code, not free text)
Disposition = Literal[DISPOSITIONS]  # type: ignore[valid-type]


def today() -> date:
    return datetime.now(UTC).date()
