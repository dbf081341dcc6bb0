"""Kit assembly (or re-packing) over HTTP. Handler: application/kits.py."""

from datetime import date
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.inventory.api.common import KitCommand, WarehouseCode, Work
from services.inventory.application import kits
from shared.domain.gtin import GTINInput, LotInput
from shared.platform.api import REPLAYED, IdempotencyKey
from shared.platform.idempotency import new_aggregate_id

router = APIRouter(tags=["outbound", "kits"])


class ComponentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    gtin: GTINInput
    lot: LotInput
    warehouse: WarehouseCode
    quantity: int = Field(gt=0, le=1_000_000)


class KitAssemblyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kit_gtin: GTINInput
    lot: LotInput
    quantity: int = Field(gt=0, le=1_000_000)
    warehouse: WarehouseCode
    expiry: date | None = Field(None, description="default: the earliest component expiry; only an earlier one")
    components: list[ComponentIn] = Field(min_length=1, max_length=100)


class KitAssemblyOut(BaseModel):
    assembly_id: UUID
    kit_gtin: str
    lot: str
    expiry: date
    quantity: int
    warehouse: str
    status: Literal["quarantine"] = "quarantine"
    components: list[dict]


@router.post("/kits/assemblies", status_code=status.HTTP_201_CREATED, operation_id="assemble_kit", responses=REPLAYED)
def assemble_kit(body: KitAssemblyIn, response: Response, meta: KitCommand, uow: Work,
                 idempotency_key: IdempotencyKey = None) -> KitAssemblyOut:
    """Consume component lots (available stock) and produce a new kit lot (into quarantine), in one transaction."""
    assembly_id = new_aggregate_id("kit-assembly", meta.actor, idempotency_key)
    components = [c.model_dump() for c in body.components]
    kit, created = kits.assemble_kit(kits.AssembleKit(
        assembly_id=assembly_id, kit_gtin=body.kit_gtin, lot=body.lot, quantity=body.quantity,
        warehouse=body.warehouse, components=tuple(components), expiry=body.expiry), uow)
    if not created:
        response.status_code = status.HTTP_200_OK
    assembly = kit.kits.assemblies[str(assembly_id)]
    return KitAssemblyOut(assembly_id=assembly_id, kit_gtin=body.kit_gtin, lot=assembly["lot"],
                          expiry=assembly["expiry"], quantity=assembly["quantity"], warehouse=assembly["warehouse"],
                          components=components)
