"""Process managers: the order's status follows what inventory did with it (reserved, backordered, shipped,
amended, cancelled, or an amendment or cancellation refused), consigned units used become a sales order, and a
rebate settled as free goods (货补) becomes a zero-priced order. Each event becomes a command of the application
layer, run in the unit of work of the batch."""

from shared.domain.business_day import business_day
from shared.events import CloudEvent, EventPayload
from shared.events.channel import RebateSettlementApproved
from shared.events.inventory import (
    ConsignmentUsed, FulfilmentAmended, FulfilmentAmendmentRefused, FulfilmentCancellationRefused, FulfilmentCancelled,
    ShipmentDispatched, StockReservationRejected, StockReserved,
)
from shared.platform.consumer import ProcessManager
from shared.platform.unit_of_work import UnitOfWork
from services.order.application import amending, cancelling, consuming, free_goods, fulfilment


class OrderFulfilmentTracker(ProcessManager):
    name = "order-fulfilment-tracker"
    subscribes_to = ("inventory",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: UnitOfWork) -> None:
        match payload:
            case StockReserved():
                fulfilment.mark_reserved(fulfilment.MarkReserved(order_id=payload.order_id, allocations=tuple(
                    {"line_no": line.line_no, "gtin": line.gtin, "lot": line.lot, "expiry": line.expiry,
                     "quantity": line.quantity} for line in payload.lines), backordered=tuple(
                    {"line_no": line.line_no, "gtin": line.gtin, "quantity": line.quantity}
                    for line in payload.backordered)), uow)
            case StockReservationRejected():
                shortages = ", ".join(f"{s.gtin}: {s.available} of {s.requested} available" for s in payload.shortages)
                fulfilment.backorder(fulfilment.Backorder(order_id=payload.order_id,
                                                          reason=f"{payload.reason} ({shortages})"), uow)
            case ShipmentDispatched():
                fulfilment.record_shipment(fulfilment.RecordShipment(
                    order_id=payload.order_id, shipment_id=payload.shipment_id, lines=_per_line(payload.lines)), uow)
            case FulfilmentAmended():
                amending.confirm_amendment(amending.ConfirmAmendment(order_id=payload.order_id), uow)
            case FulfilmentAmendmentRefused():
                amending.refuse_amendment(amending.RefuseAmendment(order_id=payload.order_id, reason=payload.reason),
                                          uow)
            case FulfilmentCancelled():
                cancelling.confirm_cancelled(cancelling.ConfirmCancelled(order_id=payload.order_id), uow)
            case ConsignmentUsed():
                consuming.record_consumption(consuming.RecordConsumption(
                    usage_id=payload.usage_id, hospital_id=payload.hospital_id, consignee_id=payload.consignee_id,
                    lines=tuple({"gtin": line.gtin, "lot": line.lot, "quantity": line.quantity,
                                 "order_id": line.order_id} for line in payload.lines), reference=payload.reference), uow)
            case FulfilmentCancellationRefused():
                cancelling.refuse_cancellation(cancelling.RefuseCancellation(order_id=payload.order_id,
                                                                             reason=payload.reason), uow)


class RebateGoods(ProcessManager):
    """A rebate approved as free goods (货补) is given as a zero-priced order of its units."""

    name = "order-rebate-goods"
    subscribes_to = ("channel",)

    def react(self, envelope: CloudEvent, payload: EventPayload, uow: UnitOfWork) -> None:
        if isinstance(payload, RebateSettlementApproved) and payload.mode == "free_goods" \
                and payload.free_goods_quantity and payload.free_goods_gtin and payload.free_goods_unit_price:
            free_goods.give_free_goods(free_goods.GiveFreeGoods(
                settlement=f"{payload.account_id}:{payload.settlement_no}", settlement_no=payload.settlement_no,
                distributor_id=payload.distributor_id, gtin=payload.free_goods_gtin,
                quantity=payload.free_goods_quantity, unit_value=payload.free_goods_unit_price,
                on=business_day(envelope.time)), uow)  # type: ignore[arg-type]


def _per_line(lines: list) -> tuple[dict, ...] | None:
    """Units shipped per order line; None for a shipment recorded before partial deliveries (no line numbers)."""
    if any(line.line_no is None for line in lines):
        return None
    per_line: dict[int, dict] = {}
    for line in lines:
        entry = per_line.setdefault(line.line_no, {"line_no": line.line_no, "gtin": line.gtin, "quantity": 0})
        entry["quantity"] += line.quantity
    return tuple(per_line[no] for no in sorted(per_line))
