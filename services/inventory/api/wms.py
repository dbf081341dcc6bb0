"""The inbound API of an external warehouse system (WMS/TMS): receipts, stock moves, picks and shipments under the
rules of POST /goods-receipts, /stock/moves, /fulfilments/{order_id}/picks and /dispatch, each applied once per
external reference (the External-Reference header or the body's external_reference). Handlers: application/wms.py."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel, Field

from services.inventory.api.common import WmsCommand, Work
from services.inventory.api.fulfilments import Dispatch, Picks, parse_scans
from services.inventory.api.receiving import GoodsReceiptIn, ReceiptWarning
from services.inventory.api.stock_control import StockMoveIn
from services.inventory.application import outbound, wms
from shared.platform.problems import invalid_field

router = APIRouter(tags=["wms"])

ExternalReference = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
ExternalReferenceHeader = Annotated[
    str | None,
    Header(alias="External-Reference", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
           description="the WMS's own id of the message (or the body's external_reference)"),
]
# A repeat of a message answers 200 with the first result.
REPEATED: dict[int | str, dict] = {200: {"description": "this external reference was applied before: the first result;"
                                                    " nothing was stored"}}


class WmsReceiptIn(GoodsReceiptIn):
    external_reference: ExternalReference | None = None


class WmsReceiptOut(BaseModel):
    external_reference: str
    receipt_id: UUID
    status: Literal["quarantine"] = "quarantine"
    warnings: list[ReceiptWarning]
    replayed: bool = Field(description="true when this reference was seen before: the first result, nothing stored")


class WmsStockMoveIn(StockMoveIn):
    external_reference: ExternalReference | None = None


class WmsStockMoveOut(BaseModel):
    external_reference: str
    item_id: UUID
    item_version: int = Field(description="the item's version after the move")
    replayed: bool


class WmsPicksIn(Picks):
    order_id: UUID
    external_reference: ExternalReference | None = None


class WmsPicksOut(BaseModel):
    external_reference: str
    order_id: UUID
    picked: list[dict] = Field(description="the reserved lines this message confirmed (quantities, serials)")
    units_to_pick: int = Field(description="reserved units still to be picked after this message")
    picks_complete: bool
    replayed: bool


class WmsShipmentIn(Dispatch):
    order_id: UUID
    external_reference: ExternalReference | None = None


class WmsShipmentOut(BaseModel):
    external_reference: str
    order_id: UUID
    status: str = Field(description="the fulfilment's status after this message: shipped or partially_shipped")
    shipments: list[dict] = Field(description="the shipments this message created, one per warehouse")
    replayed: bool


def _message(body: Any, header: str | None) -> dict[str, Any]:
    """The message's reference (body or header, the same if both) and its payload (the body, reference aside)."""
    if body.external_reference and header and body.external_reference != header:
        raise invalid_field("external_reference", "external-reference-consistent",
                            "the External-Reference header and the body's external_reference differ")
    reference = body.external_reference or header
    if reference is None:
        raise invalid_field("external_reference", "external-reference-required",
                            "give the WMS's reference of the message (body or External-Reference header)")
    return {"external_reference": reference, "payload": body.model_dump(mode="json", exclude={"external_reference"})}


def _answered(response: Response, first: bool) -> dict[str, Any]:
    if not first:
        response.status_code = status.HTTP_200_OK
    return {"replayed": not first}


@router.post("/wms/receipts", status_code=status.HTTP_201_CREATED, operation_id="wms_receive_goods", responses=REPEATED)
def wms_receive(body: WmsReceiptIn, response: Response, _: WmsCommand, uow: Work,
                external_reference: ExternalReferenceHeader = None) -> WmsReceiptOut:
    """A goods receipt from the WMS, with the rules of POST /goods-receipts (qualified supplier, into quarantine).
    Sent again with the same reference: the first answer (200), nothing stored; another payload: 409."""
    message = _message(body, external_reference)
    result, first = wms.receive(wms.WmsReceipt(**message, receipt=body.command()), uow)
    return WmsReceiptOut(external_reference=message["external_reference"], receipt_id=result["receipt_id"],
                         warnings=[ReceiptWarning(**w) for w in result["warnings"]], **_answered(response, first))


@router.post("/wms/stock-moves", status_code=status.HTTP_201_CREATED, operation_id="wms_move_stock", responses=REPEATED)
def wms_move(body: WmsStockMoveIn, response: Response, _: WmsCommand, uow: Work,
             external_reference: ExternalReferenceHeader = None) -> WmsStockMoveOut:
    """A stock move from the WMS, with the rules of POST /stock/moves; idempotent by external reference."""
    message = _message(body, external_reference)
    result, first = wms.move(wms.WmsStockMove(**message, move=body.command()), uow)
    return WmsStockMoveOut(external_reference=message["external_reference"], item_id=result["item_id"],
                           item_version=result["item_version"], **_answered(response, first))


@router.post("/wms/picks", status_code=status.HTTP_201_CREATED, operation_id="wms_confirm_picks", responses=REPEATED)
def wms_pick(body: WmsPicksIn, response: Response, _: WmsCommand, uow: Work,
             external_reference: ExternalReferenceHeader = None) -> WmsPicksOut:
    """Picks confirmed by UDI scan in the WMS, with the rules of POST /fulfilments/{order_id}/picks (all scans or
    none; another GTIN, lot or serial than reserved: 409); idempotent by external reference."""
    message = _message(body, external_reference)
    picks = outbound.ConfirmPicks(order_id=body.order_id, scans=parse_scans(body.scans))
    result, first = wms.pick(wms.WmsPicks(**message, picks=picks), uow)
    return WmsPicksOut(external_reference=message["external_reference"], **result, **_answered(response, first))


@router.post("/wms/shipments", status_code=status.HTTP_201_CREATED, operation_id="wms_dispatch", responses=REPEATED)
def wms_ship(body: WmsShipmentIn, response: Response, _: WmsCommand, uow: Work,
             external_reference: ExternalReferenceHeader = None) -> WmsShipmentOut:
    """A shipment from the WMS (or TMS), with the rules of POST /fulfilments/{order_id}/dispatch (every reserved
    unit picked when picking is required, no held or recalled stock); idempotent by external reference."""
    message = _message(body, external_reference)
    shipment = outbound.Dispatch(order_id=body.order_id, carrier=body.carrier, tracking_number=body.tracking_number)
    result, first = wms.ship(wms.WmsShipment(**message, shipment=shipment), uow)
    return WmsShipmentOut(external_reference=message["external_reference"], **result, **_answered(response, first))
